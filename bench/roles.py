"""Sentence-role accuracy on hand-labelled sentences of the real guideline PDFs.

tests/data/roles_labelled.jsonl holds, per labelled sentence, the PDF's file name, a hash of the
sentence and the role given by hand; the sentences themselves are not committed (the PDFs live in
../shared/guidelines-real and carry their own licences). This script re-reads the PDFs with the
ingest parser and the generator's sentence splitter, finds the labelled sentences by hash and
measures `rag.knowledge.roles.sentence_role` on them.

    .venv/bin/python bench/roles.py [--pdfs DIR] [--json] [--errors]
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

from rag.knowledge.roles import ROLES, sentence_role

LABELS = Path(__file__).resolve().parent.parent / "tests" / "data" / "roles_labelled.jsonl"
_ROOT = Path(__file__).resolve().parent.parent
# ../shared next to the checkout (as tests/conftest.py), or next to its parent for a worktree folder
PDFS = next((p for p in (_ROOT.parent / "shared" / "guidelines-real", _ROOT.parent.parent / "shared" / "guidelines-real")
             if p.is_dir()), _ROOT.parent / "shared" / "guidelines-real")


def sentence_key(sentence: str) -> str:
    """The stored identity of a labelled sentence."""
    return hashlib.sha256(sentence.encode("utf-8")).hexdigest()[:16]


def pdf_sentences(pdf: Path) -> dict[str, tuple[str, str]]:
    """key -> (section path, sentence) for every sentence of one PDF, as ingest and the generator see it."""
    from ingest.chunk import sections
    from ingest.formats import read_file
    from ingest.pdf import PdfLimits
    from rag.answer.generators.extractive import split_sentences

    parsed = read_file(pdf, PdfLimits(), 200_000_000)
    return {sentence_key(s): (sec.path, s) for sec in sections(parsed.pages, parsed.fmt) for s in split_sentences(sec.text)}


def labelled(pdfs: Path = PDFS, labels: Path = LABELS) -> list[dict[str, str]]:
    """The labelled rows with their sentence and section filled in from the PDFs (rows not found are left out)."""
    rows = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    cache: dict[str, dict[str, tuple[str, str]]] = {}
    out = []
    for r in rows:
        if r["source"] not in cache:
            path = pdfs / r["source"]
            cache[r["source"]] = pdf_sentences(path) if path.exists() else {}
        found = cache[r["source"]].get(r["key"])
        if found:
            out.append({**r, "section": found[0], "sentence": found[1]})
    return out


def measure(rows: list[dict[str, str]]) -> dict[str, object]:
    """Accuracy overall and per labelled role, and the confusion counts."""
    confusion: Counter[tuple[str, str]] = Counter()
    for r in rows:
        confusion[(r["role"], sentence_role(r["sentence"], r["section"]))] += 1
    total = sum(confusion.values())
    right = sum(n for (gold, got), n in confusion.items() if gold == got)
    per_role = {}
    for role in ROLES:
        gold_n = sum(n for (g, _), n in confusion.items() if g == role)
        if gold_n:
            per_role[role] = {"n": gold_n, "recall": round(confusion[(role, role)] / gold_n, 3)}
    return {"sentences": total, "accuracy": round(right / total, 4) if total else None, "per_role": per_role,
            "confusion": {f"{g}->{p}": n for (g, p), n in sorted(confusion.items()) if g != p}}


def main(argv: list[str]) -> int:
    # run as a script, bench/ is first on sys.path and bench/ingest.py would shadow the ingest package
    sys.path[:] = [str(_ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
    pdfs = Path(argv[argv.index("--pdfs") + 1]) if "--pdfs" in argv else PDFS
    if not pdfs.is_dir():
        print(f"error: {pdfs} not found; pass --pdfs DIR with the real guideline PDFs", file=sys.stderr)
        return 2
    rows = labelled(pdfs)
    report = {**measure(rows), "halves": {"even (rules tuned on)": measure(rows[0::2])["accuracy"],
                                           "odd (held out)": measure(rows[1::2])["accuracy"]}}
    print(json.dumps(report, indent=2) if "--json" in argv else
          f"{report['sentences']} sentences, accuracy {report['accuracy']} {report['halves']}\n"
          f"per role: {report['per_role']}\nconfusion: {report['confusion']}")
    if "--errors" in argv:
        for r in rows:
            got = sentence_role(r["sentence"], r["section"])
            if got != r["role"]:
                print(f"  {r['role']:>10} -> {got:<10} [{r['section'][-30:]}] {r['sentence'][:120]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
