"""The Python gate: at most a few pooled threads run Python at a time, so the event loop gets the GIL at once.

A serving process runs its consultations in `CLINRAG_CONSULT_THREADS` threads (8), and every one of them that is
runnable competes for the interpreter lock. CPython hands the lock over every switch interval to *one* of the
waiting threads, so the event loop, woken by a new connection, waited behind the runnable consultation threads
each time it needed the lock again (after every `epoll`, every `send`), a few times per request: under a 3x
overload its callbacks took 7-8x their CPU time in wall time and a 503 took 0.7-1.7 s at p50 (bench/RESULTS.md,
"Overload 503s, round 7"). The loop itself used ~6% of a core.

The gate is a semaphore of `CLINRAG_CONSULT_PYTHON` tokens (1) that a pooled thread holds while it runs Python and
gives back while it waits for something that is not the interpreter: the embedder (the micro-batcher's thread or
the shared embedder process, where the model runs without the GIL) and the audit trail's commit (an fsync). The
other consultation threads wait on the semaphore, asleep, not on the interpreter lock, so the loop competes with
one thread (plus the embedder's) and gets the lock within a switch interval. The consultations' Python was
serialised by the GIL anyway; what overlapped (the model, the fsync, other processes' work) still overlaps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["PythonGate", "GatedPool", "gated_backends"]

T = TypeVar("T")


class PythonGate:
    """`tokens` pooled threads at a time run Python; 0 turns the gate off (every call passes).

    A thread takes its token again after a wait with a time limit (`retake_s`): the wait may have been made while
    holding some other lock (the meaning layer embeds its exemplars once under its own lock), and a thread that
    holds the token may be waiting for that lock. Past the limit the thread runs without a token until its next
    wait; the gate is a bound on contention, never a reason to block."""

    def __init__(self, tokens: int, retake_s: float = 1.0) -> None:
        self.tokens = tokens
        self.retake_s = retake_s
        self._sem = threading.Semaphore(max(tokens, 1))
        self._local = threading.local()

    def holding(self) -> bool:
        return bool(getattr(self._local, "held", False))

    @contextmanager
    def running(self) -> Iterator[None]:
        """Run the body as a gated task: take a token first (a task starts holding no other lock)."""
        if self.tokens <= 0 or getattr(self._local, "inside", False):
            yield
            return
        self._sem.acquire()
        self._local.inside, self._local.held = True, True
        try:
            yield
        finally:
            if self._local.held:
                self._sem.release()
            self._local.inside, self._local.held = False, False

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """Give the token back for the body (a wait for the model, an fsync), take it again after."""
        if self.tokens <= 0 or not getattr(self._local, "inside", False):
            yield
            return
        if self._local.held:
            self._local.held = False
            self._sem.release()
        try:
            yield
        finally:
            self._local.held = self._sem.acquire(timeout=self.retake_s)


class GatedPool(ThreadPoolExecutor):
    """A thread pool whose tasks run holding a token of `gate`."""

    def __init__(self, gate: PythonGate, max_workers: int, thread_name_prefix: str = "") -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self.gate = gate

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        gate = self.gate

        def run() -> T:
            with gate.running():
                return fn(*args, **kwargs)

        return super().submit(run)


class _WaitingCalls:
    """Forwards every attribute of `inner`; the methods named in `waits` give the gate's token back while they run."""

    def __init__(self, inner: Any, gate: PythonGate, waits: Sequence[str]) -> None:
        self._inner = inner
        self._gate = gate
        self._waits = frozenset(waits)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if name not in self._waits or not callable(value):
            return value
        gate = self._gate

        def call(*args: Any, **kwargs: Any) -> Any:
            with gate.waiting():
                return value(*args, **kwargs)

        return call


class _GatedBackends:
    """A view of Backends for pooled work: its embedder's encode calls, its audit trail's appends and a model
    generator's calls wait without the token; everything else is the Backends' own."""

    def __init__(self, inner: Any, gate: PythonGate) -> None:
        self._inner = inner
        self._gate = gate
        self._views: dict[tuple[str, int], _WaitingCalls] = {}

    def _view(self, name: str, waits: Sequence[str]) -> Any:
        obj = getattr(self._inner, name)
        key = (name, id(obj))
        view = self._views.get(key)
        if view is None or view._inner is not obj:
            view = self._views[key] = _WaitingCalls(obj, self._gate, waits)
        return view

    @property
    def embedder(self) -> Any:
        return self._view("embedder", ("embed_query", "embed_documents"))

    @property
    def audit(self) -> Any:
        return self._view("audit", ("append",))

    @property
    def generator(self) -> Any:
        # a model behind HTTP (vLLM) or in-process (torch, which drops the GIL while it computes) is a wait of seconds:
        # holding the token through it would run one consultation at a time. The extractive generator is Python, so
        # it keeps the token like the rest of the pipeline.
        gen = self._inner.generator
        if getattr(gen, "backend", "") == "extractive":
            return gen
        return self._view("generator", ("generate",))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def gated_backends(backends: Any, gate: PythonGate) -> Any:
    """`backends` itself when the gate is off, else a view whose waits give the token back."""
    return backends if gate.tokens <= 0 else _GatedBackends(backends, gate)
