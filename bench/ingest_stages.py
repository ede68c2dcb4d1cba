"""Where an ingest's time goes, stage by stage: wall time of each function the per-file path calls.

    .venv/bin/python bench/ingest_stages.py CORPUS DATA_DIR            # e.g. the leaflets of bench/ingest_many.py
    CLINRAG_EMBEDDER=hash:384 .venv/bin/python bench/ingest_stages.py CORPUS DATA_DIR   # the pipeline alone
    CLINRAG_BENCH_CODE=/work/main .venv/bin/python bench/ingest_stages.py ...          # another checkout's code

Each stage is timed by wrapping the function (no profiler, so pure-Python stages are not inflated);
nested stages (count_tokens inside chunk_document, flush inside activate_many, the YAML inside
read_file) are listed under their own names and counted in both. Milvus Lite runs inside this
process, so the Milvus rows include its server's work. DATA_DIR is deleted first. Stages that
another checkout lacks are skipped. Prints the total wall and process CPU time, then the table.
From 32 text files on, reading, chunking, roles and screening run in worker processes (ingest/prepare.py)
and are not timed here; CLINRAG_BENCH_IN_PROCESS=1 keeps them in this process. With rounds pipelined,
the model runs in a thread beside the Milvus writes, so stage times add up to more than the wall time.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.environ.get("CLINRAG_BENCH_CODE") or str(ROOT))

SECONDS: dict[str, float] = defaultdict(float)
CALLS: dict[str, int] = defaultdict(int)


def _wrap(owner: Any, name: str, label: str | None = None) -> None:
    fn = getattr(owner, name, None)
    if fn is None:
        return
    key = label or name

    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            SECONDS[key] += time.perf_counter() - t0
            CALLS[key] += 1

    setattr(owner, name, timed)


def main() -> None:
    corpus, data = Path(sys.argv[1]), Path(sys.argv[2])
    shutil.rmtree(data, ignore_errors=True)
    os.environ["CLINRAG_DATA_DIR"] = str(data)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import ingest.formats as formats
    import ingest.run as run
    from rag.backends import Backends
    from rag.knowledge.embedders.cache import EmbeddingCache
    from rag.settings import load_settings

    for name in ("read_file", "resolve_metadata", "chunk_document", "tag_roles", "screen_chunks", "fingerprint"):
        _wrap(run, name)  # where an older checkout calls them
    try:
        import ingest.prepare as prepare
    except ImportError:  # an older checkout
        prepare = None
    if prepare is not None:
        for name in ("read_file", "resolve_metadata", "chunk_document", "tag_roles", "screen_chunks"):
            _wrap(prepare, name)
        if os.environ.get("CLINRAG_BENCH_IN_PROCESS"):  # no prepare workers: every stage runs (and is timed) here
            run._POOL_MIN_FILES = 10**9  # type: ignore[attr-defined]
    _wrap(formats, "_load_yaml", "  YAML front matter (in read_file)")
    _wrap(EmbeddingCache, "get_many", "embedding cache reads")
    _wrap(EmbeddingCache, "put_many", "embedding cache writes")
    _wrap(run._Progress, "_emit", "progress events")
    settings = load_settings()
    backends = Backends(settings)
    store, embedder = backends.store, backends.embedder
    for name in ("mark_pending_many", "upsert_rows", "chunk_rows", "activate_many", "flush", "active_by_fingerprints",
                 "active_versions", "active_documents", "quarantine", "bump_generation"):
        _wrap(store, name)
    _wrap(embedder, "embed_documents", "embed_documents (the model)")
    _wrap(embedder, "count_tokens", "  count_tokens (in chunk_document)")
    embedder.embed_documents(["warm up"])
    SECONDS.clear()
    CALLS.clear()
    t0, c0 = time.perf_counter(), time.process_time()
    report = run.ingest_paths([corpus], settings, embedder, store)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    j = report.to_json()
    files = max(int(j["ingested"]), 1)
    print(f"{j['ingested']} documents, {j['chunks']} chunks in {wall:.2f} s wall, {cpu:.2f} s process CPU; "
          f"load {[round(x, 2) for x in os.getloadavg()]}")
    print(f"{'stage':<36} {'s':>8} {'share':>6} {'calls':>7} {'per file':>9}")
    for key, secs in sorted(SECONDS.items(), key=lambda kv: -kv[1]):
        print(f"{key:<36} {secs:8.2f} {100 * secs / wall:5.1f}% {CALLS[key]:7d} {1000 * secs / files:6.2f} ms")
    backends.close()


if __name__ == "__main__":
    main()
