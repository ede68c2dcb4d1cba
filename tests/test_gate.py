"""api.gate: pooled threads run Python a few at a time and give their token back while they wait (no timing asserts)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from api.gate import GatedPool, PythonGate, gated_backends

GUARD_S = 60  # only a guard against a hang: every wait below ends long before it when the gate works


def test_at_most_tokens_tasks_run_at_once() -> None:
    gate = PythonGate(1)
    pool = GatedPool(gate, max_workers=4)
    lock = threading.Lock()
    active = 0
    most = 0

    def task(i: int) -> int:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        for _ in range(20_000):  # Python work while holding the token
            pass
        with lock:
            active -= 1
        return i

    try:
        assert sorted(f.result(GUARD_S) for f in [pool.submit(task, i) for i in range(12)]) == list(range(12))
    finally:
        pool.shutdown()
    assert most == 1


def test_a_waiting_task_gives_its_token_to_another() -> None:
    gate = PythonGate(1)
    pool = GatedPool(gate, max_workers=2)
    released = threading.Event()

    def waiter() -> bool:
        assert gate.holding()
        with gate.waiting():  # as while the model encodes: the other task may run meanwhile
            assert not gate.holding()
            ok = released.wait(GUARD_S)
        return ok and gate.holding()

    def other() -> None:
        released.set()  # runs only with the token the waiter gave back

    try:
        first = pool.submit(waiter)
        pool.submit(other).result(GUARD_S)
        assert first.result(GUARD_S) is True
    finally:
        pool.shutdown()


def test_a_wait_under_another_lock_does_not_deadlock() -> None:
    # the meaning layer embeds its exemplars under its own lock: the waiter holds that lock while the task that took
    # its token waits for the lock; the waiter goes on without a token after retake_s
    gate = PythonGate(1, retake_s=0.05)
    pool = GatedPool(gate, max_workers=2)
    table_lock = threading.Lock()
    inside = threading.Event()
    blocked = threading.Event()

    def builder() -> bool:
        with table_lock:
            with gate.waiting():
                inside.set()
                assert blocked.wait(GUARD_S)
            took_token_back = gate.holding()
        return took_token_back

    def reader() -> str:
        assert inside.wait(GUARD_S)
        blocked.set()
        with table_lock:  # holds the token while it waits for the lock
            return "read"

    try:
        a = pool.submit(builder)
        b = pool.submit(reader)
        assert b.result(GUARD_S) == "read"
        assert a.result(GUARD_S) is False  # it went on without its token rather than wait for the reader
    finally:
        pool.shutdown()
    with gate.running():  # and the semaphore is whole again: both tokens' accounts closed
        assert gate.holding()


def test_gated_backends_wait_without_the_token() -> None:
    gate = PythonGate(1)
    seen: dict[str, bool] = {}

    class Embedder:
        name, dim = "fake", 3

        def embed_query(self, text: str) -> list[float]:
            seen["embed"] = gate.holding()
            return [0.0, 0.0, 1.0]

    class Audit:
        def append(self, **kw: object) -> str:
            seen["append"] = gate.holding()
            return "stored"

        def get(self, trace: str) -> str:
            seen["get"] = gate.holding()
            return trace

    backends = SimpleNamespace(embedder=Embedder(), audit=Audit(), settings="the settings")
    view = gated_backends(backends, gate)
    with gate.running():
        assert view.embedder.embed_query("x") == [0.0, 0.0, 1.0]
        assert view.embedder.name == "fake" and view.embedder.dim == 3
        assert view.audit.append(trace_id="t") == "stored"
        assert view.audit.get("t") == "t"
        assert view.settings == "the settings"
        assert gate.holding()
    assert seen == {"embed": False, "append": False, "get": True}
    assert gated_backends(backends, PythonGate(0)) is backends  # off: the Backends themselves


def test_a_model_generator_waits_without_the_token_and_the_extractive_one_keeps_it() -> None:
    gate = PythonGate(1)
    seen: dict[str, bool] = {}

    class Generator:
        def __init__(self, backend: str) -> None:
            self.backend, self.model = backend, "m"

        def generate(self, request: object) -> str:
            seen[self.backend] = gate.holding()
            return "result"

    for backend in ("openai", "extractive"):
        view = gated_backends(SimpleNamespace(generator=Generator(backend)), gate)
        with gate.running():
            assert view.generator.generate(None) == "result" and view.generator.model == "m"
            assert gate.holding()
    # a vLLM call is a network wait of seconds: other consultations run meanwhile; the extractive generator is Python
    assert seen == {"openai": False, "extractive": True}
