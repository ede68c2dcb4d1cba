"""OpenVINO embedder: the ONNX export of onnx.py run by OpenVINO's CPU plugin, bf16 where the CPU has it.

CLINRAG_EMBED_BACKEND=openvino, the default wherever `import openvino` works (rag/knowledge/embedders/base.py
falls back to onnx otherwise). It reads the same exported, fused file as the onnx backend (made once, kept
in CLINRAG_MODEL_CACHE_DIR) and shares its tokenisation, length-sorted batching and pooling
(exported.py); only the step from token ids to hidden states differs.

Precision (CLINRAG_EMBED_QUANTIZE): 'auto' (default) runs the matrix products in bf16 where the CPU has
bf16 instructions (AVX512-BF16 or AMX; OpenVINO's own default there), else fp32; 'none' (or 'fp32')
pins fp32; 'bf16' insists on bf16. Threads: one compiled model with the LATENCY hint (one stream, every
thread on one request) serves queries and single batches; a call with several batches goes to a
second one with the THROUGHPUT hint (one stream per core, batches in flight together, tokenising and
pooling overlapped with inference), compiled on first use. CLINRAG_EMBED_THREADS caps the threads
(`clinrag serve` gives 1, whose concurrent requests keep the other cores busy; then there is one stream).

Identity, decided: every precision keeps the embedder name `sentence-transformers:<model>`, the name of
the torch and onnx fp32 backends, so stored vectors, the embedding cache and the collection are shared.
int8 (CLINRAG_EMBED_QUANTIZE=int8 with CLINRAG_EMBED_BACKEND=openvino) is the exception: see below.
bf16 vectors differ from fp32 by about 1e-3 per component, but their cosine to torch fp32 stays
>= 0.9999 on real guideline passages (tests/test_openvino_embedder.py; lowest measured 0.99997) and
MEDIQA nDCG@10 moves by -0.0010 (bench/RESULTS.md, the default requires 0.005), far below the
differences ranking and the calibrated thresholds resolve. A name of its own would cost more than it protects: 'auto' picks bf16 or fp32 by the
CPU, so one configuration would name two collections, and a knowledge base built on one machine would
look empty on another (or after OpenVINO is installed or removed) until it was re-ingested. int8 is
different vectors (cosine ~0.988) and keeps its own name on the onnx backend.

int8 on OpenVINO (opt-in: CLINRAG_EMBED_BACKEND=openvino CLINRAG_EMBED_QUANTIZE=int8): post-training static
quantisation by NNCF (`nncf.quantize`, transformer preset: int8 weights and activations of every MatMul), made
once on this machine from the packaged fp32 model: the plain torch.onnx export of onnx.py (not the onnxruntime-fused
file, whose graph NNCF cannot read), activation ranges measured on the texts of int8_calibration.txt (packaged), the
result saved as an OpenVINO IR in CLINRAG_MODEL_CACHE_DIR/openvino, keyed by the model's files, the recipe, the
calibration texts and the NNCF version. Nothing is downloaded. Its vectors differ (cosine to fp32 >= 0.98), so it has
its own name (`#openvino-int8`) and collection. bench/RESULTS.md ("round 3") has its speed and MEDIQA figures.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import tempfile
import threading
from collections.abc import Callable, Iterable
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ConfigError
from rag.knowledge.embedders.exported import ExportedEmbedder, Sink
from rag.knowledge.embedders.onnx import _export, _model_key, default_cache_dir, made_once, onnx_model_file

__all__ = ["OpenVinoEmbedder", "calibration_texts", "int8_model_file", "precision_hint"]

log = logging.getLogger(__name__)

_PRECISIONS = {"auto": "auto", "none": "f32", "fp32": "f32", "bf16": "bf16", "int8": "int8"}

# bump when the int8 recipe changes: every cached int8 model is then made again
_INT8_VERSION = "1"
_CALIBRATION = Path(__file__).with_name("int8_calibration.txt")
_CALIBRATION_BATCH = 8


def precision_hint(quantize: str) -> str:
    """CLINRAG_EMBED_QUANTIZE as OpenVINO's precision: 'auto', 'f32', 'bf16' or 'int8'."""
    if quantize not in _PRECISIONS:
        raise ConfigError(f"CLINRAG_EMBED_QUANTIZE={quantize!r}: CLINRAG_EMBED_BACKEND=openvino runs 'auto' (bf16 where the CPU "
                          "has it, else fp32), 'bf16', 'none' (fp32) or 'int8'")
    return _PRECISIONS[quantize]


