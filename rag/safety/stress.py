"""Contradiction detection measured on labelled claim/passage pairs (tests/data/verify_stress.jsonl).

Each line: {"id", "lang", "claim", "passage", "expected": "supported" | "contradicted" | "unsupported", "kind"}.
A pair counts as predicted `contradicted` when `judge()` says so; `supported` also accepts `weak`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rag.safety.verify import judge

__all__ = ["StressReport", "evaluate_pairs", "load_pairs"]


@dataclass(slots=True)
class StressReport:
    n: int
    contradiction_recall: float
    contradiction_precision: float
    blocked_recall: float  # contradicted pairs judged contradicted OR unsupported: the item is never shown
    accuracy: float  # three-way: supported (incl. weak) / contradicted / unsupported
    by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (right, total)
    errors: list[dict[str, str]] = field(default_factory=list)  # id, expected, got, reason


def load_pairs(path: str | Path) -> list[dict[str, str]]:
    """The pairs of a JSONL file; a line without claim, passage and expected raises ValueError naming it."""
    rows = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not all(isinstance(row.get(k), str) for k in ("claim", "passage", "expected")):
            raise ValueError(f"{path}:{i}: each line needs string fields claim, passage and expected")
        rows.append(row)
    return rows


def evaluate_pairs(rows: list[dict[str, str]]) -> StressReport:
    """Contradiction recall/precision and three-way accuracy of judge() on labelled pairs."""
    tp = fp = fn = right = blocked = 0
    by_kind: dict[str, list[int]] = {}
    errors = []
    for row in rows:
        j = judge(row["claim"], [row["passage"]])
        got = "supported" if j.verdict == "weak" else j.verdict
        exp = row["expected"]
        tp += got == exp == "contradicted"
        fp += got == "contradicted" != exp
        fn += exp == "contradicted" != got
        blocked += exp == "contradicted" and got in ("contradicted", "unsupported")
        ok = got == exp
        right += ok
        k = by_kind.setdefault(row.get("kind", ""), [0, 0])
        k[0] += ok
        k[1] += 1
        if not ok:
            errors.append({"id": row.get("id", ""), "expected": exp, "got": got, "reason": "; ".join(j.reasons)[:200]})
    n = len(rows)
    return StressReport(
        n=n, contradiction_recall=tp / (tp + fn) if tp + fn else 1.0,
        contradiction_precision=tp / (tp + fp) if tp + fp else 1.0,
        blocked_recall=blocked / (tp + fn) if tp + fn else 1.0, accuracy=right / n if n else 0.0,
        by_kind={k: (v[0], v[1]) for k, v in by_kind.items()}, errors=errors,
    )
