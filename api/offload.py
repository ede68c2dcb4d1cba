"""Consultations in a child process: the serving process accepts, admits and answers; a consultation process computes.

With the consultations in the serving process's own threads, the event loop shares the interpreter lock with their
Python. The gate (api.gate) lets one consultation thread run Python at a time, but under a 3x overload the loop
still waited for the lock after every `epoll` and `send`, and a 503 took 0.4-26 s at p99 with one worker (bench/
RESULTS.md, "Consultation throughput, round 9"). Here the consultation pipeline runs in `CLINRAG_CONSULT_PROCESSES`
child processes (`python -m api.offload`), each with its own interpreter, backends and pool of gated threads (the
same arrangement a serving process had). The serving process keeps HTTP, the admission slots, the key check and
the body's validation; its event loop has no consultation thread to wait for, so a full service's 503 costs only
the loop's own few hundred microseconds of Python.

Protocol, over a socketpair made for each child: frames of a 4-byte big-endian length and a pickle. The parent
sends the Settings first; the child loads and warms its backends and answers `("ready", pid)`. Then the parent
sends `("consult", id, request, caller, trace_id, deadline)` and the child answers `(id, "ok", ConsultOutcome)` or
`(id, "error", exception type name)` (never the exception's text: it may quote the patient) once consult() has
returned, i.e. after the audit record is committed. `("stop",)` (or the socket closing) makes the child finish what
it was given, answer it, and exit. A child that dies fails its pending consultations with ConsultProcessLost (the
route answers them with the triage result, as for any failure outside the steps) and is not used again; the
serving process then runs new consultations in its own threads.

Deadlines are time.monotonic() values: on Linux CLOCK_MONOTONIC is one clock for every process of the machine.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from typing import Any

from rag.settings import Settings

__all__ = ["ConsultProcess", "ConsultProcessLost", "RemoteFailure", "Offload", "offload_wanted"]

log = logging.getLogger("clinrag.api.offload")

_HEADER = struct.Struct("!I")


class ConsultProcessLost(RuntimeError):
    """The consultation process ended before it answered."""


class RemoteFailure(RuntimeError):
    """consult() raised in the consultation process; `type_name` is its exception's type (the text is not sent)."""

    def __init__(self, type_name: str) -> None:
        super().__init__(type_name)
        self.type_name = type_name


def offload_wanted(settings: Settings, owns_backends: bool) -> bool:
    """Whether a serving process runs its consultations in child processes: asked for, one API worker (with several
    each worker is a process already), backends of its own (a test's shared backends live in the test's process),
    and a Milvus that two processes can use (a server, or the Lite server `clinrag serve` starts; an embedded Lite
    folder opens in one process only)."""
    if settings.consult_process_count() <= 0 or settings.workers > 1 or not owns_backends:
        return False
    if settings.milvus_uri:  # a server; a local file path would be a Lite folder opened by one process
        return "://" in settings.milvus_uri and not settings.milvus_uri.startswith("file:")
    from rag.knowledge.milvus import lite_server_address

    return lite_server_address(settings.data_dir) is not None


# --- the serving process's side ---------------------------------------------------------------------------------


