"""`clinrag serve`: run the HTTP API with uvicorn.

In the embedded default (no CLINRAG_MILVUS_URI) Milvus Lite lets one process open its data folder.
So serve first starts `milvus-lite server` on that folder, on a free loopback port, and advertises
it in `<data_dir>/milvus-server.json`; rag.knowledge.milvus.resolve_uri makes every process that uses the same
data_dir (each API worker, a concurrent `clinrag ingest`, `clinrag ask`) connect to that server
instead of opening the folder. On exit the file is removed and the server stopped.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rag.errors import ClinragError
from rag.knowledge.milvus import discard_flushed_wal, lite_server_address
from rag.settings import Settings, load_settings

__all__ = ["serve", "LiteServer", "start_lite_server"]

log = logging.getLogger("clinrag.serve")

SERVER_FILE = "milvus-server.json"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    # Linux: the Milvus server gets SIGTERM if serve dies, even by SIGKILL (no orphaned lock holder)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class LiteServer:
    """A `milvus-lite server` child process and the file that advertises it."""

    def __init__(self, proc: subprocess.Popen[bytes], host: str, port: int, info_file: Path) -> None:
        self.proc, self.host, self.port, self.info_file = proc, host, port, info_file

    @property
    def uri(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        try:
            data = json.loads(self.info_file.read_text())
            if data.get("pid") == self.proc.pid:
                self.info_file.unlink()
        except (OSError, ValueError):
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start_lite_server(settings: Settings, *, timeout_s: float = 120.0) -> LiteServer:
    """Start `milvus-lite server` on settings' Lite data folder; ClinragError says why when it cannot."""
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    folder = settings.lite_path().resolve()
    exe = shutil.which("milvus-lite") or str(Path(sys.executable).parent / "milvus-lite")
    if not Path(exe).exists():
        raise ClinragError("the `milvus-lite` command is missing; reinstall clinrag (it depends on milvus-lite>=3.2.2)")
    discard_flushed_wal(folder)  # the server replays the folder's log as it opens it
    host, port = "127.0.0.1", free_port()
    log_path = data_dir / "milvus-server.log"
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen([exe, "server", "--data-dir", str(folder), "--host", host, "--port", str(port)],
                                stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                preexec_fn=_die_with_parent)  # noqa: PLW1509
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-4000:]
            if "DataDirLockedError" in tail or "holds the lock" in tail:
                raise ClinragError(
                    f"the Milvus Lite data folder {folder} is locked by another process (a `clinrag ingest`, `clinrag ask` "
                    "or another program that opened it directly). Wait for it to finish or stop it, then start "
                    "`clinrag serve` again; while serve runs, other clinrag commands share the data through its server.")
            last = [line for line in tail.splitlines() if line.strip()][-3:]
            raise ClinragError(f"milvus-lite server exited with code {proc.returncode}: {' | '.join(last)} (log: {log_path})")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise ClinragError(f"milvus-lite server did not accept connections within {timeout_s:.0f} s (log: {log_path})") from None
            time.sleep(0.2)
    info_file = data_dir / SERVER_FILE
    tmp = info_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"host": host, "port": port, "pid": proc.pid}))
    os.replace(tmp, info_file)  # atomic: readers see the old file or the new one
    return LiteServer(proc, host, port, info_file)


