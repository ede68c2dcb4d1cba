"""Does the bundled MiniLM's embedding of a whole message help the similar-cases floor? Would an emergency head help?

Leave-one-set-out over the development sets that scripts/train_similar_cases.py trains on (never a frozen one), with
its threshold rule: word features alone, then word features plus the message embedding at weight 1 and 2; on top of
each urgent floor, a second head for "only an emergency is accepted" at thresholds 0.50..0.95. Prints pooled within /
under / over for each. Round 13's result (docs/urgency.md): neither helps.

    CLINRAG_DATA_DIR=kb CLINRAG_SIMILAR_CASES=false .venv/bin/python scripts/train_similar_cases.py --collect ladder.jsonl
    CLINRAG_DATA_DIR=kb .venv/bin/python bench/similar_cases_embedding.py ladder.jsonl
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import train_similar_cases as T  # noqa: E402


def main() -> None:
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    rows = T.load_rows()
    got_by = {(d["set"], d["i"]): T.ORDER.index(d["got"]) for d in map(json.loads, Path(sys.argv[1]).read_text().splitlines())}
    got = np.array([got_by[(r["set"], r["i"])] for r in rows])
    lo = np.array([min(T.ORDER.index(a) for a in r["accept"]) for r in rows])
    hi = np.array([max(T.ORDER.index(a) for a in r["accept"]) for r in rows])
    sets = np.array([r["set"] for r in rows])
    cache = Path(os.environ.get("CLINRAG_EMB_CACHE", "/tmp/clinrag-similar-cases-emb.npy"))
    if not cache.exists() or np.load(cache).shape[0] != len(rows):
        from rag.backends import Backends
        from rag.settings import load_settings

        emb = Backends(load_settings()).embedder
        e = np.asarray(emb.embed_documents([r["symptoms"] for r in rows]), dtype=np.float32)
        np.save(cache, e / np.linalg.norm(e, axis=1, keepdims=True))
    E = np.load(cache)

    def design(sub: np.ndarray, vocab: dict[str, int], alpha: float) -> Any:
        m = T.design([rows[i] for i in sub], vocab)
        return sparse.hstack([m, sparse.csr_matrix(alpha * E[sub])]).tocsr() if alpha else m

    def out_of_fold(y: np.ndarray, alpha: float) -> np.ndarray:
        oof = np.zeros(len(rows))
        idx = np.arange(len(rows))
        for name in T.DEV_SETS:
            test, train = idx[sets == name], idx[sets != name]
            vocab: dict[str, int] = {}
            for i in train:
                for f in sorted(T.features(rows[i]["symptoms"], rows[i].get("age"), rows[i].get("pregnant"))):
                    vocab.setdefault(f, len(vocab))
            model = LogisticRegression(C=T.C, max_iter=5000, class_weight="balanced").fit(design(train, vocab, alpha), y[train])
            oof[test] = model.predict_proba(design(test, vocab, alpha))[:, 1]
        return oof

    def counts(final: np.ndarray) -> tuple[int, int, int]:
        return int(((final >= lo) & (final <= hi)).sum()), int((final > hi).sum()), int((final < lo).sum())

    base = counts(got)
    print("ladder alone (within, under, over)", base)
    for alpha in (0.0, 1.0, 2.0):
        urgent = out_of_fold(hi <= 1, alpha)
        chosen = next(float(t) for t in np.arange(0.30, 0.901, 0.05)
                      if counts(np.where((urgent >= t) & (got > 1), 1, got))[0] >= base[0])
        floor = np.where((urgent >= chosen) & (got > 1), 1, got)
        print(f"embedding weight {alpha}: urgent floor at {chosen:.2f}: {counts(floor)}")
        emergency = out_of_fold(hi == 0, alpha)
        for t in np.arange(0.50, 0.951, 0.05):
            raised = (emergency >= t) & (floor > 0)
            print(f"   emergency head at {t:.2f}: {counts(np.where(raised, 0, floor))}, raised {int(raised.sum())} "
                  f"(emergency not accepted: {int((raised & (lo > 0)).sum())})")


if __name__ == "__main__":
    main()
