"""The OpenVINO embedder against sentence-transformers on torch: the real bundled MiniLM, real vectors, a real Milvus Lite."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.errors import ConfigError
from tests.conftest import GUIDELINES, real_passages

pytestmark = pytest.mark.slow
openvino = pytest.importorskip("openvino")


@pytest.fixture(scope="module")
def ov_auto(onnx_cache: Path):
    from rag.knowledge.embedders.base import from_spec

    return from_spec("sentence-transformers:bundled-minilm", cache_dir=onnx_cache)  # the defaults: backend and precision auto


@pytest.fixture(scope="module")
def ov_fp32(onnx_cache: Path):
    from rag.knowledge.embedders.base import from_spec

    return from_spec("sentence-transformers:bundled-minilm", backend="openvino", quantize="none", cache_dir=onnx_cache)


def _has_bf16() -> bool:
    return "BF16" in openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def test_default_is_openvino_with_the_cpus_precision(ov_auto, ov_fp32, onnx_cache: Path) -> None:
    from rag.knowledge.embedders.onnx import onnx_model_file
    from rag.knowledge.embedders.openvino import OpenVinoEmbedder

    assert isinstance(ov_auto, OpenVinoEmbedder)
    assert ov_auto.precision == ("bf16" if _has_bf16() else "f32")
    assert ov_fp32.precision == "f32"
    # it runs the onnx backend's own export, from the same cache: nothing exported twice
    assert ov_auto.path == ov_fp32.path == onnx_model_file(ov_auto.folder, "none", onnx_cache)
    assert sorted(p.name for p in (onnx_cache / "onnx").glob("*-none.onnx")) == [ov_auto.path.name]


@pytest.mark.parametrize("which", ["auto", "fp32"])
def test_vectors_agree_with_torch(which: str, ov_auto, ov_fp32, torch_minilm) -> None:
    """The tolerance behind sharing the fp32 name (openvino.py): cosine >= 0.9999 to torch on every real passage."""
    emb = ov_auto if which == "auto" else ov_fp32
    texts = real_passages()
    assert len(texts) >= 300
    a = np.asarray(emb.embed_documents(texts))
    b = np.asarray(torch_minilm.embed_documents(texts))
    assert a.shape == b.shape == (len(texts), 384)
    cos = (a * b).sum(axis=1)
    assert cos.min() >= 0.9999, f"{emb.precision}: lowest cosine {cos.min():.6f} at {texts[int(cos.argmin())][:60]!r}"
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    if emb.precision == "f32":
        assert np.abs(a - b).max() < 2e-3
    # a query alone (no padding, the latency path) and the same text inside a batch (the throughput path) agree
    single = np.asarray(emb.embed_query(texts[7]))
    assert single.shape == (384,)
    assert float(single @ a[7]) >= 0.9999


def test_identity_shapes_and_token_counts_match_torch(ov_auto, torch_minilm) -> None:
    # one name for every precision and backend in fp32/bf16: the same collection and embedding-cache rows
    assert ov_auto.name == torch_minilm.name == "sentence-transformers:bundled-minilm"
    assert (ov_auto.dim, ov_auto.max_tokens) == (torch_minilm.dim, torch_minilm.max_tokens) == (384, 256)
    texts = real_passages()
    assert [ov_auto.count_tokens(t) for t in texts] == [torch_minilm.count_tokens(t) for t in texts]
    assert ov_auto.embed_documents([]) == []
    docs = ov_auto.embed_documents(["fever", "a rash that does not fade under a glass"])
    assert len(docs) == 2 and all(len(v) == 384 for v in docs)


def test_server_threads_and_concurrent_callers(ov_auto) -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = real_passages()[:40]
    batch = np.asarray(ov_auto.embed_documents(texts))
    ov_auto.set_threads(1)  # `clinrag serve`: one thread, one stream, a request per concurrent caller
    try:
        with ThreadPoolExecutor(4) as pool:
            singles = np.asarray(list(pool.map(ov_auto.embed_query, texts)))
        assert ((singles * batch).sum(axis=1) >= 0.9999).all()
        assert ((np.asarray(ov_auto.embed_documents(texts)) * batch).sum(axis=1) >= 0.9999).all()
    finally:
        ov_auto.set_threads(0)


def test_one_batch_split_across_the_streams_is_bit_identical(ov_auto, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the THROUGHPUT streams exist, a call of one batch (a revised guideline's few changed chunks) runs as row
    slices on them, each padded as the whole batch: every vector bit-identical to the one-batch LATENCY call."""
    texts = real_passages()
    ov_auto.embed_documents(texts[:80])  # several batches: the streams are compiled from here on
    if ov_auto._queue_streams < 2:
        pytest.skip("one stream on this CPU")
    calls: list[int] = []
    real = ov_auto._run_split
    monkeypatch.setattr(ov_auto, "_run_split", lambda feed, sink: (calls.append(len(feed["input_ids"])), real(feed, sink))[1])
    for few in (texts[100:109], texts[200:202], texts[300:331]):
        split = np.asarray(ov_auto.embed_documents(few))
        streams, ov_auto._queue_streams = ov_auto._queue_streams, 0  # the same call as one LATENCY batch
        try:
            whole = np.asarray(ov_auto.embed_documents(few))
        finally:
            ov_auto._queue_streams = streams
        assert np.array_equal(split, whole)
    assert calls == [9, 2, 31]
    assert len(ov_auto.embed_documents(["fever"])) == 1 and calls == [9, 2, 31]  # one text: the LATENCY model


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"backend": "openvino", "quantize": "fp16"}, r"CLINRAG_EMBED_QUANTIZE='fp16'"),
    ({"backend": "onnx", "quantize": "bf16"}, r"CLINRAG_EMBED_QUANTIZE='bf16'.*CLINRAG_EMBED_BACKEND=openvino"),
    ({"backend": "torch", "quantize": "bf16"}, r"CLINRAG_EMBED_QUANTIZE='bf16'.*CLINRAG_EMBED_BACKEND=openvino"),
    ({"backend": "openvino", "threads": -2}, r"CLINRAG_EMBED_THREADS=-2"),
    ({"backend": "openvno"}, r"CLINRAG_EMBED_BACKEND='openvno'.*'openvino'"),
])
def test_bad_backend_precision_or_threads_name_the_variable(kwargs: dict, match: str, onnx_cache: Path) -> None:
    from rag.knowledge.embedders.base import from_spec

    with pytest.raises(ConfigError, match=match):
        from_spec("sentence-transformers:bundled-minilm", cache_dir=onnx_cache, **kwargs)


