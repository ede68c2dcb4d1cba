"""Embedder protocol and the spec parser that picks a backend."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from rag.errors import ConfigError

__all__ = ["Embedder", "from_spec", "resolve_backend"]

log = logging.getLogger(__name__)

BACKENDS = ("auto", "openvino", "onnx", "torch")


class Embedder(Protocol):
    name: str  # the spec it was built from, recorded with every chunk and audit record
    dim: int
    max_tokens: int  # longest input in the embedder's own tokens before it truncates

    def count_tokens(self, text: str) -> int: ...
    def embed_query(self, text: str) -> list[float]: ...
    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...


def resolve_backend(backend: str, quantize: str = "auto") -> str:
    """CLINRAG_EMBED_BACKEND as the backend that will run: 'auto' is openvino where it imports, else onnx (int8: onnx)."""
    if backend not in BACKENDS:
        raise ConfigError(f"CLINRAG_EMBED_BACKEND={backend!r}: use 'auto' (default: openvino where installed, else onnx), "
                          "'openvino', 'onnx' or 'torch'")
    if backend != "auto":
        return backend
    if quantize == "int8":
        return "onnx"  # the int8 export runs on onnxruntime only
    try:
        import openvino  # noqa: F401
    except (ImportError, OSError) as exc:  # not installed, or its native libraries do not load here
        log.warning("embedder: OpenVINO unavailable (%s); running on onnxruntime instead (CLINRAG_EMBED_BACKEND=onnx). "
                    "`pip install 'openvino>=2026.4.1'` makes embedding faster", exc)
        return "onnx"
    return "openvino"


def from_spec(spec: str, *, batch_size: int = 64, threads: int = 0, quantize: str = "auto", backend: str = "auto",
              cache_dir: str | Path | None = None) -> Embedder:
    """Build an embedder from a 'kind:model' string (CLINRAG_EMBEDDER) run by `backend` (CLINRAG_EMBED_BACKEND)."""
    kind, _, arg = spec.partition(":")
    if kind == "sentence-transformers":
        backend = resolve_backend(backend, quantize)
        cache = Path(cache_dir) if cache_dir else None
        if threads < 0:
            raise ConfigError(f"CLINRAG_EMBED_THREADS={threads!r}: use 0 (the runtime's default) or a positive number of threads")
        if backend == "openvino":
            try:
                import openvino  # noqa: F401  # loads only here
            except (ImportError, OSError) as exc:
                raise ConfigError(f"CLINRAG_EMBED_BACKEND=openvino: cannot import openvino ({exc}); install it with "
                                  "`pip install 'openvino>=2026.4.1'` or use CLINRAG_EMBED_BACKEND=onnx") from None
            from rag.knowledge.embedders.openvino import OpenVinoEmbedder

            return OpenVinoEmbedder(arg or "bundled-minilm", batch_size=min(batch_size, 32), threads=threads, quantize=quantize,
                                    cache_dir=cache)
        if backend == "onnx":
            from rag.knowledge.embedders.onnx import OnnxEmbedder  # onnxruntime loads only here; torch only to export once

            return OnnxEmbedder(arg or "bundled-minilm", batch_size=min(batch_size, 32), threads=threads, quantize=quantize,
                                cache_dir=cache)
        if quantize not in {"auto", "none", "fp32", "int8"}:
            raise ConfigError(f"CLINRAG_EMBED_QUANTIZE={quantize!r}: CLINRAG_EMBED_BACKEND=torch runs 'none' (fp32) or 'int8'; "
                              "bf16 needs CLINRAG_EMBED_BACKEND=openvino")
        from rag.knowledge.embedders.sentence_transformers import SentenceTransformerEmbedder  # torch loads only here

        return SentenceTransformerEmbedder(arg or "bundled-minilm", batch_size=batch_size, threads=threads,
                                           quantize="int8" if quantize == "int8" else "none")
    if kind == "hash":  # unit tests only: no model, deterministic vectors
        from rag.knowledge.embedders.hashing import HashEmbedder

        return HashEmbedder(dim=int(arg or 64))
    raise ConfigError(
        f"CLINRAG_EMBEDDER={spec!r}: unknown kind {kind!r}; use 'sentence-transformers:<model or path>' "
        "(default 'sentence-transformers:bundled-minilm')"
    )
