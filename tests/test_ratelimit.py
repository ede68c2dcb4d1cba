"""Rate limiters: in-memory (with a fake clock) and Redis-backed (real server, unique prefix)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest

from api.ratelimit import MemoryRateLimiter, RedisRateLimiter, UnlimitedRateLimiter, make_rate_limiter
from rag.errors import BackendUnavailableError, ConfigError

REDIS_URL = "redis://127.0.0.1:6379/15"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_memory_limit_enforced_and_window_slides() -> None:
    clock = FakeClock()
    rl = MemoryRateLimiter(3, clock=clock)
    decisions = []
    for _ in range(3):  # hits at t=1000, 1010, 1020
        decisions.append(rl.hit("k1"))
        clock.now += 10
    assert [d.allowed for d in decisions] == [True, True, True]
    assert [d.remaining for d in decisions] == [2, 1, 0]
    denied = rl.hit("k1")  # t=1030: the oldest hit leaves the window at 1060
    assert not denied.allowed and denied.remaining == 0 and denied.retry_after_s == 30
    assert rl.hit("k2").allowed  # other keys have their own budget
    clock.now = 1059.5
    again = rl.hit("k1")
    assert not again.allowed and again.retry_after_s == 1
    clock.now = 1060.0  # the first hit leaves the window, the other two stay
    assert rl.hit("k1").allowed
    assert not rl.hit("k1").allowed
    clock.now = 1200.0  # everything has expired
    assert rl.hit("k1").remaining == 2


def test_memory_is_thread_safe() -> None:
    rl = MemoryRateLimiter(50)
    allowed: list[bool] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(20):
            d = rl.hit("shared")
            with lock:
                allowed.append(d.allowed)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert allowed.count(True) == 50 and len(allowed) == 160


def test_factory_and_validation() -> None:
    assert isinstance(make_rate_limiter("", 0), UnlimitedRateLimiter)
    unlimited = make_rate_limiter(REDIS_URL, 0).hit("x")
    assert unlimited.allowed and unlimited.retry_after_s == 0
    assert isinstance(make_rate_limiter("", 10), MemoryRateLimiter)
    with pytest.raises(ConfigError, match="CLINRAG_RATE_LIMIT_PER_MIN"):
        MemoryRateLimiter(-1)
    with pytest.raises(ConfigError, match="CLINRAG_REDIS_URL"):
        make_rate_limiter("http://127.0.0.1:6379", 10)


def test_unreachable_redis_names_the_setting() -> None:
    with pytest.raises(BackendUnavailableError, match="CLINRAG_REDIS_URL") as err:
        RedisRateLimiter("redis://:hunter2@127.0.0.1:1/0", 10, timeout_s=0.5)
    assert "hunter2" not in str(err.value)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        pytest.skip(f"no Redis server reachable at {REDIS_URL}: {exc}")
    prefix = f"clinrag-test:{uuid.uuid4().hex}"
    yield prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_redis_limit_enforced(redis_prefix: str) -> None:
    rl = make_rate_limiter(REDIS_URL, 3, prefix=redis_prefix)
    assert isinstance(rl, RedisRateLimiter)
    try:
        decisions = [rl.hit("k1") for _ in range(3)]
        assert [d.allowed for d in decisions] == [True, True, True]
        assert [d.remaining for d in decisions] == [2, 1, 0]
        denied = rl.hit("k1")
        assert not denied.allowed and denied.remaining == 0
        assert 0 < denied.retry_after_s <= 60
        assert rl.hit("k2").allowed
    finally:
        rl.close()


def test_two_redis_limiters_share_the_count(redis_prefix: str) -> None:
    a = RedisRateLimiter(REDIS_URL, 4, prefix=redis_prefix)
    b = RedisRateLimiter(REDIS_URL, 4, prefix=redis_prefix)
    try:
        assert a.hit("k").allowed and b.hit("k").allowed and a.hit("k").allowed
        last = b.hit("k")
        assert last.allowed and last.remaining == 0
        assert not a.hit("k").allowed
        assert not b.hit("k").allowed
    finally:
        a.close()
        b.close()


def test_redis_concurrent_hits_are_atomic(redis_prefix: str) -> None:
    limiters = [RedisRateLimiter(REDIS_URL, 25, prefix=redis_prefix) for _ in range(4)]
    allowed: list[bool] = []
    lock = threading.Lock()

    def work(rl: RedisRateLimiter) -> None:
        for _ in range(15):
            d = rl.hit("busy")
            with lock:
                allowed.append(d.allowed)

    threads = [threading.Thread(target=work, args=(rl,)) for rl in limiters]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for rl in limiters:
        rl.close()
    assert allowed.count(True) == 25 and len(allowed) == 60
