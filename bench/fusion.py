"""Choose the fusion of dense and BM25 scores by measurement, on two labelled sets at once.

    .venv/bin/python bench/fusion.py [--work /tmp/clinrag-fusion]

Sets: the starter guidelines with tests/data/retrieval_queries.jsonl (en and zh, document-level
recall@5 / MRR) and MEDIQA 2019 (pooled, nDCG@10). Candidates (top 50 dense + top 50 BM25, with
exact dense scores for all) are fetched once per query; the fusion formulas are then compared
offline. Knowledge bases are kept in --work so re-runs skip ingest.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def candidates(query, backends):  # type: ignore[no-untyped-def]
    from rag.knowledge.base import Scope

    store, emb = backends.store, backends.embedder
    hits = store.searcher.search(emb.embed_query(query), query, 50, Scope(store.active_documents()))
    found = store.passages([h.chunk_id for h in hits])
    return [[Path(found[h.chunk_id].source).stem, h.dense, h.bm25] for h in hits if h.chunk_id in found]


def rank(cands, fuse):  # type: ignore[no-untyped-def]
    mx = max((c[2] for c in cands), default=0.0) or 1.0
    scored = sorted(cands, key=lambda c: -fuse(c[1], c[2], mx))
    out = []
    for c in scored:
        if c[0] not in out:
            out.append(c[0])
    return out


FORMULAS = {
    **{f"max-norm w={w}": (lambda w: lambda d, b, mx: w * d + (1 - w) * b / mx)(w) for w in (1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.5)},
    **{f"saturating k={k} w={w}": (lambda k, w: lambda d, b, mx: w * d + (1 - w) * b / (b + k))(k, w)
       for k in (5.0, 10.0) for w in (0.9, 0.8, 0.7)},
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/tmp/clinrag-fusion")
    args = ap.parse_args()
    import importlib.util

    from ingest.run import ingest_paths
    from rag.backends import Backends
    from rag.settings import Settings

    spec = importlib.util.spec_from_file_location("bench_retrieval", ROOT / "bench" / "retrieval.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    load, ndcg_recall = mod.load, mod.ndcg_recall

    work = Path(args.work)
    # starter set
    s1 = Settings(data_dir=work / "starter")
    b1 = Backends(s1)
    ingest_paths([ROOT / "guidelines"], s1, b1.embedder, b1.store)
    rows = [json.loads(l) for l in (ROOT / "tests/data/retrieval_queries.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    starter = [(r, candidates(r["query"], b1)) for r in rows]
    # MEDIQA
    answers, questions = load()
    docs = mod.write_docs(answers, work / "mediqa-docs")
    s2 = Settings(data_dir=work / "mediqa")
    b2 = Backends(s2, _embedder=b1.embedder)
    ingest_paths([docs], s2, b2.embedder, b2.store)
    mediqa = [(g, candidates(q, b2)) for q, g in questions]

    print("| fusion | starter en MRR | starter en R@5 | starter zh MRR | starter zh R@5 | MEDIQA nDCG@10 | MEDIQA R@10 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, fuse in FORMULAS.items():
        stats = {"en": [], "zh": []}
        for r, c in starter:
            ranked = rank(c, fuse)
            rel = {Path(x).stem for x in r["relevant_sources"]}
            rr = next((1 / (i + 1) for i, d in enumerate(ranked) if d in rel), 0.0)
            stats[r["language"]].append((rr, len(rel & set(ranked[:5])) / len(rel)))
        nd = [ndcg_recall(rank(c, fuse), g) for g, c in mediqa]
        nds = [x[0] for x in nd if not math.isnan(x[0])]
        rcs = [x[1] for x in nd if not math.isnan(x[1])]
        avg = lambda xs: sum(xs) / len(xs)  # noqa: E731
        print(f"| {name} | {avg([x[0] for x in stats['en']]):.3f} | {avg([x[1] for x in stats['en']]):.3f} | "
              f"{avg([x[0] for x in stats['zh']]):.3f} | {avg([x[1] for x in stats['zh']]):.3f} | {avg(nds):.4f} | {avg(rcs):.4f} |")


if __name__ == "__main__":
    main()
