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
from typing import Any

from rag.errors import ClinragError
from rag.knowledge.milvus import discard_flushed_wal, lite_server_address
from rag.settings import Settings, load_settings

__all__ = ["serve", "EmbedServer", "LiteServer", "start_embed_server", "start_lite_server"]

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


class EmbedServer:
    """The shared embedder process (rag.knowledge.embedders.shared) of `clinrag serve --workers N`."""

    def __init__(self, proc: Any, folder: Path) -> None:
        self.proc, self.folder = proc, folder  # a multiprocessing Process (forked) or a subprocess.Popen

    @property
    def socket(self) -> Path:
        return self.folder / "embed.sock"

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    def alive(self) -> bool:
        return bool(self.proc.is_alive()) if hasattr(self.proc, "is_alive") else self.proc.poll() is None

    def stop(self, *, keep_folder: bool = False) -> None:
        for attempt in ("terminate", "kill"):
            if self.alive():
                getattr(self.proc, attempt)()
                self._wait(15 if attempt == "terminate" else 5)
        self._wait(0)  # reap it
        if not keep_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _wait(self, timeout: float) -> None:
        if hasattr(self.proc, "join"):
            self.proc.join(timeout)
            return
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass


def _embed_child(socket_path: str) -> None:
    """The shared embedder process when forked from the warmed supervisor (it shares the interpreter's pages)."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C reaches the whole group; serve stops this process itself
    from rag.knowledge.embedders.shared import serve_embedder

    serve_embedder(Path(socket_path), announce=False)


def start_embed_server(settings: Settings, *, fork: bool = False, timeout_s: float = 600.0) -> EmbedServer:
    """Start the shared embedder process and wait until its model is loaded; ClinragError says why it could not.

    fork=True forks it from this process (call it after `preload_for_workers`, before any thread or model exists
    here): the interpreter and the modules it loaded stay shared with the supervisor and the workers."""
    folder = Path(tempfile.mkdtemp(prefix="clinrag-embed-"))  # 0700, and a short path (sockets allow ~100 bytes)
    sock = folder / "embed.sock"
    log_path = settings.data_dir / "embed-server.log"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if fork:
        import multiprocessing

        proc: Any = multiprocessing.get_context("fork").Process(target=_embed_child, args=(str(sock),), name="clinrag-embedder",
                                                                  daemon=False)
        proc.start()
    else:
        with log_path.open("ab") as log_file:
            proc = subprocess.Popen([sys.executable, "-m", "rag.knowledge.embedders.shared", "--socket", str(sock)],
                                    stdout=subprocess.DEVNULL, stderr=log_file, stdin=subprocess.DEVNULL,
                                    preexec_fn=_die_with_parent)  # noqa: PLW1509
    server = EmbedServer(proc, folder)
    deadline = time.monotonic() + timeout_s
    while True:  # ready once the socket answers (the server binds it after loading the model)
        if sock.exists():
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                    probe.connect(str(sock))
                return server
            except OSError:
                pass
        if not server.alive() or time.monotonic() > deadline:
            server.stop()
            tail = log_path.read_text(errors="replace")[-2000:].strip().splitlines()[-3:] if log_path.exists() else []
            raise ClinragError(f"the shared embedder process did not start: {' | '.join(tail) or 'no output'} (log: {log_path})")
        time.sleep(0.1)


# loaded per worker after the fork, never in the supervisor: they start threads (the model's thread pools, gRPC
# channels) that a forked child would not have
_NOT_BEFORE_FORK = ("openvino", "onnxruntime", "torch", "sentence_transformers", "transformers", "tokenizers")

# third-party modules every worker imports while it starts (the Milvus client and what it pulls in: pandas,
# pyarrow, grpc, protobuf, requests; scipy.sparse for the search copy; anyio's thread pool for sync routes):
# ~800 modules, ~40 MiB of module objects per worker when each imports them after the fork. Imported in the
# supervisor they are shared copy-on-write. Importing them makes no channel or socket; the only native threads
# they start (OpenBLAS' pool with numpy, which the supervisor has anyway, and the background purge thread of
# Arrow's bundled jemalloc) come with fork handlers of their own (pthread_atfork).
_WORKER_IMPORTS = ("pymilvus", "pymilvus.exceptions", "grpc._channel", "grpc._interceptor", "grpc.experimental", "scipy.sparse",
                   "anyio._backends._asyncio")


def preload_for_workers() -> list[str]:
    """Load, in the supervisor, what every worker would otherwise load the same way: the modules of the app and
    the library and the third-party modules a worker imports while it starts (the Milvus client with pandas and
    pyarrow, scipy.sparse), jieba's dictionary and the medical word list, the red-flag rule tables and concept
    bank, the de-identification patterns and the ICD-10-CM index. All of it is plain data (no threads, sockets or files
    kept open), so processes forked afterwards share its pages copy-on-write. Returns the modules that must not
    be loaded before a fork and were (empty when all is well)."""
    import importlib
    import pkgutil

    import api
    import rag

    for pkg in (rag, api):
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if ".embedders." in info.name and not info.name.endswith((".base", ".batching", ".cache", ".shared")):
                continue  # a backend module may import its runtime; each process loads its own after the fork
            try:
                importlib.import_module(info.name)
            except ImportError:  # an optional backend (postgres, transformers generator) not installed
                continue
    for name in _WORKER_IMPORTS:
        try:
            importlib.import_module(name)
        except ImportError:  # the worker reports it when it needs it
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
    from rag.safety.similar_cases import load_model

    load_model()
    # the collector of every process forked from here (the shared embedder first, then the workers) leaves these
    # objects alone: a collection walking them would write to their pages and copy them
    import gc

    gc.collect()
    gc.freeze()
    return sorted(m for m in sys.modules if m.split(".")[0] in _NOT_BEFORE_FORK)


def _prepare_fork(embed_socket: str | None) -> None:
    """Last steps in the supervisor before it forks the workers (after `preload_for_workers`): with a shared
    embedder, the meaning layer's exemplar vectors are computed here once; the collector is frozen
    (`gc.freeze()` keeps it from touching, and so copying, the shared objects) and freed heap handed back."""
    import gc

    if embed_socket:
        from rag.knowledge.embedders.shared import SharedEmbedder
        from rag.safety.meaning import _exemplar_matrix, load_bank

        shared = SharedEmbedder(embed_socket)
        _exemplar_matrix(shared, load_bank())
        shared.close_connection()  # each worker makes its own connections
    gc.collect()
    gc.freeze()
    from rag.knowledge.embedders.shared import release_free_memory

    release_free_memory()  # what the imports and the ICD-10 build freed is not copied into every worker


def _embed_child_again(socket_path: str, close_fds: list[int]) -> None:
    """A shared embedder forked again by the supervisor (api.prefork) after the first one died: without the
    supervisor's listening socket and signal wake-up pipe, with the default signal state."""
    signal.set_wakeup_fd(-1)
    for fd in close_fds:
        try:
            os.close(fd)
        except OSError:
            pass
    for sig in (signal.SIGCHLD, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGCHLD})
    _embed_child(socket_path)


