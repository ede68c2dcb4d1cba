"""One embedder process for all API workers: `clinrag serve --workers N` loads the model once.

The model (~150 MiB per process with its runtime) was the biggest thing each worker held for itself.
With several workers, `clinrag serve` starts `python -m rag.knowledge.embedders.shared --socket PATH`
beside them (as it starts the Milvus Lite server): it loads the configured embedder once and answers
on a Unix socket readable by this user only. Each worker's `SharedEmbedder` sends texts and gets
float32 vectors back. The server micro-batches concurrent calls from every worker
(`BatchingEmbedder`), so the query embeddings of the workers' requests share encode calls.

Wire format, both ways: one kind byte, a 4-byte big-endian length, the body. Requests are JSON
(`{"op": "info"|"embed"|"count", "texts": [...]}`); answers are `V` + float32 rows, `J` + JSON, or
`E` + an error message. Texts (patient text among them) are never logged or kept by the server.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import socketserver
import struct
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import BackendUnavailableError

__all__ = ["SharedEmbedder", "release_free_memory", "serve_embedder"]

log = logging.getLogger("clinrag.embed_server")

_HEADER = struct.Struct(">cI")
_MAX_BODY = 256 * 1024 * 1024


def _send(sock: socket.socket, kind: bytes, body: bytes) -> None:
    sock.sendall(_HEADER.pack(kind, len(body)) + body)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        part = sock.recv(min(n - len(buf), 1 << 20))
        if not part:
            raise ConnectionError("the embedder process closed the connection")
        buf += part
    return bytes(buf)


def _recv(sock: socket.socket) -> tuple[bytes, bytes]:
    kind, size = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
    if size > _MAX_BODY:
        raise ConnectionError(f"message of {size} bytes is over the limit")
    return kind, _recv_exact(sock, size)


class SharedEmbedder:
    """An Embedder that asks the embedder process on `path`; one connection per thread, made again after a fork."""

    def __init__(self, path: str | Path, *, timeout_s: float = 120.0) -> None:
        self.path, self.timeout_s = str(path), timeout_s
        self._local = threading.local()
        self._pid = os.getpid()
        info = json.loads(self._call({"op": "info"})[1])
        self.name: str = info["name"]
        self.dim: int = int(info["dim"])
        self.max_tokens: int = int(info["max_tokens"])

    def _conn(self) -> socket.socket:
        if self._pid != os.getpid():  # a forked child never uses its parent's connections
            self._local, self._pid = threading.local(), os.getpid()
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.settimeout(self.timeout_s)
            try:
                conn.connect(self.path)
            except OSError as exc:
                conn.close()
                raise BackendUnavailableError(f"the shared embedder process at {self.path} is not answering: {exc}") from None
            self._local.conn = conn
        return conn

    def _call(self, request: dict[str, Any]) -> tuple[bytes, bytes]:
        body = json.dumps(request, ensure_ascii=False).encode()
        for attempt in (0, 1):  # one retry on a fresh connection (the server restarted, a stale socket)
            conn = self._conn()
            try:
                _send(conn, b"J", body)
                kind, answer = _recv(conn)
                break
            except (OSError, ConnectionError) as exc:
                self.close_connection()
                if attempt:
                    raise BackendUnavailableError(f"the shared embedder process at {self.path} failed: {exc}") from None
        if kind == b"E":
            raise BackendUnavailableError(f"the shared embedder process could not embed: {answer.decode(errors='replace')}")
        return kind, answer

    def close_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def count_tokens(self, text: str) -> int:
        return int(json.loads(self._call({"op": "count", "texts": [text]})[1])[0])

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        _, body = self._call({"op": "embed", "texts": list(texts)})
        rows = np.frombuffer(body, dtype=np.float32).reshape(len(texts), self.dim)
        return rows.astype(np.float64).tolist()


def release_free_memory() -> None:
    """Hand memory that the allocator holds free back to the system (glibc's malloc_trim; elsewhere nothing)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _few_arenas() -> None:
    """One connection thread per worker thread: with glibc's default of up to 8 malloc arenas per core, each
    keeps its freed memory. Two arenas are enough here (the model runs in one batching thread)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        while True:
            try:
                _, body = _recv(self.request)
            except (OSError, ConnectionError, struct.error):
                return
            try:
                req = json.loads(body)
                op = req.get("op")
                if op == "info":
                    e = self.server.embedder
                    _send(self.request, b"J", json.dumps({"name": e.name, "dim": e.dim, "max_tokens": e.max_tokens}).encode())
                elif op == "count":
                    counts = [self.server.embedder.count_tokens(str(t)) for t in req["texts"]]
                    _send(self.request, b"J", json.dumps(counts).encode())
                elif op == "embed":
                    vecs = self.server.embedder.embed_documents([str(t) for t in req["texts"]])
                    _send(self.request, b"V", np.asarray(vecs, dtype=np.float32).tobytes())
                    if len(req["texts"]) > 64:  # a big call (exemplars, an ingest job) leaves freed heap behind
                        release_free_memory()
                else:
                    _send(self.request, b"E", f"unknown op {op!r}".encode())
            except OSError:
                return
            except Exception as exc:  # noqa: BLE001 - the caller gets the reason (never the texts)
                try:
                    _send(self.request, b"E", f"{type(exc).__name__}: {str(exc)[:300]}".encode())
                except OSError:
                    return


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, embedder: Any) -> None:
        self.embedder = embedder
        super().__init__(path, _Handler)


def serve_embedder(socket_path: Path, *, announce: bool = True) -> int:
    """Load the configured embedder (CLINRAG_* settings), then answer on `socket_path` until terminated."""
    import signal

    from rag.backends import Backends
    from rag.knowledge.embedders.batching import BatchingEmbedder
    from rag.settings import load_settings

    _few_arenas()
    settings = load_settings().model_copy(update={"embed_socket": ""})  # this process is the one that loads the model
    if settings.embed_threads == 0 and settings.embedder.startswith("sentence-transformers") and settings.embed_backend != "torch":
        # as in a single serving process (api.app._serve_embedder): one model thread, the parallelism is across
        # requests; the workers' Python runs on the other cores
        settings = settings.model_copy(update={"embed_threads": 1})
    elif settings.embed_threads == 0 and settings.embed_backend == "torch":
        import torch

        torch.set_num_threads(1)
    backends = Backends(settings)
    embedder: Any = backends.embedder
    embedder.embed_query("warm up")  # load the model before answering: callers' first requests are not the slow ones
    release_free_memory()
    if settings.embed_micro_batch > 0:
        embedder = BatchingEmbedder(embedder, max_batch=settings.embed_micro_batch, wait_ms=settings.embed_batch_wait_ms)
    socket_path.unlink(missing_ok=True)
    old = os.umask(0o177)  # the socket: this user only
    try:
        server = _Server(str(socket_path), embedder)
    finally:
        os.umask(old)
    signal.signal(signal.SIGTERM, lambda signum, frame: threading.Thread(target=server.shutdown, daemon=True).start())
    if announce:
        print("ready", flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()
        socket_path.unlink(missing_ok=True)
        if isinstance(embedder, BatchingEmbedder):
            embedder.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="the shared embedder process of `clinrag serve --workers N`")
    ap.add_argument("--socket", type=Path, required=True)
    args = ap.parse_args(argv)
    return serve_embedder(args.socket)


if __name__ == "__main__":
    sys.exit(main())