def _log_config() -> dict[str, object]:
    from uvicorn.config import LOGGING_CONFIG

    cfg = copy.deepcopy(LOGGING_CONFIG)
    cfg["loggers"]["clinrag"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return cfg


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(0)


# loaded per worker after the fork, never in the supervisor: they start threads (the model's thread pools, gRPC
# channels) that a forked child would not have
_NOT_BEFORE_FORK = ("openvino", "onnxruntime", "torch", "sentence_transformers", "transformers", "tokenizers")


def preload_for_workers() -> list[str]:
    """Load, in the supervisor, what every worker would otherwise load the same way: the modules of the app and
    the library, jieba's dictionary and the medical word list, the red-flag rule tables and concept bank, the
    de-identification patterns and the ICD-10-CM index. All of it is plain data (no threads, sockets or files
    kept open), so workers forked afterwards share its pages copy-on-write; `gc.freeze()` keeps the collector
    from touching (and so copying) them. Returns the modules that must not be loaded before a fork and were
    (empty when all is well)."""
    import gc
    import importlib
    import pkgutil

    import api
    import rag

    for pkg in (rag, api):
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if ".embedders." in info.name and not info.name.endswith((".base", ".batching", ".cache")):
                continue  # a backend module may import its runtime; each worker loads its own after the fork
            try:
                importlib.import_module(info.name)
            except ImportError:  # an optional backend (postgres, transformers generator) not installed
                continue
    from rag.answer.icd10 import lookup_icd10
    from rag.safety.deid import scrub
    from rag.safety.meaning import load_bank
    from rag.safety.triage import triage
    from rag.text import bm25_text

    bm25_text("预热 warm up")
    triage("warm up", age=None, pregnant=None, language="en")
    triage("预热", age=None, pregnant=None, language="zh")
    scrub("warm up")
    load_bank()
    lookup_icd10("fever")
    gc.collect()
    gc.freeze()
    return sorted(m for m in sys.modules if m.split(".")[0] in _NOT_BEFORE_FORK)


def _fork_workers_from_here() -> None:
    """Make uvicorn fork its workers from this process (warmed by `preload_for_workers`) instead of spawning
    fresh interpreters. uvicorn's supervisor runs only its main thread, so the fork copies no thread state;
    each worker then builds its own backends (model, Milvus channel, audit store) in its lifespan, as before."""
    import multiprocessing

    import uvicorn._subprocess as sub

    if not hasattr(sub, "spawn"):
        log.warning("this uvicorn has no _subprocess.spawn; workers are spawned (CLINRAG_PREFORK has no effect)")
        return
    loaded = preload_for_workers()
    if loaded:
        log.warning("not forking workers: %s loaded before the fork; workers are spawned", ", ".join(loaded))
        return
    sub.spawn = multiprocessing.get_context("fork")  # type: ignore[assignment]


def serve(host: str | None = None, port: int | None = None, workers: int | None = None) -> int:
    """Run the API until interrupted; returns the exit status."""
    import uvicorn

    try:
        settings = load_settings()
    except ClinragError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    server: LiteServer | None = None
    multiproc_dir: str | None = None
    if not settings.milvus_uri:
        shared = lite_server_address(settings.data_dir)
        if shared:
            print(f"using the Milvus Lite server already running for {settings.data_dir} at {shared}", file=sys.stderr)
        else:
            try:
                server = start_lite_server(settings)
            except ClinragError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            print(f"Milvus Lite server for {settings.lite_path()} at {server.uri} (pid {server.proc.pid})", file=sys.stderr)
    try:
        if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            multiproc_dir = tempfile.mkdtemp(prefix="clinrag-metrics-")
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = multiproc_dir  # every worker writes here; /metrics sums them
        if not settings.auth:
            print("WARNING: CLINRAG_AUTH=false: the API is open to anyone who can reach it", file=sys.stderr)
        # uvicorn re-raises the signal that stopped it once it has shut down; turn that into a normal
        # return so the finally block below still removes the server file and stops Milvus
        signal.signal(signal.SIGTERM, _exit_on_signal)
        if workers > 1 and settings.prefork:
            _fork_workers_from_here()
        try:
            uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers, access_log=False,
                        log_config=_log_config(), timeout_graceful_shutdown=max(5, int(settings.request_deadline_s)),
                        proxy_headers=False)
        except SystemExit as exc:  # uvicorn exits this way when it cannot bind; we on SIGTERM
            return int(exc.code or 0) if isinstance(exc.code, int) else 1
        except KeyboardInterrupt:
            return 0
        return 0
    finally:
        if server is not None:
            server.stop()
        if multiproc_dir:
            shutil.rmtree(multiproc_dir, ignore_errors=True)
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