def calibration_texts() -> list[str]:
    """The packaged texts the int8 model's activation ranges are measured on (one a line, '#' lines are comments)."""
    lines = _CALIBRATION.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def int8_model_file(folder: Path, batches: Callable[[list[str]], Iterable[dict[str, np.ndarray]]],
                    cache_dir: Path | None = None) -> Path:
    """The NNCF int8 OpenVINO IR (.xml, its .bin beside it) of a model folder; made on first use, then read from the cache.

    `batches` turns texts into the model's padded inputs (the embedder's own tokenisation), for calibration."""
    from importlib import metadata

    def no_nncf(exc: Exception) -> ConfigError:
        return ConfigError(f"CLINRAG_EMBED_QUANTIZE=int8 on CLINRAG_EMBED_BACKEND=openvino needs nncf ({exc}); install it with "
                           "`pip install 'nncf>=3.4'`, or use CLINRAG_EMBED_BACKEND=onnx for onnxruntime int8")

    try:
        nncf_version = metadata.version("nncf")  # not `import nncf` (3 s, and it loads torch): a cached model needs neither
    except metadata.PackageNotFoundError as exc:
        raise no_nncf(exc) from None
    cache = (cache_dir or default_cache_dir()) / "openvino"
    cache.mkdir(parents=True, exist_ok=True)
    recipe = hashlib.sha256(_CALIBRATION.read_bytes()).hexdigest()[:12]
    key = _model_key(folder, f"openvino-int8|{_INT8_VERSION}|{recipe}|nncf-{nncf_version}")
    target = cache / f"{folder.name}-{key}-int8.xml"

    def build() -> None:
        try:
            import nncf
        except ImportError as exc:
            raise no_nncf(exc) from None
        import openvino as ov

        log.info("making the int8 OpenVINO model of %s once (NNCF, %d calibration texts), into %s", folder,
                 len(calibration_texts()), cache)
        nncf.set_log_level(logging.ERROR)
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            raw = Path(tmp) / "raw.onnx"
            _export(folder, raw)
            model = ov.Core().read_model(str(raw))
            feeds = list(batches(calibration_texts()))
            quantized = nncf.quantize(model, nncf.Dataset(feeds), model_type=nncf.ModelType.TRANSFORMER,
                                      preset=nncf.QuantizationPreset.MIXED, subset_size=len(feeds))
            xml = Path(tmp) / "int8.xml"
            ov.save_model(quantized, str(xml), compress_to_fp16=False)  # the fp32 parts (embeddings, norms) stay fp32
            os.replace(xml.with_suffix(".bin"), target.with_suffix(".bin"))
            os.replace(xml, target)  # last: a reader that sees the .xml finds its .bin

    return made_once(target, build)


