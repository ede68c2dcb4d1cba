"""Micro-batched embedding for a server: concurrent requests' short texts share one encode call.

A consultation embeds a few short texts (the query, the patient's clauses for the meaning layer and
the guideline red-flag layer). One MiniLM encode of a single short text costs ~15 ms of CPU on one
core; a batch of 8 costs ~30 ms. `BatchingEmbedder` wraps any embedder: calls of up to `max_batch`
texts are queued, and one thread encodes everything queued so far (after waiting at most `wait_ms`
for more to arrive) in one call, the texts de-duplicated, and hands each caller its own vectors.
The vectors are those of the wrapped embedder: batching does not change them beyond the last bits
that padding to a common length may move (sentence-transformers masks padding).

Bigger calls (an ingest batch) go straight to the wrapped embedder. An error in the batch reaches
every caller whose texts were in it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future

from rag.knowledge.embedders.base import Embedder

__all__ = ["BatchingEmbedder", "RequestEmbedder"]


class BatchingEmbedder:
    """An Embedder whose small calls, from any number of threads, are encoded together by one thread."""

    def __init__(self, inner: Embedder, *, max_batch: int = 32, wait_ms: float = 2.0) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.max_tokens = inner.max_tokens
        self.max_batch = max_batch
        self.wait_s = wait_ms / 1000
        self._queue: queue.SimpleQueue[tuple[list[str], Future[list[list[float]]]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.batches = 0  # encode calls made, and texts encoded in them (for tests and the bench)
        self.texts = 0

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        if len(texts) > self.max_batch:
            return self.inner.embed_documents(texts)
        self._ensure_thread()
        future: Future[list[list[float]]] = Future()
        self._queue.put((list(texts), future))
        return future.result()

    def close(self) -> None:
        """Stop the batching thread (queued calls are still answered first)."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout=30)

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._start_lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="embed-batch", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs = [first]
            size = len(first[0])
            deadline = time.monotonic() + self.wait_s
            stop = False
            while size < self.max_batch:
                try:
                    # whatever queued while the previous batch was encoding is taken at once; then a short wait
                    job = self._queue.get(timeout=max(0.0, deadline - time.monotonic())) if self.wait_s else self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                jobs.append(job)
                size += len(job[0])
            self._encode(jobs)
            if stop:
                return

    def _encode(self, jobs: list[tuple[list[str], Future[list[list[float]]]]]) -> None:
        unique = list(dict.fromkeys(t for texts, _ in jobs for t in texts))
        try:
            vectors = self.inner.embed_documents(unique)
        except BaseException as exc:  # noqa: BLE001 - every waiting caller gets the error
            for _, future in jobs:
                future.set_exception(exc)
            return
        self.batches += 1
        self.texts += len(unique)
        by_text = dict(zip(unique, vectors, strict=True))
        for texts, future in jobs:
            future.set_result([list(by_text[t]) for t in texts])


class RequestEmbedder:
    """One request's view of an embedder: a text embedded twice within the request (the patient's clauses by
    the meaning layer and again by the guideline red-flag layer) is encoded once. Lives as long as the
    request, so no patient text outlives it."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.max_tokens = inner.max_tokens
        self._seen: dict[str, list[float]] = {}

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._seen]
        if missing:
            self._seen.update(zip(missing, self.inner.embed_documents(missing), strict=True))
        return [list(self._seen[t]) for t in texts]
