"""First ingest of the real guideline PDFs: the LangChain baseline vs clinrag with each embedder backend, one run.

    .venv/bin/python bench/ingest_backends.py [PDF_DIR] --baseline-python /work/lcvenv/bin/python [--int8]

Uses bench/ingest.py's children (each variant in its own process, ingest time after model load): the
baseline, then clinrag with CLINRAG_EMBED_BACKEND=onnx (the default), then with =torch (the previous
default), then (--int8) ONNX int8. The ONNX file is made before timing (a first run makes it once).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_ingest", ROOT / "bench" / "ingest.py")
    bench_ingest = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(bench_ingest)  # type: ignore[union-attr]
    run_child = bench_ingest.run_child

    ap = argparse.ArgumentParser()
    ap.add_argument("pdf_dir", nargs="?", type=Path, default=ROOT.parent / "shared" / "guidelines-real")
    ap.add_argument("--baseline-python", default=sys.executable)
    ap.add_argument("--int8", action="store_true")
    a = ap.parse_args()
    pdfs = sorted(a.pdf_dir.glob("*.pdf"))
    from rag.knowledge.embedders.onnx import onnx_model_file
    from rag.knowledge.embedders.sentence_transformers import bundled_minilm_path

    for q in ("none", "int8") if a.int8 else ("none",):
        onnx_model_file(bundled_minilm_path(), q)
    variants = [("onnx fp32 (default)", {"CLINRAG_EMBED_BACKEND": "onnx"}), ("torch fp32 (previous default)", {"CLINRAG_EMBED_BACKEND": "torch"})]
    if a.int8:
        variants.append(("onnx int8", {"CLINRAG_EMBED_BACKEND": "onnx", "CLINRAG_EMBED_QUANTIZE": "int8"}))
    with tempfile.TemporaryDirectory() as tmp:
        base = run_child("baseline", pdfs, Path(tmp) / "b", python=a.baseline_python)
        rows = [("baseline (LangChain)", base["pages"], base["chunks"], base["seconds"], None, base["load"])]
        for i, (name, env) in enumerate(variants):
            saved = {k: os.environ.get(k) for k in env}
            os.environ.update(env)
            try:
                r = run_child("clinrag", pdfs, Path(tmp) / f"c{i}")
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
            first = r["runs"][0]
            rows.append((f"clinrag, {name}", first["pages"], first["chunks"], first["seconds"], first["embed_seconds"], r["load"]))
    b_pps = base["pages"] / base["seconds"]
    print(f"PDFs: {len(pdfs)} from {a.pdf_dir}; cores {os.cpu_count()}\n")
    print("| variant | pages | chunks | ingest s | pages/s | vs baseline | embedding s | non-embedding share | load avg before, after |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, pages, chunks, s, emb, ld in rows:
        share = f"{100 * (s - emb) / s:.0f}%" if emb is not None else ""
        print(f"| {name} | {pages} | {chunks} | {s:.2f} | {pages / s:.2f} | {pages / s / b_pps:.2f}x | "
              f"{'' if emb is None else f'{emb:.2f}'} | {share} | {ld[0]}, {ld[1]} |")


if __name__ == "__main__":
    main()
