"""Embedder protocol and the spec parser that picks a backend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rag.errors import ConfigError

__all__ = ["Embedder", "from_spec"]


class Embedder(Protocol):
    name: str  # the spec it was built from, recorded with every chunk and audit record
    dim: int
    max_tokens: int  # longest input in the embedder's own tokens before it truncates

    def count_tokens(self, text: str) -> int: ...
    def embed_query(self, text: str) -> list[float]: ...
    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...


def from_spec(spec: str, *, batch_size: int = 64, threads: int = 0, quantize: str = "none") -> Embedder:
    """Build an embedder from a 'kind:model' string (CLINRAG_EMBEDDER)."""
    kind, _, arg = spec.partition(":")
    if kind == "sentence-transformers":
        from rag.knowledge.embedders.sentence_transformers import SentenceTransformerEmbedder  # torch loads only here

        return SentenceTransformerEmbedder(arg or "bundled-minilm", batch_size=batch_size, threads=threads, quantize=quantize)
    if kind == "hash":  # unit tests only: no model, deterministic vectors
        from rag.knowledge.embedders.hashing import HashEmbedder

        return HashEmbedder(dim=int(arg or 64))
    raise ConfigError(
        f"CLINRAG_EMBEDDER={spec!r}: unknown kind {kind!r}; use 'sentence-transformers:<model or path>' "
        "(default 'sentence-transformers:bundled-minilm')"
    )
