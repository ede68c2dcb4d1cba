"""The similar-cases floor on the ladder's understanding (round 14, docs/urgency.md): does it generalise better?

Leave-one-set-out over scripts/train_similar_cases.py's development sets (never a frozen one), the same model (logistic
regression, C = 1, balanced classes, L2-normalised binary features) on each feature set: "words" (the shipped features),
"concepts" (the ladder's concept tokens, number bands, flags, age/sex/pregnancy and its own level and basis: no raw
words), "words+concepts", and, as an exploration named after the first results, "concepts" without the ladder's level
and basis ("concepts-nodecision"). For each: the pooled out-of-fold AUC over the vignettes the floor could raise (the
ladder said soon, routine or self care), the script's threshold rule on its grid (0.30..0.90), a wider grid (0.05..0.90)
for reading only, and the operating point at the words baseline's over-triage (reading only: the ship rule is the
script's). The scores of the README's sample under each all-sets model are printed too.

    CLINRAG_DATA_DIR=kb CLINRAG_SIMILAR_CASES=false .venv/bin/python scripts/train_similar_cases.py --collect ladder.jsonl
    .venv/bin/python bench/similar_cases_concepts.py ladder.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import train_similar_cases as T  # noqa: E402

SAMPLE = "I have had a fever of 38.5 and a sore throat for two days and it hurts to swallow"
DECISION = ("level:", "basis:", "lb:")


def auc(score: np.ndarray, y: np.ndarray) -> float:
    order = np.argsort(score)
    ranks = np.empty(len(score))
    ranks[order] = np.arange(1, len(score) + 1)
    pos = y.sum()
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * (len(y) - pos)))


def main() -> None:
    ladder = {(d["set"], d["i"]): d for d in map(json.loads, Path(sys.argv[1]).read_text().splitlines())}
    rows = T.load_rows()
    got = np.array([T.ORDER.index(ladder[(r["set"], r["i"])]["got"]) for r in rows])
    lo = np.array([min(T.ORDER.index(a) for a in r["accept"]) for r in rows])
    hi = np.array([max(T.ORDER.index(a) for a in r["accept"]) for r in rows])
    y = hi <= 1
    sets = np.array([r["set"] for r in rows])
    raisable = got > 1

    def counts(final: np.ndarray) -> tuple[int, int, int]:
        return int(((final >= lo) & (final <= hi)).sum()), int((final > hi).sum()), int((final < lo).sum())

    base = counts(got)
    print(f"ladder alone ({len(rows)}): within {base[0]}, under {base[1]}, over {base[2]}")
    from rag.safety.spelling import normalise
    from rag.safety.urgency import extract_facts

    results: dict[str, Any] = {}
    for kind in ("words", "concepts", "words+concepts", "concepts-nodecision"):
        T.attach_features(rows, "concepts" if kind == "concepts-nodecision" else kind, ladder)
        if kind == "concepts-nodecision":
            for r in rows:
                r["feats"] = {f for f in r["feats"] if not f.startswith(DECISION)}
        oof = np.zeros(len(rows))
        for name in T.DEV_SETS:
            test = sets == name
            vocab, model = T.fit([r for r, t in zip(rows, test) if not t])
            oof[test] = model.predict_proba(T.design([r for r, t in zip(rows, test) if t], vocab))[:, 1]
        grid = {round(float(t), 2): counts(np.where((oof >= t) & raisable, 1, got)) for t in np.arange(0.05, 0.901, 0.05)}
        chosen = next(t for t, c in grid.items() if t >= 0.30 and c[0] >= base[0])
        results[kind] = (oof, grid, chosen)
        vocab, model = T.fit(rows)
        facts = extract_facts(normalise(SAMPLE), age=34)
        feats = T.model_features("concepts" if kind == "concepts-nodecision" else kind, SAMPLE, 34, None, facts,
                                 "self_care", "self_care")
        if kind == "concepts-nodecision":
            feats = {f for f in feats if not f.startswith(DECISION)}
        sample = float(model.predict_proba(T.design([{"feats": feats}], vocab))[0, 1])
        print(f"\n{kind}: AUC over raisable {auc(oof[raisable], y[raisable]):.3f} (n={int(raisable.sum())}); "
              f"rule's threshold {chosen}: within/under/over {grid[chosen]}; README sample (age 34) {sample:.3f}")
        print("  " + "; ".join(f"{t:.2f}: {c[0]}/{c[1]}/{c[2]}" for t, c in grid.items()))
    words_over = results["words"][1][results["words"][2]][2]
    print(f"\nat the words baseline's over-triage ({words_over}), each set's best within/under (reading only):")
    for kind, (oof, _grid, _) in results.items():
        cands = sorted(set(oof[raisable]), reverse=True)
        best = (base, 1.0)
        for t in cands:
            c = counts(np.where((oof >= t) & raisable, 1, got))
            if c[2] > words_over:
                break
            best = (c, t)
        print(f"  {kind:20s} threshold {best[1]:.3f}: within {best[0][0]}, under {best[0][1]}, over {best[0][2]}")


if __name__ == "__main__":
    main()
