"""Retrieval quality on MEDIQA 2019 Task 3 (pooled test), clinrag hybrid vs BM25-only vs dense-only.

    .venv/bin/python bench/retrieval.py [--quantize none|int8] [--weights 0.5,0.7,0.85] [--search local,milvus]

Every answer becomes one document (its AID as source name); all are ingested with clinrag's own
pipeline into one Milvus Lite collection; each question is a query; documents are ranked by their
best chunk. Gains follow the dataset README: 2^(ReferenceScore-1) - 1 (score 1 counts 0).
nDCG@10 and recall@10 of answers scored >= 3. Dense-only is CLINRAG_DENSE_WEIGHT=1, BM25-only is
the BM25 search alone, hybrid is clinrag's fused score at the configured weight(s).

--search picks who searches the same ingested data: `local`, clinrag's in-memory copy (the
embedded default: exact dense, BM25 with corpus-wide statistics), and/or `milvus`, Milvus Lite's
own search (approximate HNSW when faiss is installed, BM25 with per-segment statistics).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "eval-public" / "mediqa2019"


def load() -> tuple[dict[str, str], list[tuple[str, dict[str, int]]]]:
    answers: dict[str, str] = {}
    questions = []
    for f in sorted(DATA.glob("*.xml")):
        for q in ET.parse(f).getroot().iter("Question"):
            text = (q.findtext("QuestionText") or "").strip()
            grades = {}
            for a in q.iter("Answer"):
                aid = a.get("AID")
                answers[aid] = (a.findtext("AnswerText") or "").strip()
                grades[aid] = int(a.get("ReferenceScore") or 0)
            questions.append((text, grades))
    return answers, questions


def ndcg_recall(ranked: list[str], grades: dict[str, int], k: int = 10) -> tuple[float, float]:
    gain = lambda s: 2 ** (s - 1) - 1 if s >= 1 else 0  # noqa: E731
    dcg = sum(gain(grades.get(d, 0)) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((gain(s) for s in grades.values()), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    good = {d for d, s in grades.items() if s >= 3}
    recall = len(good & set(ranked[:k])) / len(good) if good else float("nan")
    return (dcg / idcg if idcg else float("nan")), recall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quantize", default="none", choices=["none", "int8"])
    ap.add_argument("--weights", default="0.7", help="comma-separated dense weights for the hybrid")
    ap.add_argument("--search", default="local,milvus", help="comma-separated search modes over the same data: local, milvus")
    args = ap.parse_args()

    from ingest.run import ingest_paths
    from rag.backends import Backends
    from rag.evaluation import ranked_sources
    from rag.knowledge.milvus import MilvusStore
    from rag.knowledge.search import retrieve
    from rag.settings import Settings

    answers, questions = load()
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        docs.mkdir()
        for aid, text in answers.items():
            (docs / f"{aid}.txt").write_text(text or "(empty)", encoding="utf-8")
        settings = Settings(data_dir=Path(tmp) / "kb", embed_quantize=args.quantize)
        backends = Backends(settings)
        t0 = time.perf_counter()
        report = ingest_paths([docs], settings, backends.embedder, backends.store)
        print(f"ingested {report.count('ingested')} answers ({report.count('failed')} failed) in {time.perf_counter() - t0:.0f} s, "
              f"embedder int8={args.quantize == 'int8'}")
        weights = [float(w) for w in args.weights.split(",")]
        variants: dict[str, list[tuple[float, float]]] = {}
        for mode in args.search.split(","):
            store = MilvusStore(backends.store.uri, backends.store.collection, backends.embedder.dim, local_search=mode == "local")
            active = store.active_documents()
            for text, grades in questions:
                vec = backends.embedder.embed_query(text)
                dense = ranked_sources(store.search_dense(vec, 50, active))
                bm25 = ranked_sources(store.search_bm25(text, 50, active))
                variants.setdefault(f"{mode} | dense only", []).append(ndcg_recall([Path(s).stem for s in dense], grades))
                variants.setdefault(f"{mode} | BM25 only", []).append(ndcg_recall([Path(s).stem for s in bm25], grades))
                for w in weights:
                    s = settings.model_copy(update={"dense_weight": w, "relevance_floor": 0.0, "candidate_k": 50,
                                                    "prompt_token_budget": 100_000})
                    # ranking only: near-duplicate collapsing is for prompts, and MEDIQA grades duplicates separately
                    r = retrieve(text, backends.embedder, store, s, top_k=50, collapse_duplicates=False)
                    variants.setdefault(f"{mode} | hybrid w={w}", []).append(ndcg_recall(ranked_sources(r.passages), grades))
            store._client.close()  # the file's embedded server is released once, by backends.close()
        print(f"\n{len(questions)} questions, {len(answers)} answers; pooled retrieval over all answers\n")
        print("| search | retrieval | nDCG@10 | recall@10 (score>=3) |")
        print("|---|---|---:|---:|")
        for name, vals in variants.items():
            nd = [v[0] for v in vals if not math.isnan(v[0])]
            rc = [v[1] for v in vals if not math.isnan(v[1])]
            print(f"| {name} | {sum(nd) / len(nd):.4f} | {sum(rc) / len(rc):.4f} |")
        backends.close()


if __name__ == "__main__":
    main()
