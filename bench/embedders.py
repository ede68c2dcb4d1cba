"""Embedder speed, side by side: torch (sentence-transformers) vs ONNX Runtime vs OpenVINO, fp32 and int8.

    .venv/bin/python bench/embedders.py [PDF_DIR] [--rounds 3] [--sample N] [--variants torch-fp32,onnx-fp32,...]

The texts are what clinrag embeds for the PDFs in PDF_DIR (default ../shared/guidelines-real): its own
parse -> chunk -> embed_text, 240-token chunks. Each variant runs in its own child process (no thread
pool left spinning from another runtime), one after another, `--rounds` times in rotating order; the
time is one `embed_documents` call over all the texts after a warm-up call, model loading excluded;
then 100 single-query calls (the first 12 words of a text each, the consultation path), median ms.
Reported: median texts/s and tokens/s, the ratio to torch fp32 (the previous default), and the cosine of
each variant's vectors to torch fp32's (min and mean over all texts).

Variants:
  torch-fp32        SentenceTransformerEmbedder as it was the default (torch's own thread count, batch 64)
  torch-fp32-tuned  the same with torch.set_num_threads(cores), one inter-op thread, batch 32
  torch-int8        the old opt-in: torch dynamic int8 Linear layers
  onnx-fp32         OnnxEmbedder (the exported, fused graph on onnxruntime), batch 32: the new default
  onnx-fp32-b8 / onnx-fp32-b64   the same with batches of 8 / 64
  onnx-int8         OnnxEmbedder with onnxruntime dynamic int8 weights
  openvino-bf16     OpenVinoEmbedder (the same fused export on OpenVINO's CPU plugin), CLINRAG_EMBED_QUANTIZE=auto:
                    bf16 where the CPU has it (the default); batches in flight on the THROUGHPUT hint's streams
  openvino-fp32     the same pinned to fp32 (CLINRAG_EMBED_QUANTIZE=none)
  openvino-int8     NNCF static int8 (CLINRAG_EMBED_BACKEND=openvino CLINRAG_EMBED_QUANTIZE=int8; needs nncf), made once
                    from the packaged model before the rounds (its time printed, like the ONNX export's)
  openvino-*-1stream  the same with one stream (the LATENCY hint's compiled model for every batch, one at a time)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VARIANTS = ["torch-fp32", "torch-fp32-tuned", "torch-int8", "onnx-fp32", "onnx-fp32-b8", "onnx-fp32-b64", "onnx-int8", "openvino-bf16",
            "openvino-bf16-1stream", "openvino-fp32", "openvino-fp32-1stream", "openvino-int8"]


def chunk_texts(pdf_dir: Path) -> list[str]:
    from ingest.chunk import chunk_document, embed_text
    from ingest.formats import read_file, resolve_metadata
    from ingest.pdf import PdfLimits
    from rag.knowledge.embedders.onnx import OnnxEmbedder

    counter = OnnxEmbedder()  # its tokenizer counts exactly as the model's (tests/test_onnx_embedder.py)
    out: list[str] = []
    for pdf in sorted(pdf_dir.glob("*.pdf")):
        parsed = read_file(pdf, PdfLimits(), 10**9)
        doc, _ = resolve_metadata(parsed, {})
        for c in chunk_document(doc, parsed.pages, parsed.fmt, counter.count_tokens, chunk_tokens=240, overlap_tokens=24,
                                max_tokens=counter.max_tokens):
            out.append(embed_text(doc, c.section, c.text))
    return out


def child(variant: str, texts_file: Path, out: Path, cache: Path) -> dict:
    texts = json.loads(texts_file.read_text())
    cores = os.cpu_count() or 1
    if variant.startswith("torch"):
        import torch

        from rag.knowledge.embedders.sentence_transformers import SentenceTransformerEmbedder

        if variant == "torch-fp32-tuned":
            torch.set_num_interop_threads(1)
            emb = SentenceTransformerEmbedder(threads=cores, batch_size=32)
        else:
            emb = SentenceTransformerEmbedder(quantize="int8" if variant == "torch-int8" else "none")
    elif variant.startswith("onnx"):
        from rag.knowledge.embedders.onnx import OnnxEmbedder

        batch = {"onnx-fp32-b8": 8, "onnx-fp32-b64": 64}.get(variant, 32)
        emb = OnnxEmbedder(quantize="int8" if variant == "onnx-int8" else "none", batch_size=batch, cache_dir=cache)
    elif variant.startswith("openvino"):
        from rag.knowledge.embedders.openvino import OpenVinoEmbedder

        quantize = "none" if "fp32" in variant else "int8" if "int8" in variant else "auto"
        emb = OpenVinoEmbedder(quantize=quantize, cache_dir=cache,  # type: ignore[assignment]
                               streams=1 if variant.endswith("-1stream") else 0)
    else:
        raise SystemExit(f"unknown variant {variant}")
    emb.embed_documents(texts[:8])
    t0 = time.perf_counter()
    vecs = np.asarray(emb.embed_documents(texts), dtype=np.float32)
    seconds = time.perf_counter() - t0
    np.save(out, vecs)
    # single queries, one call each (the consultation path): the first 12 words of 100 texts
    queries = [" ".join(t.split()[:12]) for t in texts[:100]]
    per: list[float] = []
    for q in queries:
        t1 = time.perf_counter()
        emb.embed_query(q)
        per.append(time.perf_counter() - t1)
    return {"variant": variant, "seconds": seconds, "texts": len(texts), "query_ms": 1000 * statistics.median(per)}


def load_avg() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("pdfs", nargs="?", default=str(ROOT.parent / "shared" / "guidelines-real"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--sample", type=int, default=1, help="keep every Nth text (same length mix, shorter run)")
    ap.add_argument("--child", nargs=4, metavar=("VARIANT", "TEXTS", "OUT", "CACHE"))
    args = ap.parse_args()
    if args.child:
        v, texts, out, cache = args.child
        print(json.dumps(child(v, Path(texts), Path(out), Path(cache))))
        return

    variants = [v for v in args.variants.split(",") if v]
    try:
        import openvino  # noqa: F401
    except ImportError:
        print("openvino not installed: its variants skipped")
        variants = [v for v in variants if not v.startswith("openvino")]
    pdf_dir = Path(args.pdfs)
    if not pdf_dir.is_dir():
        sys.exit(f"no PDF folder at {pdf_dir}")
    from rag.knowledge.embedders.onnx import OnnxEmbedder, default_cache_dir, onnx_model_file
    from rag.knowledge.embedders.sentence_transformers import bundled_minilm_path

    with tempfile.TemporaryDirectory(prefix="clinrag-embedbench-") as tmp:
        work = Path(tmp)
        texts = chunk_texts(pdf_dir)[::args.sample]
        tokens = sum(OnnxEmbedder().count_tokens(t) for t in texts)
        (work / "texts.json").write_text(json.dumps(texts))
        cache = default_cache_dir()  # made once, like a user's first run; timed below
        t0 = time.perf_counter()
        onnx_model_file(bundled_minilm_path(), "none", cache)
        t_fp32 = time.perf_counter() - t0
        t0 = time.perf_counter()
        onnx_model_file(bundled_minilm_path(), "int8", cache)
        t_int8 = time.perf_counter() - t0
        if "openvino-int8" in variants:
            from rag.knowledge.embedders.openvino import OpenVinoEmbedder

            t0 = time.perf_counter()
            OpenVinoEmbedder(quantize="int8", cache_dir=cache)
            print(f"OpenVINO int8 model ready in {time.perf_counter() - t0:.1f} s (NNCF, a first build, or 0 when cached)")
        print(f"{len(texts)} texts, {tokens} tokens (with [CLS]/[SEP], before truncation) from {pdf_dir}; cores {os.cpu_count()}; "
              f"ONNX files ready in {t_fp32:.1f} s (fp32), {t_int8:.1f} s (int8) (a first export, or 0 when cached)")
        print(f"start: {load_avg()}", flush=True)
        times: dict[str, list[float]] = {v: [] for v in variants}
        query_ms: dict[str, list[float]] = {v: [] for v in variants}
        for r in range(args.rounds):
            order = variants[r % len(variants):] + variants[:r % len(variants)]
            for v in order:
                res = subprocess.run([sys.executable, __file__, "--child", v, str(work / "texts.json"), str(work / f"{v}.npy"),
                                      str(cache)], capture_output=True, text=True, cwd=ROOT)
                if res.returncode != 0:
                    print(f"{v} failed: {res.stderr[-2000:]}")
                    times[v].append(float("nan"))
                    continue
                line = [x for x in res.stdout.splitlines() if x.startswith("{")][-1]
                times[v].append(json.loads(line)["seconds"])
                query_ms[v].append(json.loads(line)["query_ms"])
                print(f"round {r + 1} {v}: {times[v][-1]:.2f} s, one query {query_ms[v][-1]:.1f} ms ({load_avg()})", flush=True)
        print(f"end: {load_avg()}\n")
        ref = np.load(work / "torch-fp32.npy") if (work / "torch-fp32.npy").exists() else None
        base = statistics.median(times["torch-fp32"]) if "torch-fp32" in times else float("nan")
        print("| variant | median s | texts/s | tokens/s | vs torch fp32 | cosine to torch fp32, min / mean | one query, median ms | runs (s) |")
        print("|---|---:|---:|---:|---:|---|---:|---|")
        for v in variants:
            med = statistics.median(times[v])
            cos = ""
            if ref is not None and (work / f"{v}.npy").exists():
                c = (np.load(work / f"{v}.npy") * ref).sum(axis=1)
                cos = f"{c.min():.6f} / {c.mean():.6f}"
            qms = statistics.median(query_ms[v]) if query_ms[v] else float("nan")
            print(f"| {v} | {med:.2f} | {len(texts) / med:.1f} | {tokens / med:.0f} | {base / med:.2f}x | {cos} | {qms:.1f} | "
                  f"{', '.join(f'{t:.1f}' for t in times[v])} |")


if __name__ == "__main__":
    main()
