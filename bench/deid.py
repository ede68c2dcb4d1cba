"""De-identification on the frozen sets: identifier leaks per kind and clinical words removed, dev and test.

    .venv/bin/python bench/deid.py [--show]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from rag.safety.deid import scrub
from rag.text import words

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def load(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def leaks(rows: list[dict[str, object]]) -> list[tuple[dict[str, object], str]]:
    """Rows whose scrubbed text still contains one of their secrets (case-insensitive)."""
    out = []
    for row in rows:
        clean = scrub(str(row["text"])).lower()
        left = [s for s in row["secrets"] if str(s).lower() in clean]  # type: ignore[attr-defined]
        if left:
            out.append((row, clean))
    return out


def removed_share(rows: list[dict[str, object]]) -> tuple[int, int, list[tuple[str, str]]]:
    """Clinical words lost by scrubbing: (removed, total, changed texts)."""
    removed = total = 0
    changed = []
    for row in rows:
        text = str(row["text"])
        before, after = Counter(words(text)), Counter(words(scrub(text)))
        total += sum(before.values())
        lost = sum((before - after).values())
        removed += lost
        if lost:
            changed.append((text, scrub(text)))
    return removed, total, changed


def main(argv: list[str]) -> int:
    ident, clinical = load("deid_identifiers.jsonl"), load("deid_clinical.jsonl")
    print(f"{'split':6} {'identifiers':>11} {'leaked':>7}   {'clinical words':>14} {'removed':>8}")
    for split in ("dev", "test"):
        rows = [r for r in ident if r["split"] == split]
        bad = leaks(rows)
        rem, tot, changed = removed_share([r for r in clinical if r["split"] == split])
        print(f"{split:6} {len(rows):11d} {len(bad):7d}   {tot:14d} {rem:5d} ({rem / max(tot, 1):.2%})")
        by_kind = Counter(str(r["kind"]) for r, _ in bad)
        if by_kind:
            print("       leaks by kind:", dict(sorted(by_kind.items())))
        if "--show" in argv:
            for r, clean in bad:
                print("   LEAK", r["id"], "|", clean)
            for a, b in changed:
                print("   EAT ", a, "->", b)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