@pytest.mark.parametrize(("env", "value"), [("CLINRAG_EMBED_QUANTIZE", "fp16"), ("CLINRAG_EMBED_BACKEND", "openvino-gpu"),
                                            ("CLINRAG_EMBED_THREADS", "-1"), ("CLINRAG_EMBED_THREADS", "two")])
def test_bad_settings_name_the_variable(env: str, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.settings import load_settings

    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=f"{env}: .*{value!r}"):
        load_settings()


def test_bf16_on_a_cpu_without_it_is_a_config_error(monkeypatch: pytest.MonkeyPatch, onnx_cache: Path) -> None:
    from rag.knowledge.embedders.openvino import OpenVinoEmbedder

    real = openvino.Core.get_property

    def no_bf16(self, device: str, key: str):  # a CPU with fp32 only: AVX2, no AVX512-BF16 or AMX
        value = real(self, device, key)
        return [c for c in value if c != "BF16"] if key == "OPTIMIZATION_CAPABILITIES" else value

    monkeypatch.setattr(openvino.Core, "get_property", no_bf16)
    with pytest.raises(ConfigError, match="CLINRAG_EMBED_QUANTIZE=bf16: this CPU has no bf16"):
        OpenVinoEmbedder(quantize="bf16", cache_dir=onnx_cache)
    assert OpenVinoEmbedder(quantize="auto", cache_dir=onnx_cache).precision == "f32"  # auto falls back to fp32


def test_without_openvino_auto_falls_back_to_onnx(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
                                                  onnx_cache: Path) -> None:
    from rag.knowledge.embedders.base import from_spec
    from rag.knowledge.embedders.onnx import OnnxEmbedder

    monkeypatch.setitem(sys.modules, "openvino", None)  # `import openvino` raises ImportError, as when it is not installed
    monkeypatch.delitem(sys.modules, "rag.knowledge.embedders.openvino", raising=False)
    with caplog.at_level(logging.WARNING, logger="rag.knowledge.embedders.base"):
        emb = from_spec("sentence-transformers:bundled-minilm", cache_dir=onnx_cache)
    assert isinstance(emb, OnnxEmbedder) and emb.name == "sentence-transformers:bundled-minilm"
    lines = [r for r in caplog.records if "OpenVINO unavailable" in r.getMessage()]
    assert len(lines) == 1 and "CLINRAG_EMBED_BACKEND=onnx" in lines[0].getMessage()
    assert lines[0].exc_info is None  # one clear line, no traceback
    with pytest.raises(ConfigError, match="CLINRAG_EMBED_BACKEND=openvino: cannot import openvino"):
        from_spec("sentence-transformers:bundled-minilm", backend="openvino", cache_dir=onnx_cache)