class ConsultProcess:
    """One consultation process and its socket, driven from the serving process's event loop."""

    def __init__(self, settings: Settings, index: int = 0) -> None:
        self.settings = settings
        self.index = index
        self.proc: subprocess.Popen[bytes] | None = None
        self.alive = False
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count()
        self._reading: asyncio.Task[None] | None = None
        self._closing = False
        self.embed_dim = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    async def start(self, timeout_s: float = 600.0) -> None:
        """Start the child and wait until its backends are warm; ConsultProcessLost when it does not get there."""
        from api.serve import _die_with_parent

        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            # started from the event loop's thread, which lives as long as the server: the child's parent-death
            # signal is tied to the thread that forked it
            self.proc = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "api.offload", "--fd", str(child.fileno())],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )  # noqa: PLW1509
        finally:
            child.close()
        self._reader, self._writer = await asyncio.open_unix_connection(sock=parent)
        self._write(("settings", self.settings))
        try:
            first = await asyncio.wait_for(self._read_frame(), timeout_s)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError) as exc:
            self._kill()
            raise ConsultProcessLost(f"the consultation process did not start ({type(exc).__name__})") from None
        if not (isinstance(first, tuple) and first[:1] == ("ready",)):
            self._kill()
            raise ConsultProcessLost("the consultation process did not start (no ready message)")
        self.embed_dim = int(first[2])
        self.alive = True
        self._reading = asyncio.create_task(self._read_loop(), name=f"consult-process-{self.index}")

    def submit(self, request: Any, caller: str, trace_id: str, deadline: float) -> asyncio.Future[Any]:
        """Send one consultation; the future gets its ConsultOutcome (or RemoteFailure / ConsultProcessLost)."""
        if not self.alive:
            raise ConsultProcessLost("the consultation process is not running")
        rid = next(self._ids)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        try:
            self._write(("consult", rid, request, caller, trace_id, deadline))
        except Exception:
            self._pending.pop(rid, None)
            raise
        return fut

    def _write(self, message: object) -> None:
        assert self._writer is not None
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self._writer.write(_HEADER.pack(len(data)) + data)

    async def _read_frame(self) -> Any:
        assert self._reader is not None
        (size,) = _HEADER.unpack(await self._reader.readexactly(_HEADER.size))
        return pickle.loads(await self._reader.readexactly(size))  # noqa: S301 - our own child over a socketpair

    async def _read_loop(self) -> None:
        try:
            while True:
                rid, kind, value = await self._read_frame()
                fut = self._pending.pop(rid, None)
                if fut is None or fut.done():
                    continue
                if kind == "ok":
                    fut.set_result(value)
                else:
                    fut.set_exception(RemoteFailure(str(value)))
        except (asyncio.IncompleteReadError, ConnectionError, EOFError, pickle.UnpicklingError):
            pass
        finally:
            self.alive = False
            if not self._closing:
                log.error(
                    "consultation process %s ended unexpectedly (exit code %s); consultations run in this process now",
                    self.pid,
                    self.proc.poll() if self.proc is not None else None,
                )
            lost = list(self._pending.values())
            self._pending.clear()
            for fut in lost:
                if not fut.done():
                    fut.set_exception(ConsultProcessLost("the consultation process ended before it answered"))
            if lost:
                log.error("consultation process %s ended with %d consultations unanswered", self.pid, len(lost))

    async def close(self, timeout_s: float) -> None:
        """Let the child answer what it was given (their audit records are committed), then stop it."""
        self._closing = True
        if self._writer is not None and self.alive:
            try:
                self._write(("stop",))
                await self._writer.drain()
            except (ConnectionError, RuntimeError):
                pass
        if self._reading is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._reading), timeout_s)
            except TimeoutError:
                log.error("consultation process %s did not finish within %.0f s; stopping it", self.pid, timeout_s)
        if self.proc is not None:
            deadline = time.monotonic() + 15
            while self.proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            self._kill()
        if self._writer is not None:
            self._writer.close()
        if self._reading is not None and not self._reading.done():
            self._reading.cancel()

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


class Offload:
    """The serving process's consultation processes; a consultation goes to the one with the fewest pending."""

    def __init__(self, processes: list[ConsultProcess]) -> None:
        self.processes = processes

    @classmethod
    async def start(cls, settings: Settings, timeout_s: float = 600.0) -> Offload:
        procs = [ConsultProcess(settings, i) for i in range(settings.consult_process_count())]
        started: list[ConsultProcess] = []
        try:
            for p in procs:  # one after the other: two model loads at once on a small machine take as long, with more memory
                await p.start(timeout_s)
                started.append(p)
        except BaseException:
            for p in started:
                await p.close(30)
            raise
        return cls(procs)

    @property
    def alive(self) -> bool:
        return any(p.alive for p in self.processes)

    def submit(self, request: Any, caller: str, trace_id: str, deadline: float) -> asyncio.Future[Any]:
        live = [p for p in self.processes if p.alive]
        if not live:
            raise ConsultProcessLost("no consultation process is running")
        return min(live, key=lambda p: p.pending).submit(request, caller, trace_id, deadline)

    async def close(self, timeout_s: float) -> None:
        await asyncio.gather(*(p.close(timeout_s) for p in self.processes))


