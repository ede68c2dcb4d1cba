"""Every criterion the urgency ladder reads from guideline Markdown (sections 3 and 5), for a content reviewer.

    .venv/bin/python scripts/criteria_review.py [--short] FILE_OR_FOLDER [...]

Prints, per guideline, each clause the ladder parses from the red-flag section (3) and the when-to-see-a-clinician
section (5), with its level and the tokens a patient's words must reach. With --short, only clauses that need one
token or none: list fragments ("vomiting", "jaw", "which must start within 72 hours") that can be met by a single word
of a patient wherever the guideline is retrieved, which is what made the STI guideline's red flags fire on any vomiting
(docs/urgency.md, round 23). The file is read as ingest reads it (ingest.formats.read_file, ingest.chunk.sections)
and each section whole; at query time the ladder reads the chunks ingest made, so a lead-in cut off from its list by
the chunker reads differently (write lead-ins next to their items)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ingest.chunk import sections
from ingest.formats import read_file
from ingest.pdf import PdfLimits
from rag.safety.urgency import criteria_of
from rag.settings import load_settings
from rag.types import Passage

_WANTED = re.compile(r"[35]\s")  # the red-flag and the when-to-see-a-clinician sections of the starter format


def section_passages(path: Path) -> list[Passage]:
    """Sections 3 and 5 of a guideline file read as ingest reads it (front matter, sections by heading), one passage
    per whole section."""
    settings = load_settings()
    limits = PdfLimits(settings.max_pdf_pages, settings.parse_timeout_s, settings.parse_memory_mb)
    parsed = read_file(path, limits, int(settings.max_file_mb * 1e6))
    doc = str(parsed.metadata.get("id") or path.stem)
    return [Passage(chunk_id=f"{doc}-review-{i}", doc_id=doc, title=str(parsed.metadata.get("title") or doc),
                    publisher="review", version="review", source=parsed.source, section=sec.path, page_start=1,
                    page_end=1, text=sec.text, language=str(parsed.metadata.get("language") or "en"))
            for i, sec in enumerate(sections(parsed.pages, parsed.fmt))
            if _WANTED.match(sec.path.split(" > ")[-1])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", type=Path, help="guideline Markdown files or folders of them")
    ap.add_argument("--short", action="store_true", help="only clauses that need one token or none")
    args = ap.parse_args()
    files: list[Path] = []
    for p in args.paths:
        if p.is_dir():
            files += sorted(f for f in p.rglob("*.md") if f.name.lower() != "readme.md")
        elif p.is_file():
            files.append(p)
        else:
            raise SystemExit(f"no such file or folder: {p} (give guideline Markdown files or folders)")
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