def restart_embed_server(server: EmbedServer, close_fds: list[int]) -> int:
    """Fork the shared embedder process again on the same socket path (the workers reconnect to the path on their
    next call); returns its pid. Does not wait for the model to load: the supervisor goes on tending the workers."""
    import multiprocessing

    server.stop(keep_folder=True)  # reap the dead one
    server.socket.unlink(missing_ok=True)
    proc = multiprocessing.get_context("fork").Process(target=_embed_child_again, args=(str(server.socket), close_fds),
                                                       name="clinrag-embedder", daemon=False)
    proc.start()
    server.proc = proc
    return int(proc.pid or 0)


def _prefork_blocker(settings: Settings) -> str:
    """Why `--workers N` cannot fork its workers from a warmed supervisor here ('' when it can)."""
    from api.prefork import fork_unavailable

    if not settings.prefork:
        return "CLINRAG_PREFORK=false"
    return fork_unavailable()


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
    embed_server: EmbedServer | None = None
    multiproc_dir: str | None = None
    set_workers_env: str | None = "(unset)"
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
        forking = False
        if workers > 1:
            # each worker's settings say it is one of several (so it starts no consultation child process of its own)
            set_workers_env = os.environ.get("CLINRAG_WORKERS")
            os.environ["CLINRAG_WORKERS"] = str(workers)
            blocker = _prefork_blocker(settings)
            if not blocker:
                loaded = preload_for_workers()
                if loaded:
                    blocker = (f"{', '.join(loaded)} loaded before the fork (a model runtime starts threads a fork would "
                               "not copy)")
            if blocker:
                print(f"warning: workers are spawned by uvicorn, not forked from a warmed supervisor ({blocker}): each "
                      "loads everything itself, which costs more memory per worker", file=sys.stderr)
            forking = not blocker
        if workers > 1 and settings.share_embedder and not settings.embed_socket:
            try:
                embed_server = start_embed_server(settings, fork=forking)
            except ClinragError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            os.environ["CLINRAG_EMBED_SOCKET"] = str(embed_server.socket)  # every worker's settings read it
            print(f"shared embedder process at {embed_server.socket} (pid {embed_server.pid})", file=sys.stderr)
        uv_options: dict[str, Any] = {
            "factory": True, "host": host, "port": port, "workers": workers, "access_log": False,
            "log_config": _log_config(), "timeout_graceful_shutdown": max(5, int(settings.request_deadline_s)),
            "proxy_headers": False}
        if forking:
            from api.prefork import Supervisor

            _prepare_fork(str(embed_server.socket) if embed_server is not None else None)
            supervisor = Supervisor(uvicorn.Config("api.app:create_app", **uv_options), workers,
                                    grace_s=uv_options["timeout_graceful_shutdown"])
            if embed_server is not None:
                es = embed_server
                supervisor.embedder_alive = es.alive
                supervisor.restart_embedder = lambda fds: restart_embed_server(es, fds)
            print(f"workers forked from this supervisor (pid {os.getpid()})", file=sys.stderr)
            return supervisor.run()
        try:
            uvicorn.run("api.app:create_app", **uv_options)
        except SystemExit as exc:  # uvicorn exits this way when it cannot bind; we on SIGTERM
            return int(exc.code or 0) if isinstance(exc.code, int) else 1
        except KeyboardInterrupt:
            return 0
        return 0
    finally:
        if set_workers_env != "(unset)":
            if set_workers_env is None:
                os.environ.pop("CLINRAG_WORKERS", None)
            else:
                os.environ["CLINRAG_WORKERS"] = set_workers_env
        if embed_server is not None:
            embed_server.stop()
            os.environ.pop("CLINRAG_EMBED_SOCKET", None)
        if server is not None:
            server.stop()
        if multiproc_dir:
            shutil.rmtree(multiproc_dir, ignore_errors=True)
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
