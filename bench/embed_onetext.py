"""One-text embed_query on one thread (as `clinrag serve` runs the embedder): OpenVINO bf16 (the default) vs int8.

    .venv/bin/python bench/embed_onetext.py [PDF_DIR] [--blocks 6] [--queries 200]

Both models in one process, so both see the same load: blocks of twelve-word queries (the first 12 words of the texts
clinrag embeds for PDF_DIR, as bench/embedders.py makes them), the two models alternating block by block; wall and
process CPU ms a call, medians over the blocks. int8 needs nncf (its model is made on first use, not timed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("pdfs", nargs="?", default=str(ROOT.parent / "shared" / "guidelines-real"))
    ap.add_argument("--blocks", type=int, default=6)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    from embedders import chunk_texts

    from rag.knowledge.embedders.openvino import OpenVinoEmbedder

    if not Path(args.pdfs).is_dir():
        sys.exit(f"no PDF folder at {args.pdfs}")
    qs = [" ".join(t.split()[:12]) for t in chunk_texts(Path(args.pdfs))[:args.queries]]
    if not qs:
        sys.exit(f"no PDF text in {args.pdfs}")
    embs = {"bf16 (auto)": OpenVinoEmbedder(quantize="auto", threads=1), "int8": OpenVinoEmbedder(quantize="int8", threads=1)}
    for e in embs.values():
        for q in qs[:20]:
            e.embed_query(q)
    res: dict[str, dict[str, list[float]]] = {k: {"wall": [], "cpu": []} for k in embs}
    print(f"start: load average {os.getloadavg()[0]:.2f}")
    for r in range(args.blocks):
        for k, e in (list(embs.items()) if r % 2 == 0 else list(reversed(embs.items()))):
            w0, c0 = time.perf_counter(), time.process_time()
            for q in qs:
                e.embed_query(q)
            res[k]["wall"].append(1000 * (time.perf_counter() - w0) / len(qs))
            res[k]["cpu"].append(1000 * (time.process_time() - c0) / len(qs))
    for k, v in res.items():
        print(f"{k}: wall ms a call, median {statistics.median(v['wall']):.2f} ({', '.join(f'{x:.2f}' for x in v['wall'])}); "
              f"CPU ms a call, median {statistics.median(v['cpu']):.2f} ({', '.join(f'{x:.2f}' for x in v['cpu'])})")
    print(f"end: load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
