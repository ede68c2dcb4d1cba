"""The urgency ladder on the labelled vignettes through consult() (starter guidelines, real MiniLM, Milvus Lite).

The thresholds are regression guards at the figures measured when the ladder landed (dev 30/32, under-triage 1;
frozen 23/32, under-triage 7), not the issue's targets (within ≥ 90 %, under-triage 0), which the frozen set
does not yet meet. The frozen set is never tuned on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.evaluation import evaluate_urgency

pytestmark = pytest.mark.slow
DATA = Path(__file__).parent / "data"


def _rows(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def test_vignette_sets_are_well_formed() -> None:
    levels = {"emergency", "urgent", "soon", "routine", "self_care"}
    for name in ("urgency_dev.jsonl", "urgency_frozen.jsonl"):
        rows = _rows(name)
        assert len(rows) >= 30
        assert {lvl for r in rows for lvl in r["accept"]} == levels  # type: ignore[attr-defined]
        assert any(any("\u4e00" <= c <= "\u9fff" for c in str(r["symptoms"])) for r in rows)
        assert any(r.get("pregnant") for r in rows) and any((r.get("age") or 99) < 1 for r in rows)  # type: ignore[operator]


def test_ladder_on_dev_and_frozen_sets(starter_kb) -> None:
    dev = evaluate_urgency(_rows("urgency_dev.jsonl"), starter_kb)
    frozen = evaluate_urgency(_rows("urgency_frozen.jsonl"), starter_kb)
    assert dev["within_accepted"] >= 29 and dev["under_triage"] <= 1, dev["misses"]
    assert frozen["within_accepted"] >= 22 and frozen["under_triage"] <= 7, frozen["misses"]
    for report in (dev, frozen):
        assert report["right_guideline_cited"] >= 28
