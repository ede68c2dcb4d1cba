"""A model-free embedder for unit tests: hashed bag of words, L2-normalised."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence

from rag.text import words

__all__ = ["HashEmbedder"]


class HashEmbedder:
    """Maps each word to a bucket; texts sharing words get similar vectors."""

    max_tokens = 256

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.name = f"hash:{dim}"

    def count_tokens(self, text: str) -> int:
        return len(words(text))

    def _embed(self, text: str) -> list[float]:
        vec = [0.0] * self.dim
        for word in words(text):
            vec[zlib.crc32(word.encode()) % self.dim] += 1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._embed(t) for t in texts]
