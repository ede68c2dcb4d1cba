"""Latency and scale: `search` (retrieve), `documents` (document search) and `ask` (extractive consult) p50/p95 at 1k,
10k, 100k chunks.

    .venv/bin/python bench/latency.py [--sizes 1000,10000,100000] [--queries 40] [--uri URI] [--language en|zh]
        [--search local,milvus] [--kb DIR] [--no-ask] [--cold-passages]

`--kb DIR` keeps the build (one size) and reuses it, so two checkouts can be timed alternately over the same data (copy
this script into the other checkout); `--cold-passages` drops the passages the in-memory copy's searcher keeps before
each timed call (round 6), so no call is served by an earlier one's read.

The starter guidelines are ingested for real; the rest of each size is synthetic: chunks whose
text is drawn from the starter passages with shuffled words and whose vectors are random unit
vectors (so they compete in both BM25 and dense search), spread over 100-chunk synthetic
documents. Queries are the labelled starter queries, timed warm (after 3 untimed runs), in the
embedded mode (Milvus Lite in this process) or against --uri (a Milvus server). `--language zh` times the
Chinese starter queries instead of the English ones (query understanding segments them, and one with English
terms runs a second dense search).

Each size is timed in two search modes over the same data, one after the other in the same run:
clinrag's in-memory copy of the active chunks (the embedded default, rag/knowledge/local.py) and
Milvus Lite's own search (CLINRAG_LOCAL_SEARCH=off, the baseline). The copy's cold load time
(from Milvus, then again from its cache files as the next process would) and size are shown.
`documents` is `retrieve_documents` (k 10) with the settings as they are (the reranker on by default);
`documents, no rerank` is the same call with CLINRAG_DOC_RERANK off, timed alternately with it, query by
query, so the two see the same machine load.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def add_synthetic(store, dim: int, texts: list[str], n_syn: int, rnd) -> float:
    """Add n_syn synthetic chunks in 100-chunk active documents (shuffled real words, random unit vectors);
    seconds taken. bench/workers_memory.py fills its knowledge base with the same."""
    import numpy as np

    from rag.knowledge.milvus import DocVersion, now_iso
    from rag.types import Chunk, GuidelineDoc

    t0 = time.perf_counter()
    per_doc = 100
    for start in range(0, n_syn, per_doc):
        n = min(per_doc, n_syn - start)
        h = f"syn{start:07d}"
        doc = GuidelineDoc(doc_id=h, title=f"Synthetic guideline {start}", publisher="bench", version="1", language="en",
                           source=f"{h}.txt", content_hash=h)
        chunks = []
        for i in range(n):
            words = rnd.choice(texts).split()
            rnd.shuffle(words)
            chunks.append(Chunk(doc_id=h, version="1", content_hash=h, index=i, text=" ".join(words), section="Synthetic",
                                page_start=1, page_end=1, char_start=0, char_end=0, language="en"))
        vecs = np.random.default_rng(start).normal(size=(n, dim)).astype("float32")
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        store.upsert_chunks(doc, chunks, vecs.tolist())
        store._upsert_doc_row(f"p:{h}", "pointer", DocVersion(
            doc_id=h, content_hash=h, version="1", title=doc.title, publisher="bench", language="en", source=doc.source,
            license="", date="", topic="", groups=(), status="active", chunk_count=n, pages=1, ingested_at=now_iso(),
            metadata_origin="bench"))
    store.bump_generation()  # the pointer rows above were written directly, not through activate()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--uri", default="", help="a Milvus server URI instead of the embedded Milvus Lite")
    ap.add_argument("--language", default="en", choices=["en", "zh"], help="which starter queries to time")
    ap.add_argument("--search", default="local,milvus", help="search modes to time: local (the in-memory copy), milvus (Lite's own)")
    ap.add_argument("--kb", help="keep the built knowledge base in this folder and reuse it on the next run (one size only); "
                    "lets two checkouts be timed alternately over the same data")
    ap.add_argument("--no-ask", action="store_true", help="do not time `ask` (the whole consultation)")
    ap.add_argument("--cold-passages", action="store_true", help="drop the passages the in-memory copy's searcher keeps "
                    "(round 6) before each timed call, so every passage is read from Milvus as a first query's would be")
    args = ap.parse_args()
    wanted = {m.strip() for m in args.search.split(",") if m.strip()}


    from ingest.run import ingest_paths
    from rag.answer.schema import ConsultRequest
    from rag.backends import Backends
    from rag.consult import consult
    from rag.knowledge.documents import retrieve_documents
    from rag.knowledge.milvus import MilvusStore
    from rag.knowledge.search import retrieve
    from rag.settings import Settings

    rows = [json.loads(l) for l in (ROOT / "tests/data/retrieval_queries.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    queries = [r["query"] for r in rows if r["language"] == args.language][: args.queries]
    rnd = random.Random(1)
    print("| chunks | search mode | search p50 ms | search p95 ms | documents p50 / p95 ms | documents, no rerank p50 / p95 ms "
          "| ask p50 ms | ask p95 ms | search speed-up (p50) | copy cold load / size | insert rows/s |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.kb and len(sizes) != 1:
        ap.error("--kb keeps one size: give one --sizes value")
    for size in sizes:
        with (contextlib.nullcontext(args.kb) if args.kb else tempfile.TemporaryDirectory()) as tmp:
            kept = bool(args.kb) and (Path(tmp) / "built.json").exists()
            prefix = f"bench{size}" if args.kb else f"bench{size}_{rnd.randrange(1 << 30)}"
            settings = Settings(data_dir=Path(tmp) / "kb", milvus_uri=args.uri, collection_prefix=prefix, local_search="off")
            b = Backends(settings)
            store = b.store
            if kept:  # built by an earlier run (this or another checkout): time the same data
                built = json.loads((Path(tmp) / "built.json").read_text(encoding="utf-8"))
                n_syn, insert_s, report = built["synthetic"], built["insert_s"], None
            else:
                report = ingest_paths([ROOT / "guidelines"], settings, b.embedder, store)
                texts = []
                for d in store.active_documents():
                    texts += [p.text for p in store.search_bm25(d.title, 20, [d])]
                real = sum(d.chunk_count for d in store.active_documents())
                n_syn = max(0, size - real)
                insert_s = add_synthetic(store, b.embedder.dim, texts, n_syn, rnd)
                store.flush()
                store._client.release_collection(store.collection)
                if args.kb:
                    (Path(tmp) / "built.json").write_text(json.dumps({"synthetic": n_syn, "insert_s": insert_s}), encoding="utf-8")
            store._client.load_collection(store.collection)
            total = store.count_chunks()
            modes = {}
            for local in [m == "local" for m in ("local", "milvus") if m in wanted]:
                cache = Path(tmp) / "search-copy"
                st = MilvusStore(store.uri, store.collection, b.embedder.dim, local_search=local, local_cache_dir=cache)
                t = time.perf_counter()
                copy = st.local_index() if local else None
                load_s = time.perf_counter() - t
                mb = copy.nbytes() / 2**20 if copy is not None else float("nan")
                if local:  # what the next process pays: the same copy read back from its cache files
                    again = MilvusStore(store.uri, store.collection, b.embedder.dim, local_search=True, local_cache_dir=cache)
                    t = time.perf_counter()
                    again.local_index()
                    reload_s = time.perf_counter() - t
                    again._client.close()
                mode_settings = settings.model_copy(update={"data_dir": Path(tmp) / f"audit-{local}"})
                modes[local] = (Backends(mode_settings, _embedder=b.embedder, _store=st), load_s, mb, [], [], [], [])
            # one mode after the other: Milvus Lite's search leaves garbage and busy threads that would
            # slow whatever runs right after it in the same process
            plain = settings.model_copy(update={"doc_rerank": False})
            for mb_, _, _, search_ms, ask_ms, doc_ms, plain_ms in modes.values():
                for q in queries[:3]:  # warm-up
                    retrieve(q, mb_.embedder, mb_.store, settings)
                    retrieve_documents(q, mb_.embedder, mb_.store, settings)
                    retrieve_documents(q, mb_.embedder, mb_.store, plain)
                    if not args.no_ask:
                        consult(ConsultRequest(symptoms=q), mb_)
                forget = getattr(mb_.store.searcher, "forget_passages", None) if args.cold_passages else None
                for i, q in enumerate(queries):
                    if forget is not None:
                        forget()
                    t = time.perf_counter()
                    retrieve(q, mb_.embedder, mb_.store, settings)
                    search_ms.append((time.perf_counter() - t) * 1000)
                    for s_, out in ((settings, doc_ms), (plain, plain_ms))[:: 1 if i % 2 else -1]:  # alternating order
                        if forget is not None:
                            forget()
                        t = time.perf_counter()
                        retrieve_documents(q, mb_.embedder, mb_.store, s_)
                        out.append((time.perf_counter() - t) * 1000)
                    if not args.no_ask:
                        if forget is not None:
                            forget()
                        t = time.perf_counter()
                        consult(ConsultRequest(symptoms=q), mb_)
                        ask_ms.append((time.perf_counter() - t) * 1000)
            rate = n_syn / insert_s if n_syn else float("nan")
            base = modes.get(False)
            for local, (_, load_s, mb, search_ms, ask_ms, doc_ms, plain_ms) in modes.items():
                label = "in-memory copy (default)" if local else "Milvus Lite search"
                ratio = statistics.median(base[3]) / statistics.median(search_ms) if base else float("nan")
                extra = f"{load_s:.1f} s ({reload_s:.1f} s from cache files) / {mb:.0f} MB" if local else "-"
                print(f"| {total} | {label} | {statistics.median(search_ms):.0f} | {pct(search_ms, 0.95):.0f} | "
                      f"{statistics.median(doc_ms):.1f} / {pct(doc_ms, 0.95):.1f} | {statistics.median(plain_ms):.1f} / {pct(plain_ms, 0.95):.1f} | "
                      f"{statistics.median(ask_ms) if ask_ms else float('nan'):.0f} | {pct(ask_ms, 0.95) if ask_ms else float('nan'):.0f} | {ratio:.1f}x | {extra} | {rate:.0f} |", flush=True)
            assert report is None or report.ok
            for mb_, *_ in modes.values():
                mb_.store._client.close()  # the file's server is released once, by b.close()
                mb_.audit.close()
            b.close()


if __name__ == "__main__":
    main()
