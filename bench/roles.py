"""Sentence-role accuracy on hand-labelled sentences (tests/data/roles_labelled.jsonl).

    .venv/bin/python bench/roles.py [FILE] [--json] [--errors]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from rag.knowledge.roles import ROLES, sentence_role


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
    path = Path(next((a for a in argv if not a.startswith("--")), "tests/data/roles_labelled.jsonl"))
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    report = measure(rows)
    print(json.dumps(report, indent=2) if "--json" in argv else
          f"{report['sentences']} sentences, accuracy {report['accuracy']}\nper role: {report['per_role']}\nconfusion: {report['confusion']}")
    if "--errors" in argv:
        for r in rows:
            got = sentence_role(r["sentence"], r["section"])
            if got != r["role"]:
                print(f"  {r['role']:>10} -> {got:<10} [{r['section'][-30:]}] {r['sentence'][:120]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
