"""Work on a patient's text remembered for one consultation only (`request_memo`, `per_request`).

A consultation asks for the same readings of the complaint from several places (its topic terms from retrieval, the
evidence completion and the generator; its English bridge for Chinese text; the conditions it names from triage,
urgency and condition ranking). Those functions used to be `lru_cache`d per process, so the de-identified text of the
last few hundred complaints stayed in memory after their consultations ended. A `per_request` function remembers its
results in a dict that lives as long as the innermost `request_memo()` block of the calling thread (`rag.consult.consult`
opens one) and is dropped with it; outside such a block every call computes afresh. Nothing a `per_request` function
returns outlives the request unless a caller keeps it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

__all__ = ["request_memo", "per_request", "memo_active"]

P = ParamSpec("P")
R = TypeVar("R")

_MEMO: ContextVar[dict[Any, Any] | None] = ContextVar("clinrag_request_memo", default=None)


@contextmanager
def request_memo() -> Iterator[None]:
    """The scope of one request's memo: `per_request` results are kept inside it and dropped when it ends (a nested
    block reuses the outer one's memo)."""
    if _MEMO.get() is not None:
        yield
        return
    memo: dict[Any, Any] = {}
    token = _MEMO.set(memo)
    try:
        yield
    finally:
        _MEMO.reset(token)
        memo.clear()


def memo_active() -> bool:
    """Whether this thread is inside a `request_memo()` block."""
    return _MEMO.get() is not None


def per_request(fn: Callable[P, R]) -> Callable[P, R]:
    """`fn` (pure, hashable positional arguments) remembered within the current `request_memo()` only."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        memo = _MEMO.get()
        if memo is None or kwargs:
            return fn(*args, **kwargs)
        key = (fn, args)
        try:
            return memo[key]  # type: ignore[no-any-return]
        except KeyError:
            value = memo[key] = fn(*args, **kwargs)
            return value

    return wrapper
