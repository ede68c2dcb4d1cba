"""Every criterion the urgency ladder reads from guideline Markdown (sections 3 and 5), for a content reviewer.

    .venv/bin/python scripts/criteria_review.py [--short | --chunks] FILE_OR_FOLDER [...]

Prints, per guideline, each clause the ladder parses from the red-flag section (3) and the when-to-see-a-clinician
section (5), with its level and the tokens a patient's words must reach. With --short, only clauses that need one
token or none: list fragments ("vomiting", "jaw", "which must start within 72 hours") that can be met by a single word
of a patient wherever the guideline is retrieved, which is what made the STI guideline's red flags fire on any vomiting
(docs/urgency.md, round 23). The file is read as ingest reads it (ingest.formats.read_file, ingest.chunk.sections)
and each section whole; at query time the ladder reads the chunks ingest made, so a lead-in cut off from its list by
the chunker reads differently (write lead-ins next to their items). With --chunks, the file is chunked as ingest
chunks it (the configured embedder's tokens and chunk size) and every list in sections 3 and 5 whose items start a
chunk away from their lead-in is printed: those items lose the lead-in's condition or time frame at query time (found
in urgency round 24: "When you have no symptoms, book …:" and its items landed in two chunks)."""

from __future__ import annotations

import argparse
import functools
import re
from collections.abc import Callable
from pathlib import Path

from ingest.chunk import sections
from ingest.formats import read_file
from ingest.prepare import ChunkParams, prepare_text
from rag.safety.urgency import criteria_of
from rag.safety.urgency.criteria import LIST_ITEM
from rag.settings import load_settings
from rag.types import Passage

_WANTED = re.compile(r"[35]\s")  # the red-flag and the when-to-see-a-clinician sections of the starter format


@functools.lru_cache(maxsize=8)
def _params(max_tokens: int = 0) -> ChunkParams:
    """What ingest reads and chunks with, from the settings (read once a run)."""
    return ChunkParams.from_settings(load_settings(), max_tokens)


def section_passages(path: Path) -> list[Passage]:
    """Sections 3 and 5 of a guideline file read as ingest reads it (front matter, sections by heading), one passage
    per whole section."""
    parsed = read_file(path, _params().limits, _params().max_bytes)
    doc = str(parsed.metadata.get("id") or path.stem)
    return [Passage(chunk_id=f"{doc}-review-{i}", doc_id=doc, title=str(parsed.metadata.get("title") or doc),
                    publisher="review", version="review", source=parsed.source, section=sec.path, page_start=1,
                    page_end=1, text=sec.text, language=str(parsed.metadata.get("language") or "en"))
            for i, sec in enumerate(sections(parsed.pages, parsed.fmt))
            if _WANTED.match(sec.path.split(" > ")[-1])]


def split_lists(path: Path, count_tokens: Callable[[str], int], max_tokens: int) -> list[tuple[str, str]]:
    """(section, first item) for each list of sections 3 and 5 that a chunk boundary cuts from its lead-in, with the
    file chunked as ingest chunks it."""
    prepared = prepare_text(path, _params(max_tokens), {}, count_tokens)
    if prepared.error:
        raise SystemExit(f"{path}: {prepared.error}")
    out: list[tuple[str, str]] = []
    previous: dict[str, str] = {}
    for chunk in prepared.chunks:
        section = chunk.section.split(" > ")[-1]
        lines = [ln for ln in chunk.text.splitlines() if ln.strip()]
        before = previous.get(chunk.section)
        if _WANTED.match(section) and lines and LIST_ITEM.match(lines[0].strip()) and before is not None:
            # the list goes on from the chunk before: its lead-in (a line ending in a colon) is there, not here
            last = [ln for ln in before.splitlines() if ln.strip()]
            if last and (last[-1].rstrip().endswith((":", "：")) or LIST_ITEM.match(last[-1].strip())):
                out.append((section, lines[0].strip()))
        previous[chunk.section] = chunk.text
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", type=Path, help="guideline Markdown files or folders of them")
    ap.add_argument("--short", action="store_true", help="only clauses that need one token or none")
    ap.add_argument("--chunks", action="store_true",
                    help="chunk as ingest does and list the lists whose items a chunk boundary cuts from their lead-in")
    args = ap.parse_args()
    files: list[Path] = []
    for p in args.paths:
        if p.is_dir():
            files += sorted(f for f in p.rglob("*.md") if f.name.lower() != "readme.md")
        elif p.is_file():
            files.append(p)
        else:
            raise SystemExit(f"no such file or folder: {p} (give guideline Markdown files or folders)")
    if args.chunks:
        from rag.backends import Backends

        embedder = Backends(load_settings()).embedder
        cut = 0
        for f in files:
            for section, item in split_lists(f, embedder.count_tokens, embedder.max_tokens):
                cut += 1
                print(f"{f.name}\t{section}\tlead-in in the chunk before: {item[:100]}")
        print(f"{cut} lists cut from their lead-in in {len(files)} guidelines")
        return
    total = short = 0
    for f in files:
        for criterion in criteria_of(section_passages(f)):
            for clause in criterion.clauses:
                total += 1
                few = len(clause.tokens) <= 1
                short += few
                if few or not args.short:
                    print(f"{f.name}\t{criterion.level}\t{clause.text[:100]}\t{' '.join(sorted(clause.tokens))}")
    print(f"{total} clauses in {len(files)} guidelines; {short} need one token or none")


if __name__ == "__main__":
    main()
