"""The ONNX Runtime embedder against sentence-transformers on torch: the real bundled MiniLM, real vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import real_passages as _texts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cache(onnx_cache: Path) -> Path:
    return onnx_cache


@pytest.fixture(scope="module")
def onnx_fp32(cache: Path):
    from rag.knowledge.embedders.base import from_spec

    return from_spec("sentence-transformers:bundled-minilm", backend="onnx", cache_dir=cache)


@pytest.fixture(scope="module")
def torch_fp32(torch_minilm):
    return torch_minilm


def test_onnx_vectors_equal_torch_vectors(onnx_fp32, torch_fp32) -> None:
    texts = _texts()
    assert len(texts) >= 300
    a = np.asarray(onnx_fp32.embed_documents(texts))
    b = np.asarray(torch_fp32.embed_documents(texts))
    assert a.shape == b.shape == (len(texts), 384)
    cos = (a * b).sum(axis=1)
    assert cos.min() >= 0.9999, f"lowest cosine {cos.min():.6f} at {texts[int(cos.argmin())][:60]!r}"
    assert np.abs(a - b).max() < 2e-3
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    # one text alone (no padding) and inside a batch give the same vector
    single = np.asarray(onnx_fp32.embed_query(texts[7]))
    assert float(single @ a[7]) >= 0.99999


def test_same_identity_as_torch_in_fp32(onnx_fp32, torch_fp32) -> None:
    assert onnx_fp32.name == torch_fp32.name == "sentence-transformers:bundled-minilm"
    assert (onnx_fp32.dim, onnx_fp32.max_tokens) == (torch_fp32.dim, torch_fp32.max_tokens) == (384, 256)
    texts = _texts()
    assert [onnx_fp32.count_tokens(t) for t in texts] == [torch_fp32.count_tokens(t) for t in texts]
    assert onnx_fp32.count_tokens(texts[-1]) > 256  # counted whole, not truncated


def test_export_is_cached_and_keyed_by_quantisation(onnx_fp32, cache: Path) -> None:
    from rag.knowledge.embedders.onnx import OnnxEmbedder

    before = {p: p.stat().st_mtime_ns for p in (cache / "onnx").glob("*.onnx")}
    assert onnx_fp32.path in before
    again = OnnxEmbedder(cache_dir=cache)  # a second process: reuses the file, exports nothing
    assert again.path == onnx_fp32.path
    assert {p: p.stat().st_mtime_ns for p in (cache / "onnx").glob("*.onnx")} == before
    assert again.embed_query("sore throat") == onnx_fp32.embed_query("sore throat")


def test_int8_is_another_embedder(cache: Path, onnx_fp32) -> None:
    from rag.knowledge.embedders.onnx import OnnxEmbedder
    from rag.settings import Settings

    q = OnnxEmbedder(quantize="int8", cache_dir=cache)
    assert q.name == "sentence-transformers:bundled-minilm#onnx-int8"
    # MatMul weights in int8; the word embeddings and the fused attention's weights stay fp32
    assert q.path != onnx_fp32.path and q.path.stat().st_size < onnx_fp32.path.stat().st_size * 0.8
    texts = _texts()[:50]
    cos = (np.asarray(q.embed_documents(texts)) * np.asarray(onnx_fp32.embed_documents(texts))).sum(axis=1)
    assert cos.min() > 0.98  # close (per-channel MatMul weights), not equal: its own knowledge base
    # the collection name follows the vectors: one for fp32 whatever the backend, its own for ONNX int8,
    # and torch int8 keeps the key it always had
    fp32 = {Settings(embed_backend=b, embed_quantize=q).collection_name()
            for b in ("auto", "openvino", "onnx", "torch") for q in ("auto", "none", "fp32")}
    fp32 |= {Settings(embed_backend=b, embed_quantize="bf16").collection_name() for b in ("auto", "openvino")}
    assert len(fp32) == 1
    onnx_int8 = Settings(embed_backend="onnx", embed_quantize="int8").collection_name()
    assert Settings(embed_quantize="int8").collection_name() == onnx_int8  # the default backend runs int8 on onnxruntime
    torch_int8 = Settings(embed_backend="torch", embed_quantize="int8").collection_name()
    assert len(fp32 | {onnx_int8, torch_int8}) == 3


def test_server_threads(onnx_fp32) -> None:
    v = onnx_fp32.embed_query("headache and stiff neck")
    onnx_fp32.set_threads(1)
    try:
        assert np.allclose(onnx_fp32.embed_query("headache and stiff neck"), v, atol=1e-5)
    finally:
        onnx_fp32.set_threads(0)


def test_unsupported_model_folder_is_a_config_error(tmp_path: Path) -> None:
    from rag.errors import ConfigError
    from rag.knowledge.embedders.base import from_spec

    with pytest.raises(ConfigError, match="CLINRAG_EMBED_BACKEND=torch"):
        from_spec(f"sentence-transformers:{tmp_path}", backend="onnx", cache_dir=tmp_path)
    with pytest.raises(ConfigError, match="CLINRAG_EMBED_BACKEND"):
        from_spec("sentence-transformers:bundled-minilm", backend="tensorflow")
