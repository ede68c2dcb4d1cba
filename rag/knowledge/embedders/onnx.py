"""ONNX Runtime embedder: the same sentence-transformers model, exported once, run without torch at query time.

CLINRAG_EMBED_BACKEND=onnx (the default where OpenVINO is not installed; OpenVINO runs the same
file, openvino.py). On first use the model folder is exported with
torch.onnx (the TorchScript exporter, eager attention so the padding mask is part of the graph),
its layers fused by onnxruntime's transformer optimizer (attention, skip-layer-norm, GELU), and,
for CLINRAG_EMBED_QUANTIZE=int8, its weights quantized to int8 (onnxruntime dynamic quantization).
The file goes to a cache folder (CLINRAG_MODEL_CACHE_DIR, default ~/.cache/clinrag), keyed by the
model's own files, so a changed model is exported again and an unchanged one never is.

What runs per call is what sentence-transformers does for MiniLM (exported.py, shared with the
OpenVINO backend, which runs this same file): the model's fast tokenizer truncating at
max_seq_length, the transformer, mean pooling over the attention mask (or the [CLS] token),
L2 normalisation. In fp32 the vectors equal the torch backend's to float rounding (tests/test_onnx_embedder.py: cosine >= 0.99999 on real
guideline text), so both backends share one embedder name and a knowledge base built with either
serves the other. int8 vectors differ, so that variant has its own name (`#onnx-int8`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ConfigError
from rag.knowledge.embedders.exported import ExportedEmbedder, Sink

__all__ = ["OnnxEmbedder", "default_cache_dir", "onnx_model_file"]

log = logging.getLogger(__name__)

# bump when the export recipe changes: every cached file is then made again
_EXPORT_VERSION = "2"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clinrag"


def _model_key(folder: Path, quantize: str) -> str:
    """Hash of what the exported file depends on: the model's files, the recipe, the quantisation."""
    h = hashlib.sha256(f"clinrag-onnx|{_EXPORT_VERSION}|{quantize}".encode())
    for name in sorted(p.name for p in folder.iterdir() if p.is_file()):
        if name.endswith((".safetensors", ".bin", ".json", ".txt")) and not name.startswith("."):
            h.update(name.encode())
            with open(folder / name, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
    return h.hexdigest()[:20]


@contextlib.contextmanager
def _export_lock(path: Path) -> Iterator[None]:
    """One process exports; others wait for it (API workers starting together)."""
    import fcntl

    with open(path, "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def made_once(target: Path, build: Callable[[], None]) -> Path:
    """`target` in a model cache: returned when it exists, else built by `build` under the cache's lock (one process
    builds; the others wait, then find it)."""
    if target.exists():
        return target
    with _export_lock(target.parent / ".export.lock"):
        if not target.exists():  # (another process may have made it while we waited)
            build()
    return target


def onnx_model_file(folder: Path, quantize: str = "none", cache_dir: Path | None = None) -> Path:
    """The exported (and, for int8, quantized) ONNX file of a model folder; made on first use."""
    cache = (cache_dir or default_cache_dir()) / "onnx"
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{folder.name}-{_model_key(folder, quantize)}-{quantize}.onnx"

    def build() -> None:
        log.info("exporting %s to ONNX (%s) once, into %s", folder, quantize, cache)
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            raw = Path(tmp) / "raw.onnx"
            _export(folder, raw)
            fused = Path(tmp) / "fused.onnx"
            _fuse(folder, raw, fused)
            final = fused
            if quantize == "int8":
                final = Path(tmp) / "int8.onnx"
                _quantize(fused, final)
            os.replace(final, target)  # atomic: a reader sees the whole file or none

    return made_once(target, build)


def _export(folder: Path, out: Path) -> None:
    import warnings

    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()

    class _Hidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    # a padded example, so the traced graph applies the attention mask rather than a no-padding shortcut
    ids = torch.full((2, 16), 1000, dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    mask[1, 9:] = 0
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(_Hidden(model), (ids, mask, torch.zeros_like(ids)), str(out), input_names=names,
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False)


def _fuse(folder: Path, raw: Path, out: Path) -> None:
    from onnxruntime.transformers import optimizer

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    if config.get("model_type") not in {"bert", "roberta", "xlm-roberta", "distilbert", "mpnet"}:
        import shutil

        shutil.copyfile(raw, out)  # unknown layout: onnxruntime's own graph optimisations still apply at load
        return
    fused = optimizer.optimize_model(str(raw), model_type="bert", num_heads=int(config.get("num_attention_heads", 0)),
                                     hidden_size=int(config.get("hidden_size", 0)), opt_level=1)
    fused.save_model_to_file(str(out))


def _quantize(src: Path, out: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # per-channel int8 weights of the MatMuls only: per-tensor scales, or quantizing the fused Attention op too, cost far more
    # accuracy (cosine to fp32 down to 0.87-0.91 on guideline chunks; per-channel MatMul only: >= 0.988)
    quantize_dynamic(str(src), str(out), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"],
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


class OnnxEmbedder(ExportedEmbedder):
    """Length-sorted batches through onnxruntime; vectors as sentence-transformers makes them."""

    backend = "onnx"

    def __init__(self, model: str = "bundled-minilm", *, batch_size: int = 32, threads: int = 0, quantize: str = "none",
                 cache_dir: Path | None = None) -> None:
        quantize = {"auto": "none", "fp32": "none"}.get(quantize, quantize)
        if quantize not in {"none", "int8"}:
            raise ConfigError(f"CLINRAG_EMBED_QUANTIZE={quantize!r}: CLINRAG_EMBED_BACKEND=onnx runs 'none' (fp32) or 'int8'; "
                              "bf16 needs CLINRAG_EMBED_BACKEND=openvino")
        super().__init__(model, batch_size=batch_size)
        # fp32 vectors equal the torch backend's (tested), so the name is the same; int8 ones are not
        self.name = f"sentence-transformers:{model}" + ("#onnx-int8" if quantize == "int8" else "")
        self.quantize = quantize
        self.path = onnx_model_file(self.folder, quantize, cache_dir)
        self._threads = threads
        self._session = self._open(threads)

    def _open(self, threads: int) -> Any:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads  # 0 = one per physical core
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        session = ort.InferenceSession(str(self.path), so, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in session.get_inputs()}
        return session

    def set_threads(self, threads: int) -> None:
        """Re-open the session with this many intra-op threads (a server gives it 1: its requests run in parallel)."""
        if threads != self._threads:
            self._threads = threads
            self._session = self._open(threads)

    def _run(self, batches: Iterable[dict[str, np.ndarray]], sink: Sink) -> None:
        for i, feed in enumerate(batches):
            sink(i, self._session.run(None, feed)[0])