class OpenVinoEmbedder(ExportedEmbedder):
    """Length-sorted batches through OpenVINO's CPU plugin; vectors as sentence-transformers makes them (bf16: to 1e-4 cosine)."""

    backend = "openvino"

    def __init__(self, model: str = "bundled-minilm", *, batch_size: int = 32, threads: int = 0, quantize: str = "auto",
                 cache_dir: Path | None = None, streams: int = 0) -> None:
        precision = precision_hint(quantize)
        if threads < 0:
            raise ConfigError(f"CLINRAG_EMBED_THREADS={threads!r}: use 0 (all cores) or a positive number of threads")
        if streams < 0:
            raise ValueError(f"streams={streams!r}: use 0 (the THROUGHPUT hint's choice) or a positive number")
        super().__init__(model, batch_size=batch_size)
        import openvino as ov

        self._core = ov.Core()
        has_bf16 = "BF16" in self._core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
        if precision == "bf16" and not has_bf16:
            raise ConfigError("CLINRAG_EMBED_QUANTIZE=bf16: this CPU has no bf16 instructions (AVX512-BF16 or AMX); "
                              "use 'auto' or 'none' (fp32)")
        self.quantize = quantize
        if precision == "int8":
            # int8 MatMuls; what NNCF leaves in floating point runs in the CPU's precision (bf16 where it has it)
            self.int8 = True
            self.precision = "bf16" if has_bf16 else "f32"
            self.name = f"sentence-transformers:{model}#openvino-int8"
            self._inputs = {"input_ids", "attention_mask", "token_type_ids"}  # the export's inputs, for calibration batches
            self.path = int8_model_file(self.folder, self._calibration_batches, cache_dir)
        else:
            self.int8 = False
            self.precision = precision if precision != "auto" else ("bf16" if has_bf16 else "f32")
            # the fp32 name whatever the precision: see the module docstring
            self.name = f"sentence-transformers:{model}"
            self.path = onnx_model_file(self.folder, "none", cache_dir)
        self._model = self._core.read_model(str(self.path))
        self._inputs = {n for port in self._model.inputs for n in port.get_names()}
        self._streams = streams  # 0: the THROUGHPUT hint's choice (one per core) for multi-batch calls; 1: never
        self._threads = threads
        self._open(threads)

    def _calibration_batches(self, texts: list[str]) -> Iterable[dict[str, np.ndarray]]:
        size, self._batch_size = self._batch_size, _CALIBRATION_BATCH
        try:
            return [feed for feed, _ in self._batches(texts)]
        finally:
            self._batch_size = size

    def _open(self, threads: int) -> None:
        config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": self.precision, "PERFORMANCE_HINT": "LATENCY"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        self._config = config
        self._latency = self._core.compile_model(self._model, "CPU", config)
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()  # infer requests of the latency model, one per concurrent caller
        self._queue: Any = None  # the THROUGHPUT model's AsyncInferQueue, made on the first multi-batch call
        self._queue_streams = 0
        self._queue_lock = threading.Lock()

    def set_threads(self, threads: int) -> None:
        """Compile again with this many threads (a server gives it 1: its requests run in parallel)."""
        if threads != self._threads:
            self._threads = threads
            self._open(threads)

    def _async_queue(self) -> Any:
        if self._queue is None:
            import openvino as ov

            config = {**self._config, "PERFORMANCE_HINT": "THROUGHPUT"}
            if self._streams:
                config["NUM_STREAMS"] = self._streams
            compiled = self._core.compile_model(self._model, "CPU", config)
            jobs = int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
            self._queue_streams = int(compiled.get_property("NUM_STREAMS"))
            self._queue = ov.AsyncInferQueue(compiled, max(2, jobs))
        return self._queue

    def _parallel(self) -> bool:
        return self._streams != 1 and self._threads != 1

    def _run(self, batches: Iterable[dict[str, np.ndarray]], sink: Sink) -> None:
        it = iter(batches)
        head = list(next(it, None) for _ in range(2))
        feeds = chain((f for f in head if f is not None), it)
        # several batches and nobody else using the streams: run them in flight together
        if head[1] is not None and self._parallel() and self._queue_lock.acquire(blocking=False):
            try:
                self._run_async(feeds, sink)
            finally:
                self._queue_lock.release()
            return
        # one batch of several texts (a revised guideline's few changed chunks) once the streams exist: its rows split
        # across them, each part padded as the whole batch, so every vector is bit-identical to the one-batch call
        single = head[0]
        if (head[1] is None and single is not None and self._queue_streams >= 2 and len(single["input_ids"]) >= 2
                and self._parallel() and self._queue_lock.acquire(blocking=False)):
            try:
                self._run_split(single, sink)
            finally:
                self._queue_lock.release()
            return
        try:
            request = self._idle.get_nowait()
        except queue.Empty:
            request = self._latency.create_infer_request()
        try:
            for i, feed in enumerate(feeds):
                request.infer(feed)
                sink(i, request.get_output_tensor(0).data)  # pooled before the next infer reuses the buffer
        finally:
            self._idle.put(request)

    def _run_split(self, feed: dict[str, np.ndarray], sink: Sink) -> None:
        """One batch run as row slices on the THROUGHPUT model's streams (one thread each: no thread waits on another
        inside a layer, which on busy cores cost the LATENCY model's two threads ~10-20% of a small call)."""
        rows = len(feed["input_ids"])
        parts = min(rows, self._queue_streams)
        bounds = [(k * rows // parts, (k + 1) * rows // parts) for k in range(parts)]
        hidden: list[np.ndarray | None] = [None] * parts

        def part_sink(i: int, out: np.ndarray) -> None:
            hidden[i] = np.array(out, copy=True)  # the request's buffer is reused by its next inference

        self._run_async(({name: arr[a:b] for name, arr in feed.items()} for a, b in bounds), part_sink)
        sink(0, np.concatenate([h for h in hidden if h is not None]))

    def _run_async(self, feeds: Iterable[dict[str, np.ndarray]], sink: Sink) -> None:
        q = self._async_queue()
        errors: list[BaseException] = []

        def done(request: Any, i: int) -> None:
            try:
                sink(i, request.get_output_tensor(0).data)
            except BaseException as exc:  # raised in OpenVINO's thread: re-raised below, in the caller's
                errors.append(exc)

        q.set_callback(done)
        try:
            for i, feed in enumerate(feeds):
                q.start_async(feed, i)  # waits for a free request: the next batch is tokenised while these run
        finally:
            q.wait_all()
        if errors:
            raise errors[0]
