"""Test helpers that start real processes."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from fastapi import FastAPI

from api.serve import free_port

__all__ = ["free_port", "free_slots", "live_server", "milvus_lite_server"]


@contextlib.contextmanager
def live_server(app: FastAPI, *, startup_timeout_s: float = 180.0) -> Iterator[str]:
    """Serve `app` on 127.0.0.1:<free port> with uvicorn until the block ends; yields the base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn exited during start-up (see the log above)")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"uvicorn did not start within {startup_timeout_s:.0f} s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)


@contextlib.contextmanager
def milvus_lite_server(data_dir: Path) -> Iterator[str]:
    """A real `milvus-lite server` on a free loopback port; yields its URI."""
    port = free_port()
    exe = shutil.which("milvus-lite") or str(Path(sys.executable).parent / "milvus-lite")
    proc = subprocess.Popen([exe, "server", "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"milvus-lite server exited with {proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("milvus-lite server did not start within 60 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def free_slots(slots: threading.Semaphore | threading.BoundedSemaphore, want: int, *, wait_s: float = 10.0) -> int:
    """How many admission slots are free, once the server has given back those it still holds: the admission middleware
    gives a slot back in a `finally` after the response went out, so a client can read its answer a moment before the
    slot is free. Waits (up to `wait_s`) until `want` are free; this waits for an event and times nothing."""
    deadline = time.monotonic() + wait_s
    while True:
        free = 0
        while slots.acquire(blocking=False):
            free += 1
        for _ in range(free):
            slots.release()
        if free >= want or time.monotonic() > deadline:
            return free
        time.sleep(0.01)

