"""BatchingEmbedder (concurrent calls share encodes) and RequestEmbedder (a request's repeated texts once)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from rag.knowledge.embedders.batching import BatchingEmbedder, RequestEmbedder
from rag.knowledge.embedders.hashing import HashEmbedder


class Recording(HashEmbedder):
    """A hash embedder that records every call, optionally blocking the first one until released."""

    def __init__(self, fail_on: str | None = None) -> None:
        super().__init__(dim=32)
        self.calls: list[list[str]] = []
        self.fail_on = fail_on
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        self.entered.set()
        self.gate.wait(10)
        if self.fail_on is not None and self.fail_on in texts:
            raise RuntimeError("encoder failed")
        return super().embed_documents(texts)


def test_vectors_are_the_wrapped_embedders_and_concurrent_calls_share_an_encode() -> None:
    inner = Recording()
    ref = HashEmbedder(dim=32)
    batcher = BatchingEmbedder(inner, max_batch=32, wait_ms=1)
    try:
        inner.gate.clear()  # hold the first encode so that the others queue behind it
        texts = [f"fever and cough day {i}" for i in range(12)]
        results: dict[int, list[list[float]]] = {}
        first = threading.Thread(target=lambda: results.__setitem__(-1, batcher.embed_documents(["warm up text"])))
        first.start()
        assert inner.entered.wait(10)

        def one(i: int) -> None:
            results[i] = batcher.embed_documents([texts[i], "shared clause"])

        threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        while batcher._queue.qsize() < 12:  # every caller has queued behind the held encode
            threading.Event().wait(0.005)
        inner.gate.set()
        for t in [first, *threads]:
            t.join(10)
        for i in range(12):
            assert results[i] == ref.embed_documents([texts[i], "shared clause"])
        assert results[-1] == ref.embed_documents(["warm up text"])
        # the 12 queued calls went out in one encode, "shared clause" in it once
        assert len(inner.calls) == 2
        assert sorted(inner.calls[1]) == sorted([*texts, "shared clause"])
        assert batcher.batches == 2 and batcher.texts == 14
    finally:
        batcher.close()


def test_big_calls_bypass_the_queue_and_errors_reach_every_caller_of_the_batch() -> None:
    inner = Recording(fail_on="boom")
    batcher = BatchingEmbedder(inner, max_batch=4, wait_ms=0)
    try:
        big = [f"text {i}" for i in range(10)]
        assert batcher.embed_documents(big) == HashEmbedder(dim=32).embed_documents(big)
        assert inner.calls == [big]
        with pytest.raises(RuntimeError, match="encoder failed"):
            batcher.embed_query("boom")
        # the batching thread survives a failed batch
        assert batcher.embed_query("fine") == HashEmbedder(dim=32).embed_query("fine")
        assert batcher.embed_documents([]) == []
        assert (batcher.name, batcher.dim, batcher.max_tokens) == (inner.name, inner.dim, inner.max_tokens)
    finally:
        batcher.close()
    assert batcher._thread is not None and not batcher._thread.is_alive()


def test_request_embedder_encodes_a_repeated_text_once() -> None:
    inner = Recording()
    req = RequestEmbedder(inner)
    a = req.embed_documents(["chest pain", "short of breath"])
    b = req.embed_documents(["short of breath", "chest pain", "fever"])
    assert req.embed_query("fever") == b[2]
    assert inner.calls == [["chest pain", "short of breath"], ["fever"]]
    assert a == HashEmbedder(dim=32).embed_documents(["chest pain", "short of breath"])
    assert b[0] == a[1] and b[1] == a[0]
    b[0][0] = 99.0  # callers get copies: one cannot change another's vector
    assert req.embed_query("short of breath") == a[1]
