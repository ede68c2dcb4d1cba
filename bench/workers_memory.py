"""Memory of `clinrag serve --workers N` at a large knowledge base (issue 14 item 5: workers share the search copy).

Builds (once) a knowledge base of --chunks chunks in --data-dir: the starter guidelines ingested for real plus
bench/latency.py's synthetic fill (100-chunk documents of shuffled real words, random unit vectors). Then, for
each worker count, starts `clinrag serve` on it, waits until every worker has warmed up (each has loaded or
mapped the search copy: `_warm` runs a retrieval), sends a few consultations, and reads each process'
memory from /proc: RSS, PSS (shared pages divided among the processes that map them) and USS (pages only
this process has), and the part of RSS/PSS that is the search copy's mapped generation files.

    .venv/bin/python bench/workers_memory.py --data-dir /tmp/kb100k --chunks 100000 --workers 1,2
    # another checkout's server on the same data (e.g. main, for the before column):
    .venv/bin/python bench/workers_memory.py --data-dir /tmp/kb100k --workers 1,2 --server-cwd /work/main \
        --server-python /work/main/.venv/bin/python

"Per extra worker" = total PSS of the API processes with N workers minus with N - 1, divided by the added
workers: what a second worker really costs the machine (the Milvus Lite server is counted apart).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

MB = 2**20


def build(data_dir: Path, chunks: int) -> None:
    from latency import add_synthetic

    from ingest.run import ingest_paths
    from rag.backends import Backends
    from rag.settings import Settings

    settings = Settings(data_dir=data_dir, local_search="off")
    b = Backends(settings)
    try:
        store = b.store
        ingest_paths([ROOT / "guidelines"], settings, b.embedder, store)
        texts: list[str] = []
        for d in store.active_documents():
            texts += [p.text for p in store.search_bm25(d.title, 20, [d])]
        real = sum(d.chunk_count for d in store.active_documents())
        took = add_synthetic(store, b.embedder.dim, texts, max(0, chunks - real), random.Random(1))
        store.flush()
        print(f"built {store.count_chunks()} chunks in {data_dir} ({took:.0f} s of inserts)", file=sys.stderr)
    finally:
        b.close()


def memory(pid: int, copy_dir: str) -> dict[str, float]:
    """RSS, PSS, USS (private) of one process, and RSS/PSS of its mappings under copy_dir (MiB)."""
    out = {"rss": 0.0, "pss": 0.0, "uss": 0.0, "copy_rss": 0.0, "copy_pss": 0.0}
    in_copy = False
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split(None, 5)
                in_copy = len(parts) == 6 and parts[5].strip().startswith(copy_dir)
                continue
            key, _, rest = line.partition(":")
            if key not in ("Rss", "Pss", "Private_Clean", "Private_Dirty"):
                continue
            kb = float(rest.split()[0]) / 1024
            if key == "Rss":
                out["rss"] += kb
                out["copy_rss"] += kb if in_copy else 0.0
            elif key == "Pss":
                out["pss"] += kb
                out["copy_pss"] += kb if in_copy else 0.0
            else:
                out["uss"] += kb
    return out


def measure(args: argparse.Namespace, workers: int) -> list[tuple[str, dict[str, float]]]:
    import psutil

    env = {**os.environ, "CLINRAG_DATA_DIR": str(args.data_dir), "HF_HUB_OFFLINE": "1", "CLINRAG_RATE_LIMIT_PER_MIN": "0",
           "CLINRAG_WORKERS": str(workers)}
    flag: list[str] = []
    if args.workers_flag:  # as a user starts it: `clinrag serve --workers N`, nothing in the environment
        env.pop("CLINRAG_WORKERS")
        flag = ["--workers", str(workers)]
    py = args.server_python or sys.executable
    cwd = args.server_cwd or str(ROOT)
    key = subprocess.run([py, "-m", "clinrag.cli", "keys", "create", "--name", f"mem-{os.getpid()}-{time.time_ns()}",
                          "--role", "consult"], env=env, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()
    from api.serve import free_port

    port = free_port()
    log_path = args.data_dir / f"workers-memory-{workers}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([py, "-m", "clinrag.cli", "serve", "--port", str(port), *flag], env=env, cwd=cwd, stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + args.timeout
        while log_path.read_text(errors="replace").count("clinrag API ready") < workers:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"serve did not get {workers} workers ready; see {log_path}")
            time.sleep(1)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for i in range(args.requests):
                r = client.post("/v1/consultations", json={"symptoms": "fever and body aches for two days", "age": 30 + i},
                                headers={"Authorization": f"Bearer {key}"})
                r.raise_for_status()
        time.sleep(2)
        copy_dir = str((args.data_dir / "search-copy").resolve())
        root = psutil.Process(proc.pid)
        rows = [("serve" if workers > 1 else "serve (the worker)", memory(proc.pid, copy_dir))]
        for child in root.children(recursive=True):
            cmd = " ".join(child.cmdline())
            try:
                maps = Path(f"/proc/{child.pid}/maps").read_text()
            except OSError:
                maps = ""
            if "milvus-lite" in cmd or "milvus_lite" in cmd:
                name = "Milvus Lite server"
            elif "api.offload" in cmd:
                name = "consultation process"  # one worker's consultations run in a child (round 10)
            elif "resource_tracker" in cmd:
                name = "resource tracker"
            elif "rag.knowledge.embedders.shared" in cmd or (
                    "multiprocessing" not in cmd and child.ppid() == proc.pid and ("openvino" in maps or "onnxruntime" in maps)):
                name = "shared embedder"  # forked from serve (same command line): the one child with the model's runtime
            elif "multiprocessing" in cmd or child.ppid() == proc.pid:
                name = "worker"
            elif child.ppid() != proc.pid and "openvino" not in maps and "onnxruntime" not in maps:
                name = "other (a worker's child)"
            else:
                name = f"other ({child.name()})"
            rows.append((name, memory(child.pid, copy_dir)))
        return rows
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--chunks", type=int, default=100_000, help="size of the knowledge base built when --data-dir has none")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--requests", type=int, default=6, help="consultations sent before measuring")
    ap.add_argument("--server-python", default="", help="interpreter of the checkout to measure (default this one)")
    ap.add_argument("--server-cwd", default="", help="checkout to measure (default this one)")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--workers-flag", action="store_true",
                    help="start serve with --workers N instead of CLINRAG_WORKERS=N (what a user types)")
    args = ap.parse_args()
    args.data_dir = args.data_dir.resolve()
    if not (args.data_dir / "milvus.db").exists():
        build(args.data_dir, args.chunks)
    totals: dict[int, float] = {}
    print("| workers | process | RSS MiB | PSS MiB | USS MiB | search copy files RSS / PSS MiB |")
    print("|---:|---|---:|---:|---:|---:|")
    for n in [int(w) for w in args.workers.split(",")]:
        rows = measure(args, n)
        for name, m in rows:
            print(f"| {n} | {name} | {m['rss']:.0f} | {m['pss']:.0f} | {m['uss']:.0f} | {m['copy_rss']:.0f} / {m['copy_pss']:.0f} |",
                  flush=True)
        totals[n] = sum(m["pss"] for name, m in rows if name != "Milvus Lite server")
        print(f"| {n} | **API processes, total PSS** | | **{totals[n]:.0f}** | | |", flush=True)
    counts = sorted(totals)
    for a, b in zip(counts, counts[1:], strict=False):
        print(f"\nper extra worker ({a} -> {b}): {(totals[b] - totals[a]) / (b - a):.0f} MiB of PSS")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
