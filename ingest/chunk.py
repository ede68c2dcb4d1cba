"""Section-aware chunking with lengths measured in the embedder's own tokens.

Pages are walked line by line; headings (Markdown `#`, numbered `2.1 Title`, Chinese `一、`,
ALL-CAPS lines) open sections. Each section's text is split with langchain's
RecursiveCharacterTextSplitter using the embedder's tokenizer as the length function and
separators that include Chinese sentence punctuation. Every chunk, with the title/section prefix
we embed alongside it, is checked against the embedder's max sequence length and split again
if needed, so nothing is ever silently truncated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ingest.document import Page
from rag.types import Chunk, GuidelineDoc

__all__ = ["Section", "sections", "chunk_document", "embed_text"]

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_NUMBERED = re.compile(r"^((?:\d{1,2}\.){0,3}\d{1,2})\.?\s+([A-Z\u4e00-\u9fff][^.!?。！？]{1,90})$")
_ZH_HEADING = re.compile(r"^((?:第[一二三四五六七八九十]+[章节部分])|(?:[一二三四五六七八九十]+、)|(?:（[一二三四五六七八九十]+）))\s*(.{1,40})$")
_CAPS = re.compile(r"^[A-Z][A-Z0-9 ,&/()'\-]{3,80}$")
SEPARATORS = ["\n\n", "\n", "。", "！", "？", "；", ". ", "? ", "! ", "; ", "，", ", ", " ", ""]


@dataclass(slots=True)
class Section:
    path: str
    text: str
    char_start: int  # offset of text in the document (pages joined with "\n\n")
    page_bounds: list[tuple[int, int]]  # (offset within text, page number) where each page starts


def _heading(line: str, fmt: str) -> tuple[int, str] | None:
    s = line.strip()
    if not s or len(s) > 120:
        return None
    if fmt == "markdown":
        m = _MD_HEADING.match(s)
        return (len(m.group(1)), m.group(2).strip()) if m else None
    m = _NUMBERED.match(s)
    if m and len(s.split()) <= 14:
        return (m.group(1).count(".") + 1, s)
    m = _ZH_HEADING.match(s)
    if m:
        return (2 if m.group(1).startswith("（") else 1, s)
    if _CAPS.match(s) and len(s.split()) <= 10 and sum(c.isalpha() for c in s) >= 4:
        return (1, s.title())
    return None


def sections(pages: list[Page], fmt: str) -> Iterator[Section]:
    """Split the document into sections, remembering page boundaries and offsets."""
    stack: list[tuple[int, str]] = []
    buf: list[str] = []
    bounds: list[tuple[int, int]] = []
    start = 0
    offset = 0  # running offset in the joined document text
    buf_len = 0

    def flush() -> Section | None:
        text = "\n".join(buf).strip("\n")
        if not text.strip():
            return None
        return Section(" > ".join(t for _, t in stack), text, start, list(bounds))

    for page in pages:
        if buf:
            bounds.append((buf_len, page.number))
        else:
            bounds[:] = [(0, page.number)]
        for line in page.text.split("\n"):
            h = _heading(line, fmt)
            if h is not None:
                sec = flush()
                if sec:
                    yield sec
                level, title = h
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, title))
                buf, buf_len, start = [], 0, offset + len(line) + 1
                bounds[:] = [(0, page.number)]
            else:
                buf.append(line)
                buf_len += len(line) + 1
            offset += len(line) + 1
        offset += 1  # pages are joined with "\n\n"
    sec = flush()
    if sec:
        yield sec


def embed_text(doc: GuidelineDoc, section: str, text: str) -> str:
    """What we embed: the passage with its title and section, so short passages keep context."""
    leaf = section.split(" > ")[-1] if section else ""
    head = f"{doc.title}" + (f" — {leaf}" if leaf else "")
    return f"{head}\n{text}"


def _page_at(bounds: list[tuple[int, int]], pos: int) -> int:
    page = bounds[0][1]
    for off, num in bounds:
        if off <= pos:
            page = num
        else:
            break
    return page


def chunk_document(
    doc: GuidelineDoc,
    pages: list[Page],
    fmt: str,
    count_tokens: Callable[[str], int],
    *,
    chunk_tokens: int,
    overlap_tokens: int,
    max_tokens: int,
) -> list[Chunk]:
    """Chunks no longer than max_tokens (with their embed prefix), each with pages and offsets."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    measured: dict[str, int] = {}

    def tokens(text: str) -> int:  # the splitter measures the same pieces and separators many times
        n = measured.get(text)
        if n is None:
            n = measured[text] = count_tokens(text)
        return n

    chunks: list[Chunk] = []
    for sec in sections(pages, fmt):
        prefix_tokens = tokens(embed_text(doc, sec.path, ""))
        budget = max(16, min(chunk_tokens, max_tokens) - prefix_tokens)
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=budget, chunk_overlap=min(overlap_tokens, budget // 4), length_function=tokens,
            separators=SEPARATORS, keep_separator="end", add_start_index=True, strip_whitespace=True,
        )
        for piece in splitter.create_documents([sec.text]):
            text = piece.page_content
            pos = int(piece.metadata.get("start_index", -1))
            if pos < 0:
                pos = sec.text.find(text)
            for part, part_pos in _fit(text, pos, lambda t: tokens(embed_text(doc, sec.path, t)) <= max_tokens):
                if not part.strip():
                    continue
                chunks.append(Chunk(
                    doc_id=doc.doc_id, version=doc.version, content_hash=doc.content_hash, index=len(chunks), text=part,
                    section=sec.path, page_start=_page_at(sec.page_bounds, part_pos),
                    page_end=_page_at(sec.page_bounds, part_pos + len(part) - 1),
                    char_start=sec.char_start + part_pos, char_end=sec.char_start + part_pos + len(part), language=doc.language,
                ))
    return chunks


def _fit(text: str, pos: int, fits: Callable[[str], bool]) -> Iterator[tuple[str, int]]:
    """Halve a piece until it fits the model window (rare: one huge unbroken token run)."""
    if fits(text) or len(text) <= 1:
        yield text, pos
        return
    mid = len(text) // 2
    cut = text.rfind(" ", 0, mid)
    cut = cut if cut > 0 else mid
    yield from _fit(text[:cut], pos, fits)
    yield from _fit(text[cut:], pos + cut, fits)