def test_int8_is_made_offline_from_the_packaged_model_once_then_read_from_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, torch_minilm) -> None:
    """CLINRAG_EMBED_BACKEND=openvino CLINRAG_EMBED_QUANTIZE=int8 on a fresh machine with no network: NNCF quantises the
    packaged fp32 model on first use, the IR is kept in the cache folder, and a second start reads it without NNCF."""
    import socket

    import nncf

    from rag.knowledge.embedders.base import from_spec
    from rag.knowledge.embedders.openvino import OpenVinoEmbedder, calibration_texts
    from rag.settings import Settings

    def no_network(*args: object, **kwargs: object) -> None:
        raise OSError("this test has no network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    cache = tmp_path / "cache"  # empty: not even the fp32 export is there
    emb = from_spec("sentence-transformers:bundled-minilm", backend="openvino", quantize="int8", cache_dir=cache)
    assert isinstance(emb, OpenVinoEmbedder) and emb.int8
    assert emb.name == "sentence-transformers:bundled-minilm#openvino-int8"
    assert emb.path.parent == cache / "openvino" and emb.path.suffix == ".xml" and emb.path.with_suffix(".bin").exists()
    assert len(calibration_texts()) >= 300
    texts = real_passages()
    a = np.asarray(emb.embed_documents(texts))
    b = np.asarray(torch_minilm.embed_documents(texts))
    cos = (a * b).sum(axis=1)
    # int8 vectors differ from fp32 (hence their own name), but stay close on every real passage. How close depends on the
    # CPU's int8 instructions: with VNNI (AVX-512 VNNI / AVX-VNNI) the mean was >= 0.995; on an AVX2-only AMD EPYC (no VNNI:
    # u8 x s8 products summed in 16 bits) the same model, texts and packages gave 0.994108, lowest 0.986044 (2026-12-04)
    cpu = Path("/proc/cpuinfo").read_text(encoding="utf-8") if Path("/proc/cpuinfo").exists() else ""
    mean_floor = 0.995 if "vnni" in cpu else 0.99
    assert cos.min() >= 0.98 and cos.mean() >= mean_floor, f"lowest cosine {cos.min():.6f}, mean {cos.mean():.6f}"
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert float(np.asarray(emb.embed_query(texts[7])) @ a[7]) >= 0.999  # the query path and the batch path agree

    def no_quantize(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached int8 model was made again")

    monkeypatch.setattr(nncf, "quantize", no_quantize)
    monkeypatch.setitem(sys.modules, "nncf", None)  # nor imported: a cached model needs neither nncf nor torch loaded
    again = OpenVinoEmbedder(quantize="int8", cache_dir=cache)
    assert again.path == emb.path
    assert np.array_equal(np.asarray(again.embed_documents(texts[:50])), np.asarray(emb.embed_documents(texts[:50])))
    assert sorted(p.name for p in (cache / "openvino").iterdir() if not p.name.startswith(".")) == [
        emb.path.with_suffix(".bin").name, emb.path.name]
    # its own collection: not the fp32/bf16 one, not onnxruntime's int8 one
    names = {Settings(embed_backend=backend, embed_quantize=quantize).collection_name()
             for backend, quantize in (("openvino", "int8"), ("openvino", "auto"), ("onnx", "int8"), ("auto", "int8"))}
    assert len(names) == 3


def test_int8_without_nncf_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.knowledge.embedders.openvino import OpenVinoEmbedder

    monkeypatch.setitem(sys.modules, "nncf", None)  # `import nncf` raises ImportError, as when it is not installed
    with pytest.raises(ConfigError, match=r"CLINRAG_EMBED_QUANTIZE=int8 on CLINRAG_EMBED_BACKEND=openvino needs nncf"):
        OpenVinoEmbedder(quantize="int8", cache_dir=tmp_path)
    assert not (tmp_path / "openvino").exists() or not any((tmp_path / "openvino").glob("*.xml"))


def test_ingest_and_search_on_milvus_lite(tmp_path: Path, ov_auto, onnx_cache: Path) -> None:
    """The default backend end to end: starter guidelines into Milvus Lite, then searched, also with fp32 onnx query vectors."""
    from ingest.run import ingest_paths
    from rag.knowledge.embedders.base import from_spec
    from rag.knowledge.milvus import MilvusStore
    from rag.knowledge.search import retrieve
    from rag.settings import Settings

    settings = Settings(data_dir=tmp_path / "kb")
    store = MilvusStore.from_settings(settings, ov_auto.dim)
    try:
        report = ingest_paths([GUIDELINES], settings, ov_auto, store)
        assert report.ok, report.summary()
        assert report.count("ingested") >= 5
        found = retrieve("bee sting swelling on my arm", ov_auto, store, settings)
        assert found.sufficient and found.passages[0].source == "insect-bites-stings.md"
        # the knowledge base bf16 built serves fp32 query vectors from another backend (one name, one collection)
        onnx = from_spec("sentence-transformers:bundled-minilm", backend="onnx", cache_dir=onnx_cache)
        for question in ("bee sting swelling on my arm", "my child has a fever and a rash", "sore throat for three days"):
            a = retrieve(question, ov_auto, store, settings).passages[:3]
            b = retrieve(question, onnx, store, settings).passages[:3]
            assert [p.chunk_id for p in a] == [p.chunk_id for p in b], question
    finally:
        store.close()