# --- the consultation process ---------------------------------------------------------------------------------


class _Channel:
    """The child's end: blocking reads on the main thread, whole-frame writes from the pool's threads."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._lock = threading.Lock()

    def read(self) -> Any:
        header = self._exactly(_HEADER.size)
        if header is None:
            return None
        (size,) = _HEADER.unpack(header)
        data = self._exactly(size)
        return None if data is None else pickle.loads(data)  # noqa: S301 - our parent over a socketpair

    def _exactly(self, n: int) -> bytes | None:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return bytes(buf)

    def write(self, message: object) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self.sock.sendall(_HEADER.pack(len(data)) + data)


def _answer(channel: _Channel, rid: int, fut: Future[Any]) -> None:
    exc = fut.exception()
    try:
        if exc is not None:
            log.error("consultation failed outside its steps (%s)", type(exc).__name__)
            channel.write((rid, "error", type(exc).__name__))
            return
        try:
            channel.write((rid, "ok", fut.result()))
        except (pickle.PicklingError, TypeError, AttributeError) as pexc:
            channel.write((rid, "error", type(pexc).__name__))
    except OSError:  # the serving process is gone: nobody to answer (the record is committed)
        pass


def serve_consultations(channel: _Channel) -> int:
    """The consultation process: warm up, say ready, run what arrives until told to stop."""
    from api.app import _serve_embedder, _warm
    from api.gate import GatedPool, PythonGate, gated_backends
    from rag.backends import Backends
    from rag.consult import consult
    from rag.knowledge.embedders.shared import release_free_memory

    first = channel.read()
    if not (isinstance(first, tuple) and first[:1] == ("settings",)):
        return 2
    settings: Settings = first[1]
    backends = Backends(settings)
    batcher = _serve_embedder(backends, threads=True)
    _warm(backends)
    release_free_memory()
    gate = PythonGate(settings.consult_python)
    pool = GatedPool(gate, max_workers=min(settings.max_concurrency, settings.consult_process_threads),
                      thread_name_prefix="consult")
    gated = gated_backends(backends, gate)
    channel.write(("ready", os.getpid(), backends.embedder.dim))
    try:
        while True:
            message = channel.read()
            if message is None or message[0] == "stop":
                break
            _, rid, request, caller, trace_id, deadline = message
            fut = pool.submit(consult, request, gated, caller=caller, trace_id=trace_id, deadline=deadline)
            fut.add_done_callback(functools.partial(_answer, channel, rid))
    finally:
        pool.shutdown(wait=True)  # every consultation given is answered (and so recorded) before the process ends
        if batcher is not None:
            batcher.close()
        backends.close()
        try:
            channel.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        channel.sock.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] != "--fd":
        print("usage: python -m api.offload --fd N (started by the API)", file=sys.stderr)
        return 2
    # ^C reaches the whole process group; the serving process stops this one itself after its in-flight work
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # as `clinrag serve` logs: clinrag's own loggers at INFO (they never carry patient text), other libraries' at WARNING
    logging.basicConfig(level=logging.WARNING, format=f"%(levelname)s:     [consultations {os.getpid()}] %(name)s: %(message)s")
    logging.getLogger("clinrag").setLevel(logging.INFO)
    return serve_consultations(_Channel(socket.socket(fileno=int(argv[1]))))


if __name__ == "__main__":
    raise SystemExit(main())
