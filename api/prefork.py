"""Preforked workers for `clinrag serve --workers N` (issue 14): the supervisor forks them itself.

`api.serve` first loads, in this process, what every worker would load the same way (`preload_for_workers`),
forks the shared embedder process, computes the meaning layer's exemplar vectors through it and freezes the
collector (`gc.freeze()`). Then `Supervisor.run` binds the listening socket once and forks N workers from this
warmed process; each runs `uvicorn.Server(config).run(sockets=[sock])` on the inherited socket (the kernel hands
each connection to one worker's accept), so the workers share the supervisor's pages copy-on-write. Each worker
builds what is not fork-safe (the Milvus client's gRPC channel, the audit store's SQLite or PostgreSQL
connections, thread pools, the Redis client) in the app's lifespan, after the fork, as before.

The supervisor runs on its main thread only and never starts a thread (a fork copies only the forking thread).
It waits for signals with `signal.set_wakeup_fd` and a short `select`, and:

- forks a replacement when a worker exits or is killed (no sooner than `restart_interval_s` after that slot's last
  start, so a crash loop does not spin); a worker that exits with uvicorn's startup-failure status (3: its app
  did not start) stops the service instead, as uvicorn's own supervisor does, since a replacement would fail the
  same way;
- forks the shared embedder process again, on the same socket path, when it dies (the workers' `SharedEmbedder`
  connects again on their next call; consultations made meanwhile fail as when it is down), at most once every 5 s;
- on SIGTERM or SIGINT, sends SIGTERM to every worker (uvicorn's graceful shutdown: in-flight requests finish
  within `grace_s`), waits, SIGKILLs what is left after `grace_s + 10` s, and returns 0.

What uvicorn's own supervisor does and this one does not: ping each worker over a pipe and kill one that stops
answering (a hung worker), SIGHUP restarts and SIGTTIN/SIGTTOU resizing.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any, NoReturn

__all__ = ["Supervisor", "STARTUP_FAILURE", "fork_unavailable"]

log = logging.getLogger("clinrag.serve")

STARTUP_FAILURE = 3  # uvicorn.config.STARTUP_FAILURE: the worker's app did not start
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_BLOCKED = {signal.SIGTERM, signal.SIGINT, signal.SIGCHLD}


def fork_unavailable() -> str:
    """Why this platform cannot prefork workers ('' when it can)."""
    if not hasattr(os, "fork") or not hasattr(signal, "pthread_sigmask") or sys.platform == "win32":
        return "this platform has no fork()"
    return ""


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _flush() -> None:
    for handler in logging.getLogger().handlers + [h for lg in logging.Logger.manager.loggerDict.values()
                                                  if isinstance(lg, logging.Logger) for h in lg.handlers]:
        try:
            handler.flush()
        except Exception:
            pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


class Supervisor:
    """Fork `workers` uvicorn servers from this process on one listening socket, keep them (and the shared embedder
    process, if given) running, stop them on SIGTERM/SIGINT. See the module's docstring."""

    def __init__(self, config: Any, workers: int, *, grace_s: float = 30.0, restart_interval_s: float = 1.0,
                 embedder_alive: Callable[[], bool] | None = None, restart_embedder: Callable[[list[int]], int] | None = None,
                 ) -> None:
        self.config = config  # a uvicorn.Config (app given as an import string or factory: loaded in each worker)
        self.workers = workers
        self.grace_s = grace_s
        self.restart_interval_s = restart_interval_s
        self.embedder_alive = embedder_alive
        self.restart_embedder = restart_embedder  # called with the fds the new process must close; returns its pid
        self.pids: dict[int, int] = {}  # pid -> slot
        self.started_at: dict[int, float] = {}  # slot -> when its current process was forked
        self.pending: dict[int, float] = {}  # slot -> when to fork its replacement
        self.restarts = 0
        self.embedder_restarts = 0
        self.embedder_restart_interval_s = 5.0
        self._embedder_due = 0.0
        self._stop: int | None = None
        self._failed = ""
        self._sock: socket.socket | None = None
        self._wake_r = self._wake_w = -1

    # --- the workers' side ----------------------------------------------------------------------------------------

    def _child_setup(self) -> None:
        """In a freshly forked process: the default signal state, none of the supervisor's own descriptors."""
        signal.set_wakeup_fd(-1)
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for sig in _STOP_SIGNALS:
            signal.signal(sig, _exit_on_signal)  # before uvicorn's own handlers exist, and after it re-raises
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _BLOCKED)

    def _worker_main(self, sock: socket.socket) -> NoReturn:
        code = 1
        try:
            self._child_setup()
            _die_with_parent()
            import uvicorn

            uvicorn.Server(self.config).run(sockets=[sock])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            log.exception("worker %d failed", os.getpid())
        finally:
            _flush()
            os._exit(code)  # never back into serve(): its finally would stop the Milvus server and the embedder

    def _fork_worker(self, slot: int) -> None:
        assert self._sock is not None
        signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCKED)  # no supervisor handler runs in the child before it resets
        try:
            _flush()
            pid = os.fork()
            if pid == 0:
                self._worker_main(self._sock)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _BLOCKED)
        self.pids[pid] = slot
        self.started_at[slot] = time.monotonic()
        log.info("worker %d forked (pid %d)", slot, pid)

    # --- the supervisor -------------------------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: object) -> None:
        if signum in _STOP_SIGNALS and self._stop is None:
            self._stop = signum

    def _reap(self) -> None:
        for pid, slot in list(self.pids.items()):
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if done == 0:
                continue
            del self.pids[pid]
            code = os.waitstatus_to_exitcode(status)
            _mark_dead(pid)
            if self._stop is not None:
                continue
            how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
            if code == STARTUP_FAILURE:
                self._failed = (f"worker {slot} (pid {pid}) failed to start (uvicorn's startup-failure status {code}); "
                                "its log lines above say why. Stopping: a replacement would fail the same way")
                log.error("%s", self._failed)
                self._stop = signal.SIGTERM
                continue
            due = max(time.monotonic(), self.started_at.get(slot, 0.0) + self.restart_interval_s)
            self.pending[slot] = due
            log.warning("worker %d (pid %d) %s; forking a replacement from the supervisor", slot, pid, how)

    def _tend(self) -> None:
        now = time.monotonic()
        for slot, due in sorted(self.pending.items()):
            if due <= now and self._stop is None:
                del self.pending[slot]
                self.restarts += 1
                self._fork_worker(slot)
        if self.embedder_alive is not None and self.restart_embedder is not None and self._stop is None \
                and now >= self._embedder_due and not self.embedder_alive():
            # at most one embedder start per embedder_restart_interval_s: one that dies while loading its model
            # (memory, a broken model file) is not re-forked in a tight loop
            self._embedder_due = now + self.embedder_restart_interval_s
            keep_out = [fd for fd in (self._wake_r, self._wake_w) if fd >= 0]
            if self._sock is not None:
                keep_out.append(self._sock.fileno())
            signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCKED)
            try:
                _flush()
                pid = self.restart_embedder(keep_out)
            except Exception as exc:  # fork failed (memory, process limit): try again later, keep the workers
                log.error("the shared embedder process died and could not be started again (%s: %s); next try in "
                          "%.0f s", type(exc).__name__, exc, self.embedder_restart_interval_s)
                return
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _BLOCKED)
            self.embedder_restarts += 1
            log.warning("the shared embedder process died; forked another from the supervisor (pid %d)", pid)

    def _wait(self, timeout: float) -> None:
        try:
            ready, _, _ = select.select([self._wake_r], [], [], timeout)
        except InterruptedError:  # pragma: no cover (PEP 475 retries; kept for safety)
            return
        if ready:
            try:
                while os.read(self._wake_r, 512):
                    pass
            except BlockingIOError:
                pass

    def _shutdown(self) -> None:
        for pid in list(self.pids):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + self.grace_s + 10
        while self.pids and time.monotonic() < deadline:
            self._reap()
            if self.pids:
                self._wait(0.2)
        for pid in list(self.pids):
            log.warning("worker pid %d still running %.0f s after SIGTERM; killing it", pid, self.grace_s + 10)
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            _mark_dead(pid)
            del self.pids[pid]

    def run(self) -> int:
        """Serve until SIGTERM or SIGINT; 0 then, 1 if a worker could not start, 2 if the address cannot be bound."""
        try:
            self._sock = self.config.bind_socket()  # logs and exits with uvicorn's startup-failure status on error
        except SystemExit:
            return 2
        self._sock.listen(self.config.backlog)  # connections queue from now on, before the first worker accepts
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        previous = {sig: signal.getsignal(sig) for sig in (*_STOP_SIGNALS, signal.SIGCHLD)}
        old_wakeup = signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
        try:
            for sig in _STOP_SIGNALS:
                signal.signal(sig, self._on_signal)
            signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # only to wake the select
            log.info("supervisor pid %d forking %d workers on %s:%s", os.getpid(), self.workers, self.config.host,
                     self._sock.getsockname()[1])
            for slot in range(1, self.workers + 1):
                if self._stop is None:
                    self._fork_worker(slot)
            while self._stop is None:
                self._wait(0.5)
                self._reap()
                self._tend()
            log.info("supervisor: stopping %d workers (signal %d)", len(self.pids), self._stop)
            self._shutdown()
        finally:
            for pid in list(self.pids):  # an exception above: leave no worker behind
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
            signal.set_wakeup_fd(old_wakeup)
            for sig, handler in previous.items():
                if handler is not None:  # None: a handler not set from Python; left as it is
                    signal.signal(sig, handler)
            os.close(self._wake_r)
            os.close(self._wake_w)
            self._sock.close()
        if self._failed:
            print(f"error: {self._failed}", file=sys.stderr)
            return 1
        return 0


def _mark_dead(pid: int) -> None:
    """prometheus_client's multiprocess files: drop a dead worker's live gauges (consultations in flight)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        try:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid)
        except Exception:
            pass
