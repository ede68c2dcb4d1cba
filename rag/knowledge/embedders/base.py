"""Embedder protocol and the spec parser that picks a backend."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
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


def from_spec(spec: str, *, batch_size: int = 64, threads: int = 0, quantize: str = "none", backend: str = "onnx",
              cache_dir: str | Path | None = None) -> Embedder:
    """Build an embedder from a 'kind:model' string (CLINRAG_EMBEDDER) run by `backend` (CLINRAG_EMBED_BACKEND)."""
    kind, _, arg = spec.partition(":")
    if kind == "sentence-transformers":
        if backend == "onnx":
            from rag.knowledge.embedders.onnx import OnnxEmbedder  # onnxruntime loads only here; torch only to export once

            return OnnxEmbedder(arg or "bundled-minilm", batch_size=min(batch_size, 32), threads=threads, quantize=quantize,
                                cache_dir=Path(cache_dir) if cache_dir else None)
        if backend != "torch":
            raise ConfigError(f"CLINRAG_EMBED_BACKEND={backend!r}: use 'onnx' (default) or 'torch'")
        from rag.knowledge.embedders.sentence_transformers import SentenceTransformerEmbedder  # torch loads only here

        return SentenceTransformerEmbedder(arg or "bundled-minilm", batch_size=batch_size, threads=threads, quantize=quantize)
    if kind == "hash":  # unit tests only: no model, deterministic vectors
        from rag.knowledge.embedders.hashing import HashEmbedder

        return HashEmbedder(dim=int(arg or 64))
    raise ConfigError(
        f"CLINRAG_EMBEDDER={spec!r}: unknown kind {kind!r}; use 'sentence-transformers:<model or path>' "
        "(default 'sentence-transformers:bundled-minilm')"
    )
