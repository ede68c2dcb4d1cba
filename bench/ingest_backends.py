"""First ingest of the real guideline PDFs: the LangChain baseline vs clinrag with each embedder backend, side by side.

    .venv/bin/python bench/ingest_backends.py [PDF_DIR] --baseline-python /tmp/openvino/lcvenv/bin/python [--rounds 2] [--int8]

Uses bench/ingest.py's children (each variant in its own process, a fresh Milvus Lite, ingest time after
model load): the baseline, then clinrag with the default settings (CLINRAG_EMBED_BACKEND=auto: OpenVINO,
bf16 where the CPU has it), OpenVINO pinned to fp32, ONNX Runtime fp32 (the previous default), torch fp32
(the one before), and (--int8) ONNX int8. `--rounds` repeats all of them, each round in a rotated order
so no variant always runs first or last on this shared machine; reported are per-variant medians of
pages/s and of the ratio to the baseline's pages/s in the same round, and clinrag's non-embedding share
(ingest time outside `embed_documents`). The ONNX file is made before timing (a first run makes it once).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VARIANTS: list[tuple[str, dict[str, str]]] = [
    ("openvino bf16 (default)", {"CLINRAG_EMBED_BACKEND": "auto", "CLINRAG_EMBED_QUANTIZE": "auto"}),
    ("openvino fp32", {"CLINRAG_EMBED_BACKEND": "openvino", "CLINRAG_EMBED_QUANTIZE": "none"}),
    ("onnx fp32 (previous default)", {"CLINRAG_EMBED_BACKEND": "onnx", "CLINRAG_EMBED_QUANTIZE": "none"}),
    ("torch fp32", {"CLINRAG_EMBED_BACKEND": "torch", "CLINRAG_EMBED_QUANTIZE": "none"}),
]


def main() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_ingest", ROOT / "bench" / "ingest.py")
    bench_ingest = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(bench_ingest)  # type: ignore[union-attr]
    run_child = bench_ingest.run_child

    ap = argparse.ArgumentParser()
    ap.add_argument("pdf_dir", nargs="?", type=Path, default=ROOT.parent / "shared" / "guidelines-real")
    ap.add_argument("--baseline-python", default=sys.executable)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--int8", action="store_true")
    ap.add_argument("--variants", default="", help="comma-separated substrings of the variant names to keep (default: all)")
    a = ap.parse_args()
    pdfs = sorted(a.pdf_dir.glob("*.pdf"))
    from rag.knowledge.embedders.onnx import onnx_model_file
    from rag.knowledge.embedders.sentence_transformers import bundled_minilm_path

    for q in ("none", "int8") if a.int8 else ("none",):
        onnx_model_file(bundled_minilm_path(), q)
    variants = list(VARIANTS)
    if a.int8:
        variants.append(("onnx int8", {"CLINRAG_EMBED_BACKEND": "onnx", "CLINRAG_EMBED_QUANTIZE": "int8"}))
    if a.variants:
        variants = [v for v in variants if any(k in v[0] for k in a.variants.split(","))]
    names = ["baseline (LangChain)"] + [f"clinrag, {n}" for n, _ in variants]
    envs: dict[str, dict[str, str] | None] = {"baseline (LangChain)": None, **{f"clinrag, {n}": e for n, e in variants}}
    runs: dict[str, list[dict]] = {n: [] for n in names}  # per round: pages, chunks, seconds, embed_seconds, load
    print(f"PDFs: {len(pdfs)} from {a.pdf_dir}; cores {os.cpu_count()}; rounds {a.rounds}\n", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            for i, name in enumerate(order):
                out = Path(tmp) / f"r{r}-{i}"
                env = envs[name]
                if env is None:
                    b = run_child("baseline", pdfs, out, python=a.baseline_python)
                    row = {"pages": b["pages"], "chunks": b["chunks"], "seconds": b["seconds"], "embed_seconds": None, "load": b["load"]}
                else:
                    saved = {k: os.environ.get(k) for k in env}
                    os.environ.update(env)
                    try:
                        c = run_child("clinrag", pdfs, out)
                    finally:
                        for k, v in saved.items():
                            if v is None:
                                os.environ.pop(k, None)
                            else:
                                os.environ[k] = v
                    first = c["runs"][0]
                    row = {**{k: first[k] for k in ("pages", "chunks", "seconds", "embed_seconds")}, "load": c["load"]}
                runs[name].append(row)
                print(f"round {r + 1} {name}: {row['seconds']:.1f} s, {row['pages'] / row['seconds']:.2f} pages/s "
                      f"(load {row['load'][0]} -> {row['load'][1]})", flush=True)
    base = runs["baseline (LangChain)"]
    print("\n| variant | pages | chunks | median ingest s | median pages/s | median vs baseline (same round) | median embedding s "
          "| non-embedding share | runs (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for name in names:
        rs = runs[name]
        secs = statistics.median(x["seconds"] for x in rs)
        pps = statistics.median(x["pages"] / x["seconds"] for x in rs)
        ratio = statistics.median((x["pages"] / x["seconds"]) / (b["pages"] / b["seconds"]) for x, b in zip(rs, base, strict=True))
        emb = [x["embed_seconds"] for x in rs if x["embed_seconds"] is not None]
        emb_s = f"{statistics.median(emb):.1f}" if emb else ""
        share = f"{100 * statistics.median((x['seconds'] - x['embed_seconds']) / x['seconds'] for x in rs):.0f}%" if emb else ""
        print(f"| {name} | {rs[0]['pages']} | {rs[0]['chunks']} | {secs:.1f} | {pps:.2f} | {ratio:.2f}x | {emb_s} | {share} | "
              f"{', '.join(format(x['seconds'], '.1f') for x in rs)} |")


if __name__ == "__main__":
    main()
