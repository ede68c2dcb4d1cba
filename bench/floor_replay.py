"""The similar-cases floor replayed at other thresholds, on development sets its weights never saw.

    # 1. record, per vignette, the ladder's level before the floor and the floor's score (None where the floor does not
    #    act: an emergency or same-day answer, an out-of-scope one, a green feverish child ...)
    CLINRAG_DATA_DIR=kb .venv/bin/python bench/floor_replay.py collect OUT.jsonl urgency_dev12 ... urgency_dev32
    # 2. within / under / over at every threshold, and with a separate threshold for answers the ladder called self-care
    .venv/bin/python bench/floor_replay.py sweep OUT.jsonl

The consultation runs whole (rag.consult.consult, the shipped floor on); `raise_by_similar_cases` and
`same_day_score` are wrapped to record what the ladder decided and what the model scored, so replaying a threshold
needs no second run. Frozen sets are refused. docs/urgency.md "Round 29" has the figures of 2026-12-05.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def collect(out: Path, names: list[str]) -> None:
    import rag.consult as rc
    import rag.safety.similar_cases as sc
    from rag.answer.schema import ConsultRequest
    from rag.backends import Backends
    from rag.settings import load_settings

    state: dict[str, Any] = {}
    score_of, raise_by = sc.same_day_score, sc.raise_by_similar_cases

    def scored(*a: Any, **k: Any) -> Any:
        r = score_of(*a, **k)
        state["score"] = r[0]
        return r

    def raised(decision: Any, *a: Any, **k: Any) -> Any:
        state.update(ladder=decision.level, basis=decision.basis, score=None)
        return raise_by(decision, *a, **k)

    sc.same_day_score = scored  # type: ignore[assignment]
    rc.raise_by_similar_cases = raised  # type: ignore[assignment]
    backends = Backends(load_settings())
    with out.open("w", encoding="utf-8") as f:
        for name in names:
            if "frozen" in name:
                raise SystemExit(f"{name}: frozen sets are never replayed")
            for i, line in enumerate((DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()):
                if not line.strip():
                    continue
                row = json.loads(line)
                state.clear()
                req = ConsultRequest.model_validate({k: row.get(k) for k in ("symptoms", "age", "sex", "pregnant")})
                advice = rc.consult(req, backends, caller="eval").advice
                f.write(json.dumps({"set": name, "i": i, "accept": row["accept"], "final": advice.urgency,
                                    "ladder": state.get("ladder"), "basis": state.get("basis"),
                                    "score": state.get("score")}) + "\n")
    print(f"wrote {out}")


def _verdict(level: str, accept: list[str]) -> str:
    """Within, under or over the accepted levels, as rag.evaluation.evaluate_urgency counts them."""
    from rag.answer.schema import URGENCY_ORDER

    if level in accept:
        return "within"
    return "under" if URGENCY_ORDER.index(level) > max(URGENCY_ORDER.index(a) for a in accept) else "over"


def _level(row: dict[str, Any], threshold: float, self_care_threshold: float | None = None) -> str:
    if row["score"] is None:
        return str(row["final"])
    t = self_care_threshold if self_care_threshold is not None and row["ladder"] == "self_care" else threshold
    return "urgent" if row["score"] >= t else str(row["ladder"])


def sweep(path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    off = sum(_level(r, 0.5) != r["final"] for r in rows)
    print(f"{len(rows)} vignettes, {len({r['set'] for r in rows})} sets; replay at 0.50 differs from the run on {off}")
    for t in (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 1.01):
        c = Counter(_verdict(_level(r, t), r["accept"]) for r in rows)
        label = "ladder alone" if t > 1 else f"threshold {t:.2f}"
        print(f"{label:16s} within {c['within']}, under {c['under']}, over {c['over']}")
    for t in (0.55, 0.6, 0.65, 0.7):
        c = Counter(_verdict(_level(r, 0.5, t), r["accept"]) for r in rows)
        print(f"self-care answers at {t:.2f}, others 0.50: within {c['within']}, under {c['under']}, over {c['over']}")


def main() -> None:
    if len(sys.argv) >= 4 and sys.argv[1] == "collect":
        collect(Path(sys.argv[2]), sys.argv[3:])
    elif len(sys.argv) == 3 and sys.argv[1] == "sweep":
        sweep(Path(sys.argv[2]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
