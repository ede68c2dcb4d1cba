"""`clinrag serve --workers 2` on loopback: workers forked by clinrag's own supervisor (api/prefork.py).

Both workers answer consultations on the one listening socket; a worker killed with SIGKILL is replaced by one
forked from the supervisor (same command line: not a spawned interpreter) that answers too; the shared embedder
process killed with SIGKILL is forked again and consultations get their embeddings again; SIGTERM stops
everything with status 0."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from tests.helpers import free_port
from tests.test_api import FEVER_EN

ROOT = Path(__file__).resolve().parent.parent
QUESTION = {"symptoms": "fever and aches for two days", "age": 30}


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clinrag.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def _runtime_loaded(pid: int) -> bool:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return "onnxruntime" in maps or "openvino" in maps or "libtorch" in maps


def _tree(serve_pid: int) -> tuple[set[int], set[int]]:
    """serve's Python children: (workers, shared embedder), told apart by the model runtime in their maps."""
    workers, embedder = set(), set()
    for child in psutil.Process(serve_pid).children():
        try:
            if "milvus" in " ".join(child.cmdline()) or child.status() == psutil.STATUS_ZOMBIE:
                continue
            (embedder if _runtime_loaded(child.pid) else workers).add(child.pid)
        except (psutil.NoSuchProcess, FileNotFoundError, ProcessLookupError):
            continue
    return workers, embedder


def _consult(port: int, key: str, workers: set[int]) -> tuple[dict[str, object], int | None]:
    """One consultation on a fresh connection; the answer and the worker whose socket holds the connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", "/v1/consultations", body=json.dumps(QUESTION),
                     headers={"Content-Type": "application/json", "X-API-Key": key})
        resp = conn.getresponse()
        body = json.loads(resp.read())
        assert resp.status == 200, body
        assert conn.sock is not None
        mine = conn.sock.getsockname()[1]
        for pid in workers:  # the connection is kept alive: the worker that accepted it still holds it
            for c in psutil.Process(pid).net_connections(kind="tcp"):
                if c.raddr and c.raddr.port == mine and c.laddr.port == port:
                    return body, pid
        return body, None
    finally:
        conn.close()


def _until(what: str, check: Callable[[], bool], log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}; log:\n{log.read_text(errors='replace')[-4000:]}"
        time.sleep(0.3)


def _answered_by_each(port: int, key: str, workers: set[int]) -> dict[int, dict[str, object]]:
    """Consultations on fresh connections until each worker has answered one (the kernel hands a connection to
    whichever worker accepts first); at most 60."""
    seen: dict[int, dict[str, object]] = {}
    for _ in range(60):
        body, pid = _consult(port, key, workers)
        if pid is not None:
            seen.setdefault(pid, body)
        if set(seen) == workers:
            break
    return seen


def test_preforked_workers_answer_and_are_replaced_when_killed(tmp_path: Path) -> None:
    data, docs = tmp_path / "data", tmp_path / "docs"
    docs.mkdir()
    (docs / "fever-test.md").write_text(FEVER_EN, encoding="utf-8")
    env = {**os.environ, "CLINRAG_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", "CLINRAG_RATE_LIMIT_PER_MIN": "0"}
    for name in ("CLINRAG_EMBED_SOCKET", "CLINRAG_WORKERS", "CLINRAG_PREFORK"):
        env.pop(name, None)
    assert _cli(env, "ingest", str(docs)).returncode == 0
    key = _cli(env, "keys", "create", "--name", "prefork", "--role", "consult").stdout.strip()
    port, log = free_port(), tmp_path / "serve.log"
    workers, now, embedder, new_embedder = set(), set(), set(), 0
    with log.open("ab") as out:  # --workers on the command line, as a user starts it (no CLINRAG_WORKERS)
        proc = subprocess.Popen([sys.executable, "-m", "clinrag.cli", "serve", "--port", str(port), "--workers", "2"],
                                env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        _until("two workers ready", lambda: log.read_text(errors="replace").count("clinrag API ready") >= 2, log)
        assert "workers forked from this supervisor" in log.read_text()
        workers, embedder = _tree(proc.pid)
        assert len(workers) == 2 and len(embedder) == 1, (workers, embedder)
        supervisor_cmd = psutil.Process(proc.pid).cmdline()
        for pid in workers:
            assert psutil.Process(pid).cmdline() == supervisor_cmd  # forked, not spawned
            assert psutil.Process(pid).children() == []  # no consultation child process per worker
        first = _answered_by_each(port, key, workers)
        assert set(first) == workers, first
        assert all(b["status"] != "degraded" for b in first.values())

        # a worker killed outright is replaced by one forked from the supervisor, which answers too
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        _until("a replacement worker", lambda: len(_tree(proc.pid)[0] - workers) == 1, log)
        _until("the replacement ready", lambda: log.read_text(errors="replace").count("clinrag API ready") >= 3, log)
        now, _ = _tree(proc.pid)
        assert victim not in now and len(now) == 2, now
        (new,) = now - workers
        assert psutil.Process(new).cmdline() == supervisor_cmd and not _runtime_loaded(new)
        second = _answered_by_each(port, key, now)
        assert set(second) == now, second
        assert f"(pid {victim}) was killed by signal 9" in log.read_text()

        # the shared embedder killed outright is forked again on the same socket; consultations embed again
        (old_embedder,) = embedder
        os.kill(old_embedder, signal.SIGKILL)
        _until("a new embedder process", lambda: (e := _tree(proc.pid)[1]) != set() and e != embedder, log)
        (new_embedder,) = _tree(proc.pid)[1]
        assert "forked another from the supervisor" in log.read_text()

        def embeds_again() -> bool:
            body, _ = _consult(port, key, now)
            return body["status"] != "degraded"

        _until("a consultation not degraded after the embedder restart", embeds_again, log)
        assert _tree(proc.pid)[1] == {new_embedder}
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=90)
    assert rc == 0, log.read_text(errors="replace")[-3000:]
    # stopped: no worker or embedder left behind
    gone = [p for p in (*workers, *now, *embedder, new_embedder) if p and psutil.pid_exists(p)
            and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert gone == [], gone


def test_prefork_blocker_says_why_workers_are_spawned() -> None:
    from api.serve import _prefork_blocker
    from rag.settings import Settings

    assert _prefork_blocker(Settings(prefork=False)) == "CLINRAG_PREFORK=false"
    assert _prefork_blocker(Settings()) == ""


_FAILING_APP = """
import sys
from api.prefork import Supervisor
import uvicorn

async def app(scope, receive, send):  # an ASGI app whose startup fails
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no backends"})

sys.exit(Supervisor(uvicorn.Config(app, host="127.0.0.1", port=int(sys.argv[1]), lifespan="on"), 2).run())
"""


def test_a_worker_that_cannot_start_stops_the_supervisor_with_an_error() -> None:
    # uvicorn's startup-failure status from a worker: no endless re-forking, exit 1 and a message saying why
    run = subprocess.run([sys.executable, "-c", _FAILING_APP, str(free_port())], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 1, run.stderr[-3000:]
    assert "failed to start (uvicorn's startup-failure status 3)" in run.stderr
    assert 1 <= run.stderr.count("Started server process") <= 2  # the first workers, no replacement
