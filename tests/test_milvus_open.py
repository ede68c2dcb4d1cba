"""Opening Milvus Lite retries only the embedded server's missed first connection (fakes: the retry logic alone)."""

from __future__ import annotations

import pytest

from rag.knowledge.milvus import _open_client


class _Err(Exception):
    pass


def _client_failing(times: int, message: str, calls: list[dict[str, object]]) -> type:
    class Client:
        def __init__(self, **kwargs: object) -> None:
            calls.append(kwargs)
            if len(calls) <= times:
                raise _Err(message)

    return Client


def test_lite_missed_connection_is_retried(tmp_path) -> None:
    calls: list[dict[str, object]] = []
    client = _open_client(_client_failing(1, "Fail connecting to server on 127.0.0.1:1", calls), _Err,
                          {"uri": str(tmp_path / "kb.db")})
    assert client is not None and len(calls) == 2


def test_gives_up_after_the_attempts_and_never_retries_other_errors(tmp_path) -> None:
    calls: list[dict[str, object]] = []
    with pytest.raises(_Err, match="Fail connecting"):
        _open_client(_client_failing(9, "Fail connecting to server", calls), _Err, {"uri": str(tmp_path / "kb.db")}, attempts=2)
    assert len(calls) == 2
    calls.clear()
    with pytest.raises(_Err, match="locked"):
        _open_client(_client_failing(9, "data folder locked", calls), _Err, {"uri": str(tmp_path / "kb.db")})
    assert len(calls) == 1
    calls.clear()
    with pytest.raises(_Err):
        _open_client(_client_failing(9, "Fail connecting to server", calls), _Err, {"uri": "http://milvus:19530"})
    assert len(calls) == 1  # a server URI: the caller's own retry policy, not ours
