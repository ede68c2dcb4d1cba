"""CPU one consultation costs end to end in `clinrag serve` (issue 14 item 5, round 8): the serving process's CPU
time (user + system, every thread, not its Milvus Lite child) per POST /v1/consultations, split into the event loop
(the main thread: HTTP, middleware, request and response models, admission) and the other threads (the consultation
pool, the micro-batching embedder's thread, anyio's thread for the key check); then its children's (the consultation
processes of api.offload, the Milvus Lite server) and the load generator's own. With --py-spy, each thread's Python
name comes from a `py-spy dump` (which pool it belongs to).

    .venv/bin/python bench/serve_cpu.py --data-dir <copy of a kb> [--requests 600] [--clients 8] [--py-spy PATH]

bench/load.py's questions, a warm-up of 48 requests first. Uses bench/load.py's server start (a fresh key)."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import QUESTIONS, start_server  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _cpu(path: str) -> float:
    fields = Path(path).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def threads(pid: int) -> dict[int, float]:
    out: dict[int, float] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            out[int(tid)] = _cpu(f"/proc/{pid}/task/{tid}/stat")
        except OSError:
            continue
    return out


async def _send(url: str, key: str, total: int, clients: int) -> int:
    it = iter(range(total))
    ok = 0
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        async def worker() -> None:
            nonlocal ok
            for i in it:
                r = await client.post("/v1/consultations", json={"symptoms": QUESTIONS[i % len(QUESTIONS)], "age": 20 + i % 50},
                                      headers={"Authorization": f"Bearer {key}"})
                ok += r.status_code == 200
        await asyncio.gather(*(worker() for _ in range(clients)))
    return ok


def children(pid: int) -> dict[str, float]:
    """CPU seconds of the serving process's children by kind: its consultation processes (api.offload) and the
    Milvus Lite server `clinrag serve` starts."""
    import psutil

    out: dict[str, float] = {}
    for child in psutil.Process(pid).children(recursive=True):
        try:
            cmd = " ".join(child.cmdline())
            t = child.cpu_times()
        except psutil.Error:
            continue
        kind = "consultation processes" if "api.offload" in cmd else "Milvus Lite server" if "milvus" in cmd else "other children"
        out[kind] = out.get(kind, 0.0) + t.user + t.system
    return out


def _names(pid: int, py_spy: str) -> dict[int, str]:
    dump = subprocess.run([py_spy, "dump", "-p", str(pid)], capture_output=True, text=True, check=False).stdout
    names: dict[int, str] = {}
    for line in dump.splitlines():
        m = re.match(r'Thread (\S+) \(([^)]*)\): "([^"]*)"', line)
        if m:
            tid = m.group(1)
            names[int(tid, 16) if tid.startswith("0x") else int(tid)] = re.sub(r"_\d+$", "_N", m.group(3))
    return names


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True, help="a knowledge base (used in place: pass a copy)")
    ap.add_argument("--requests", type=int, default=600)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--py-spy", help="path of py-spy, to name the threads")
    args = ap.parse_args()
    proc, url, key = start_server(args.data_dir, Path("guidelines"), args.clients + 4, 1)
    try:
        asyncio.run(_send(url, key, 48, args.clients))
        before, kids0, own0, t0 = threads(proc.pid), children(proc.pid), time.process_time(), time.perf_counter()
        ok = asyncio.run(_send(url, key, args.requests, args.clients))
        after, kids1, own1, wall = threads(proc.pid), children(proc.pid), time.process_time(), time.perf_counter() - t0
        names = _names(proc.pid, args.py_spy) if args.py_spy else {}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    n = args.requests
    per: dict[str, float] = {}
    for tid, cpu in after.items():
        spent = cpu - before.get(tid, 0.0)
        if spent > 0:
            name = "event loop (main thread)" if tid == proc.pid else names.get(tid, "other threads")
            per[name] = per.get(name, 0.0) + spent
    print(f"{n} requests ({ok} answered 200) from {args.clients} clients in {wall:.1f} s ({n / wall:.1f}/s); "
          f"server CPU {1000 * sum(per.values()) / n:.1f} ms per consultation")
    for name, spent in sorted(per.items(), key=lambda x: -x[1]):
        print(f"  {name}: {1000 * spent / n:.1f} ms")
    for kind, spent in sorted(kids1.items()):
        print(f"  child, {kind}: {1000 * (spent - kids0.get(kind, 0.0)) / n:.1f} ms")
    print(f"  this load generator: {1000 * (own1 - own0) / n:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
