"""TimedEmbedder: the ingest benchmarks' way to tell embedding time from the rest (bench/ingest.py, bench/ingest_many.py)."""

from __future__ import annotations

import time
from typing import Any


class TimedEmbedder:
    """Passes everything to the embedder; adds up the wall time spent in embed_documents."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.seconds = inner, 0.0
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))

    def embed_query(self, text: str) -> list[float]:
        return list(self.inner.embed_query(text))

    def embed_documents(self, texts: Any) -> list[list[float]]:
        t0 = time.perf_counter()
        try:
            return list(self.inner.embed_documents(texts))
        finally:
            self.seconds += time.perf_counter() - t0
