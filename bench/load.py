"""Load test of POST /v1/consultations on loopback against `clinrag serve` (extractive generator).

Phase 1: N concurrent closed-loop clients for D seconds: throughput, latency percentiles, errors.
Phase 2: open-loop arrivals at 3x the throughput phase 1 sustained: the excess must be turned away
quickly (503 overloaded / 429 rate limited) while memory stays flat (RSS sampled with psutil).

    .venv/bin/python bench/load.py                      # starts its own server on a temp copy of guidelines/
    .venv/bin/python bench/load.py --clients 20 --duration 60 --overload-factor 3 --overload-duration 30
    .venv/bin/python bench/load.py --url http://127.0.0.1:8080 --key crk_...   # an already running server

Prints a Markdown table (latencies as the load generator saw them, from the call to the response), then the same
latencies "on the wire": from the request's headers handed to the socket to the response's headers read, i.e. without
the generator's own waits (for a free connection, for its event loop), which grow when it is short of CPU; and a
probe's: during phase 2 four blocking clients in a process of their own send a consultation every 50 ms between
them (--probe-every-ms) and time each answer. It needs almost no CPU, so its 503 latencies are the server's even when the
open loop's generator is itself waiting for a core (on a busy machine its own lag reaches seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from api.serve import free_port  # noqa: E402

QUESTIONS = [
    "I have had a fever and body aches for two days",
    "sore throat and it hurts to swallow since yesterday",
    "dry cough for a week, no fever",
    "headache behind my eyes every afternoon",
    "diarrhoea three times today and I feel weak",
    "burning when I pass urine and I need to go often",
    "my ankle is swollen after I twisted it playing football",
    "我发烧两天了，全身酸痛",
    "咳嗽一周了，没有发烧",
    "头痛，血压有点高",
    "itchy rash on my arms after gardening",
    "I feel dizzy when I stand up quickly",
]


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, 2xx only
    reject_latencies: list[float] = field(default_factory=list)  # 429/503
    # the same two, from the request's headers handed to the socket to the response's headers read (httpcore's trace):
    # what the server and the kernel took, without the load generator's own wait for a connection and for its loop
    wire_latencies: list[float] = field(default_factory=list)
    wire_reject_latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    offered: int = 0

    @property
    def ok(self) -> int:
        return self.statuses.get("200", 0)

    @property
    def errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s not in {"200", "429", "503"})


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


async def _one(client: httpx.AsyncClient, key: str, i: int, phase: Phase) -> None:
    body = {"symptoms": QUESTIONS[i % len(QUESTIONS)], "age": 20 + i % 50}
    marks: dict[str, float] = {}

    async def trace(event: str, info: object) -> None:
        if event in _WIRE_EVENTS:
            marks[event] = time.perf_counter()

    t0 = time.perf_counter()
    try:
        r = await client.post("/v1/consultations", json=body, headers={"Authorization": f"Bearer {key}"},
                              extensions={"trace": trace})
        status = str(r.status_code)
    except httpx.HTTPError as exc:
        status = type(exc).__name__
    dt = time.perf_counter() - t0
    phase.statuses[status] += 1
    sent, answered = marks.get(_WIRE_EVENTS[0]), marks.get(_WIRE_EVENTS[1])
    wire = answered - sent if sent is not None and answered is not None else None
    if status == "200":
        phase.latencies.append(dt)
        if wire is not None:
            phase.wire_latencies.append(wire)
    elif status in {"429", "503"}:
        phase.reject_latencies.append(dt)
        if wire is not None:
            phase.wire_reject_latencies.append(wire)


_WIRE_EVENTS = ("http11.send_request_headers.started", "http11.receive_response_headers.complete")


async def closed_loop(url: str, key: str, clients: int, duration: float) -> Phase:
    phase = Phase(f"{clients} clients, closed loop")
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        end = time.perf_counter() + duration
        counter = iter(range(10**9))

        async def worker() -> None:
            while time.perf_counter() < end:
                phase.offered += 1
                await _one(client, key, next(counter), phase)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        phase.seconds = time.perf_counter() - t0
    return phase


async def open_loop(url: str, key: str, rate: float, duration: float, max_in_flight: int) -> Phase:
    phase = Phase(f"open loop at {rate:.1f} req/s")
    limits = httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        tasks: set[asyncio.Task[None]] = set()
        t0 = time.perf_counter()
        i = 0
        while (now := time.perf_counter()) - t0 < duration:
            due = int((now - t0) * rate)
            while i < due:
                if len(tasks) >= max_in_flight:  # the load generator's own cap; counted as dropped
                    phase.statuses["client-dropped"] += 1
                else:
                    task = asyncio.create_task(_one(client, key, i, phase))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                phase.offered += 1
                i += 1
            await asyncio.sleep(0.002)
        if tasks:
            await asyncio.gather(*tasks)
        phase.seconds = time.perf_counter() - t0
    return phase


def _probe_run(url: str, key: str, start: float, seconds: float, every_s: float, conn: Any, lanes: int = 4) -> None:
    """Blocking clients in a process of their own: together a consultation every `every_s`, from `lanes` threads with a
    kept-alive connection each (an admitted one waits for its answer; the other lanes go on), each timed from its bytes
    handed to the socket to the whole response read. They use almost no CPU, so unlike the open loop's generator they
    are not themselves waiting for a core when the machine is busy; their 503 latencies are the server's."""
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    body = json.dumps({"symptoms": QUESTIONS[0], "age": 30}).encode()
    request = (f"POST /v1/consultations HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {key}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    results: list[tuple[int, float]] = []

    def lane(first: float) -> None:
        sock: socket.socket | None = None
        due = first
        while (now := time.monotonic()) < start + seconds:
            if now < due:
                time.sleep(due - now)
            due += every_s * lanes
            try:
                if sock is None:
                    sock = socket.create_connection((host, int(port)), timeout=120)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                t0 = time.perf_counter()
                sock.sendall(request)
                status, close = _read_response(sock)
                results.append((status, time.perf_counter() - t0))
            except OSError:
                close = True
                results.append((-1, float("nan")))
            if close and sock is not None:
                sock.close()
                sock = None

    threads = [threading.Thread(target=lane, args=(start + i * every_s,)) for i in range(lanes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conn.send(results)
    conn.close()


def _read_response(sock: socket.socket) -> tuple[int, bool]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
    need = int(headers.get("content-length", "0")) - len(rest)
    while need > 0:
        chunk = sock.recv(min(need, 65536))
        if not chunk:
            raise ConnectionError("closed")
        need -= len(chunk)
    return int(lines[0].split()[1]), headers.get("connection", "").lower() == "close"


class RssSampler:
    """Samples the RSS of the API process (and, separately, its children, e.g. the Milvus Lite server)."""

    def __init__(self, pid: int | None, every_s: float = 1.0) -> None:
        self.pid, self.every_s = pid, every_s
        self.api: list[float] = []
        self.children: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        proc = psutil.Process(self.pid)
        while not self._stop.is_set():
            try:
                self.api.append(proc.memory_info().rss / 2**20)
                self.children.append(sum(c.memory_info().rss for c in proc.children(recursive=True)) / 2**20)
            except psutil.Error:
                break
            self._stop.wait(self.every_s)

    def __enter__(self) -> RssSampler:
        if self.pid:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def start_server(data_dir: Path, docs: Path, max_concurrency: int, workers: int,
                 extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str, str]:
    env = {**os.environ, "CLINRAG_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "CLINRAG_RATE_LIMIT_PER_MIN": "0",
           "CLINRAG_MAX_CONCURRENCY": str(max_concurrency), "CLINRAG_WORKERS": str(workers), **(extra_env or {})}
    cli = [sys.executable, "-m", "clinrag.cli"]
    if not (data_dir / "milvus.db").exists():
        print(f"ingesting {docs} into {data_dir} ...", file=sys.stderr)
        subprocess.run([*cli, "ingest", str(docs)], env=env, check=True, stdout=subprocess.DEVNULL)
    key = subprocess.run([*cli, "keys", "create", "--name", f"bench-{os.getpid()}-{int(time.time())}", "--role", "consult"],
                         env=env, check=True, capture_output=True, text=True).stdout.strip()
    port = free_port()
    log = open(data_dir / "bench-serve.log", "ab")  # noqa: SIM115  closed with the process
    proc = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"clinrag serve exited with {proc.returncode}; see {data_dir / 'bench-serve.log'}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return proc, url, key
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("clinrag serve did not become ready within 300 s")


def _fmt_ms(v: float) -> str:
    return "–" if v != v else f"{v * 1000:.0f}"


def table(phases: list[Phase]) -> str:
    rows = ["| phase | duration s | offered | 200 | 503 | 429 | other errors | throughput 200/s | p50 ms | p95 ms | p99 ms "
            "| reject p50 ms | reject p99 ms |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for p in phases:
        rows.append(
            f"| {p.name} | {p.seconds:.1f} | {p.offered} | {p.ok} | {p.statuses.get('503', 0)} | {p.statuses.get('429', 0)} "
            f"| {p.errors} | {p.ok / p.seconds if p.seconds else 0:.1f} | {_fmt_ms(pct(p.latencies, 50))} "
            f"| {_fmt_ms(pct(p.latencies, 95))} | {_fmt_ms(pct(p.latencies, 99))} "
            f"| {_fmt_ms(pct(p.reject_latencies, 50))} | {_fmt_ms(pct(p.reject_latencies, 99))} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="an already running server (default: start `clinrag serve` here)")
    ap.add_argument("--key", help="API key with the consult role (with --url)")
    ap.add_argument("--pid", type=int, help="PID of the API process to sample RSS of (with --url)")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of phase 1")
    ap.add_argument("--overload-factor", type=float, default=3.0, help="phase 2 arrival rate / phase 1 throughput")
    ap.add_argument("--overload-duration", type=float, default=30.0, help="seconds of phase 2")
    ap.add_argument("--max-concurrency", type=int, default=0, help="server CLINRAG_MAX_CONCURRENCY (default clients + 4)")
    ap.add_argument("--workers", type=int, default=1, help="server worker processes")
    ap.add_argument("--probe-every-ms", type=float, default=50.0,
                    help="during phase 2, a separate low-CPU client sends a consultation this often (0: none)")
    ap.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                    help="a setting for the server started here, e.g. CLINRAG_CONSULT_PROCESSES=2 (repeatable)")
    ap.add_argument("--data-dir", type=Path, help="knowledge base to use or create (default: a temp folder)")
    ap.add_argument("--docs", type=Path, default=ROOT / "guidelines", help="what to ingest into a new knowledge base")
    args = ap.parse_args(argv)

    proc = None
    tmp = None
    if args.url:
        if not args.key:
            ap.error("--url needs --key")
        url, key, pid = args.url.rstrip("/"), args.key, args.pid
    else:
        data_dir = args.data_dir or Path(tmp := tempfile.mkdtemp(prefix="clinrag-bench-"))
        extra = dict(item.split("=", 1) for item in args.server_env)
        proc, url, key = start_server(data_dir, args.docs, args.max_concurrency or args.clients + 4, args.workers, extra)
        pid = proc.pid
    try:
        asyncio.run(closed_loop(url, key, min(args.clients, 4), 5))  # warm-up, not reported
        with RssSampler(pid) as rss1:
            p1 = asyncio.run(closed_loop(url, key, args.clients, args.duration))
        sustained = p1.ok / p1.seconds if p1.seconds else 1.0
        rate = max(1.0, sustained * args.overload_factor)
        probe = None
        if args.probe_every_ms > 0:  # forked now, between the phases: no event loop or sampler thread running
            import multiprocessing

            ctx = multiprocessing.get_context("fork")
            probe_in, probe_out = ctx.Pipe(duplex=False)
            start = time.monotonic() + 1.0  # the open loop's first second lets the service fill up
            probe = ctx.Process(target=_probe_run, args=(url, key, start, args.overload_duration - 1.0, args.probe_every_ms / 1000,
                                                         probe_out), daemon=True)
            probe.start()
        with RssSampler(pid) as rss2:
            p2 = asyncio.run(open_loop(url, key, rate, args.overload_duration, max_in_flight=max(64, int(rate * 10))))
        probed = probe_in.recv() if probe is not None else []
        if probe is not None:
            probe.join(timeout=30)
        p2.name = f"{args.overload_factor:g}x overload: open loop at {rate:.1f} req/s"
        print()
        print(table([p1, p2]))
        print()
        for name, s in (("phase 1", rss1), ("phase 2", rss2)):
            if s.api:
                print(f"RSS {name}: API process start {s.api[0]:.0f} MiB, max {max(s.api):.0f} MiB, end {s.api[-1]:.0f} MiB "
                      f"({len(s.api)} samples); children (Milvus Lite server) start {s.children[0]:.0f} MiB, "
                      f"max {max(s.children):.0f} MiB, end {s.children[-1]:.0f} MiB")
        if p1.latencies:
            print(f"phase 1 mean latency {statistics.mean(p1.latencies) * 1000:.0f} ms; statuses {dict(p1.statuses)}")
        print(f"phase 2 statuses {dict(p2.statuses)}")
        if probe is not None:
            refused = [dt for st, dt in probed if st in (429, 503)]
            print(f"probe (4 blocking clients in a process of their own, a request every {args.probe_every_ms:g} ms during phase 2): "
                  f"{len(probed)} requests, statuses {dict(Counter(st for st, _ in probed))}; 503 p50 / p99 / max "
                  f"{_fmt_ms(pct(refused, 50))} / {_fmt_ms(pct(refused, 99))} / {_fmt_ms(max(refused, default=float('nan')))} ms")
        for p in (p1, p2):  # the server's part: from the request's headers sent to the response's headers read
            print(f"on the wire, {p.name}: 200 p50 / p95 / p99 {_fmt_ms(pct(p.wire_latencies, 50))} / "
                  f"{_fmt_ms(pct(p.wire_latencies, 95))} / {_fmt_ms(pct(p.wire_latencies, 99))} ms; reject p50 / p99 / max "
                  f"{_fmt_ms(pct(p.wire_reject_latencies, 50))} / {_fmt_ms(pct(p.wire_reject_latencies, 99))} / "
                  f"{_fmt_ms(max(p.wire_reject_latencies, default=float('nan')))} ms")
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
