"""PDF parsing with pypdf, run in a child process with memory, time and page limits.

`parse_pdf(path, limits)` starts `python -m ingest.pdf PATH` under resource limits so a
decompression bomb or a pathological file can only kill its own child. The child prints one JSON
object; anything else (a crash, a limit hit) becomes a DocumentError naming the file.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.document import Page, ParsedFile, clean_text
from rag.errors import DocumentError

__all__ = ["PdfLimits", "parse_pdf", "strip_running_lines"]

_PAGE_NUM = re.compile(r"^(page\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?(\s*(of|/)\s*\d{1,4})?$", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class PdfLimits:
    max_pages: int = 2000
    timeout_s: float = 300.0
    memory_mb: int = 2048


def parse_pdf(path: Path, limits: PdfLimits) -> ParsedFile:
    """Parse in a child process; raise DocumentError with the reason when it fails."""
    source = path.name

    def limit_child() -> None:  # runs in the child before exec
        import resource

        mem = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        cpu = int(limits.timeout_s) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))

    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ingest.pdf", str(path), str(limits.max_pages)],
            capture_output=True, timeout=limits.timeout_s, preexec_fn=limit_child, check=False,
        )
    except subprocess.TimeoutExpired:
        raise DocumentError(source, f"parsing took longer than {limits.timeout_s:.0f} s (CLINRAG_PARSE_TIMEOUT_S); "
                            "the file may be pathological; split it or raise the limit") from None
    if proc.returncode != 0:
        err = proc.stdout.decode("utf-8", "replace").strip() or proc.stderr.decode("utf-8", "replace").strip()
        try:
            message = json.loads(err.splitlines()[-1])["error"]
        except (ValueError, KeyError, IndexError):
            if proc.returncode < 0 or "MemoryError" in err:
                message = (f"the parser was stopped (signal {-proc.returncode}) or ran out of memory "
                           f"(CLINRAG_PARSE_MEMORY_MB={limits.memory_mb}); the file may be a decompression bomb")
            else:
                message = "the PDF parser failed: " + (err.splitlines()[-1][:300] if err else "no output")
        raise DocumentError(source, message)
    data = json.loads(proc.stdout)
    parsed = ParsedFile(source=source, fmt="pdf", pages=[Page(p["number"], p["text"]) for p in data["pages"]],
                        metadata=data["metadata"], warnings=data["warnings"], page_count=data["page_count"])
    parsed.pages = strip_running_lines(parsed.pages)
    return parsed


def strip_running_lines(pages: list[Page]) -> list[Page]:
    """Drop page numbers and header/footer lines that repeat (digits aside) on many pages."""
    if len(pages) < 3:
        return [Page(p.number, "\n".join(l for l in p.text.split("\n") if not _PAGE_NUM.match(l))) for p in pages]
    edge: Counter[str] = Counter()
    for p in pages:
        lines = [l for l in p.text.split("\n") if l.strip()]
        for line in set(lines[:3] + lines[-3:]):
            edge[_DIGITS.sub("#", line)] += 1
    threshold = max(3, len(pages) // 2)
    running = {key for key, n in edge.items() if n >= threshold}
    out = []
    for p in pages:
        lines = p.text.split("\n")
        kept = []
        for i, line in enumerate(lines):
            at_edge = i < 3 or i >= len(lines) - 3
            if _PAGE_NUM.match(line.strip()) or (at_edge and _DIGITS.sub("#", line) in running):
                continue
            kept.append(line)
        out.append(Page(p.number, "\n".join(kept).strip()))
    return out


def _table_rows(text: str) -> str:
    # pypdf's layout mode keeps columns apart with runs of spaces; make the cells readable
    return "\n".join(re.sub(r" {3,}", " | ", line.strip()) for line in text.split("\n"))


def _child(path: str, max_pages: int) -> dict[str, Any]:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise FileNotDecryptedError("password required")
            except (FileNotDecryptedError, NotImplementedError) as exc:
                raise SystemExit(_fail(f"the PDF is encrypted ({exc}); ask the publisher for an unencrypted copy")) from exc
        n = len(reader.pages)
    except PdfReadError as exc:
        raise SystemExit(_fail(f"not a readable PDF ({exc}); the file may be truncated or corrupt")) from exc
    if n == 0:
        raise SystemExit(_fail("the PDF has no pages"))
    if n > max_pages:
        raise SystemExit(_fail(f"{n} pages is above the limit of {max_pages} (CLINRAG_MAX_PDF_PAGES); split the file or raise the limit"))
    meta: dict[str, Any] = {}
    try:
        info: Any = reader.metadata or {}
        for key in ("/Title", "/Author", "/Subject", "/CreationDate", "/ModDate"):
            value = info.get(key)
            if value:
                meta[key[1:].lower()] = str(value)[:500]
    except Exception:  # broken info dictionaries are common; the text matters more
        meta = {}
    pages, warnings = [], []
    for i, page in enumerate(reader.pages, start=1):
        try:
            raw = page.extract_text() or ""
        except Exception as exc:  # one broken page must not lose the rest
            warnings.append(f"page {i}: text could not be extracted ({type(exc).__name__}); page skipped")
            continue
        lost = raw.count("\ufffd") + len(re.findall(r"\(cid:\d+\)", raw))
        if lost > 5:
            warnings.append(f"page {i}: {lost} glyphs could not be mapped to text (font without a Unicode map); page text is incomplete")
            raw = re.sub(r"\(cid:\d+\)", "", raw).replace("\ufffd", "")
        text = clean_text(raw)
        if len(text) < 20:
            has_images = _has_image_xobject(page)
            reason = "no text layer (scanned image?)" if has_images else "no text"
            warnings.append(f"page {i}: {reason}; nothing indexed from it")
            continue
        if re.search(r" {3,}\S+ {3,}", raw):
            text = _table_rows(clean_text(raw.replace("\t", "   ")))
        pages.append({"number": i, "text": text})
    return {"pages": pages, "metadata": meta, "warnings": warnings, "page_count": n}


def _has_image_xobject(page: Any) -> bool:
    """Whether the page draws an image, read from its resources without decoding any image."""
    try:
        xobjects = page.get("/Resources", {}).get_object().get("/XObject", {}).get_object()
        return any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())
    except Exception:  # malformed resources: we only lose the hint in the warning
        return False


def _fail(message: str) -> int:
    print(json.dumps({"error": message}))
    return 2


if __name__ == "__main__":
    try:
        result = _child(sys.argv[1], int(sys.argv[2]))
    except MemoryError:
        raise SystemExit(_fail("ran out of memory while parsing (CLINRAG_PARSE_MEMORY_MB); the file may be a decompression bomb")) from None
    except RecursionError:
        raise SystemExit(_fail("the PDF's object structure is too deeply nested (pathological file)")) from None
    except SystemExit:
        raise
    except Exception as exc:  # any other parser failure becomes a per-file error, not a crash
        raise SystemExit(_fail(f"not a readable PDF ({type(exc).__name__}: {str(exc)[:200]})")) from exc
    sys.stdout.write(json.dumps(result, ensure_ascii=False))
