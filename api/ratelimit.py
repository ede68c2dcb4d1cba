"""Per-key sliding-window rate limits, in process memory or shared between workers through Redis.

A hit is allowed when fewer than `limit_per_min` hits were allowed for that key during the last
`window_s` seconds (60 by default). Denied hits are not counted, so a client that keeps retrying
gets in as soon as its oldest counted hit leaves the window.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from rag.errors import BackendUnavailableError, ConfigError
from rag.settings import redact_url

__all__ = [
    "RateDecision",
    "RateLimiter",
    "UnlimitedRateLimiter",
    "MemoryRateLimiter",
    "RedisRateLimiter",
    "make_rate_limiter",
]

_SWEEP_EVERY = 1024


@dataclass(frozen=True, slots=True)
class RateDecision:
    """Whether one request may proceed; `retry_after_s` > 0 only when it may not."""

    allowed: bool
    retry_after_s: int
    remaining: int  # hits left in the current window after this one; -1 means unlimited


class RateLimiter(Protocol):
    """Counts hits per key (an API key id) and says when a key is over its limit."""

    limit_per_min: int

    def hit(self, key: str) -> RateDecision: ...
    def close(self) -> None: ...


def _check_limit(limit_per_min: int, window_s: float) -> None:
    if not isinstance(limit_per_min, int) or limit_per_min < 1:
        raise ConfigError(f"CLINRAG_RATE_LIMIT_PER_MIN={limit_per_min!r}: expected a whole number >= 1 (0 = unlimited)")
    if window_s <= 0:
        raise ConfigError(f"rate-limit window must be positive, got {window_s!r}")


class UnlimitedRateLimiter:
    """Allows everything (CLINRAG_RATE_LIMIT_PER_MIN=0)."""

    limit_per_min = 0

    def hit(self, key: str) -> RateDecision:
        """Always allowed."""
        return RateDecision(True, 0, -1)

    def close(self) -> None:
        """Nothing to release."""


class MemoryRateLimiter:
    """Sliding-window log per key in this process only; thread-safe."""

    def __init__(self, limit_per_min: int, *, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        _check_limit(limit_per_min, window_s)
        self.limit_per_min = limit_per_min
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._since_sweep = 0

    def hit(self, key: str) -> RateDecision:
        """Count one hit for `key` if it is under the limit."""
        with self._lock:
            now = self._clock()
            self._since_sweep += 1
            if self._since_sweep >= _SWEEP_EVERY:
                self._sweep(now)
            log = self._hits.setdefault(key, deque())
            while log and log[0] <= now - self.window_s:
                log.popleft()
            if len(log) >= self.limit_per_min:
                wait = log[0] + self.window_s - now
                return RateDecision(False, max(1, math.ceil(wait)), 0)
            log.append(now)
            return RateDecision(True, 0, self.limit_per_min - len(log))

    def _sweep(self, now: float) -> None:
        self._since_sweep = 0
        stale = [k for k, log in self._hits.items() if not log or log[-1] <= now - self.window_s]
        for k in stale:
            del self._hits[k]

    def close(self) -> None:
        """Forget every count."""
        with self._lock:
            self._hits.clear()


# KEYS[1] = the key's sorted set; ARGV = window_ms, limit, unique member.
# Uses the Redis server's clock so workers on different hosts agree.
_LUA_HIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local wait = window
  if oldest[2] then wait = tonumber(oldest[2]) + window - now end
  return {0, wait, 0}
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return {1, 0, limit - count - 1}
"""




class RedisRateLimiter:
    """Sliding-window log per key in Redis (one atomic Lua script per hit), shared by every worker."""

    def __init__(
        self,
        url: str,
        limit_per_min: int,
        *,
        prefix: str = "clinrag:ratelimit",
        window_s: float = 60.0,
        fail_open: bool = False,
        timeout_s: float = 2.0,
    ) -> None:
        _check_limit(limit_per_min, window_s)
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(f"CLINRAG_REDIS_URL={redact_url(url)!r}: expected redis://host:6379/0, rediss://... or unix://...")
        import redis  # imported here so processes without Redis never load it

        self._redis_errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.limit_per_min = limit_per_min
        self.window_ms = max(1, int(window_s * 1000))
        self.prefix = prefix
        self.fail_open = fail_open
        self._url = url
        try:
            self._client: Any = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
            self._client.ping()
        except (*self._redis_errors, ValueError) as exc:
            raise BackendUnavailableError(
                f"Redis at CLINRAG_REDIS_URL={redact_url(url)!r} is unreachable ({exc}); start it, fix the URL, "
                "or leave CLINRAG_REDIS_URL empty for per-process limits"
            ) from None
        self._script = self._client.register_script(_LUA_HIT)

    def hit(self, key: str) -> RateDecision:
        """Count one hit for `key` if it is under the limit (atomic across processes)."""
        try:
            allowed, wait_ms, remaining = self._script(
                keys=[f"{self.prefix}:{key}"], args=[self.window_ms, self.limit_per_min, secrets.token_hex(8)]
            )
        except self._redis_errors as exc:
            if self.fail_open:
                return RateDecision(True, 0, -1)
            raise BackendUnavailableError(f"Redis at CLINRAG_REDIS_URL={redact_url(self._url)!r} failed: {exc}") from None
        if int(allowed):
            return RateDecision(True, 0, int(remaining))
        return RateDecision(False, max(1, math.ceil(int(wait_ms) / 1000)), 0)

    def close(self) -> None:
        """Release the Redis connection pool."""
        self._client.close()


def make_rate_limiter(redis_url: str, limit_per_min: int, *, prefix: str = "clinrag:ratelimit") -> RateLimiter:
    """Unlimited when the limit is 0, Redis-backed when a URL is given, else in-process memory."""
    if limit_per_min == 0:
        return UnlimitedRateLimiter()
    if redis_url:
        return RedisRateLimiter(redis_url, limit_per_min, prefix=prefix)
    return MemoryRateLimiter(limit_per_min)
