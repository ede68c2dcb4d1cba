"""When the model waits during a first ingest: the wall time outside the model's calls, split in three.

    .venv/bin/python bench/ingest_gaps.py [PDF_DIR] [--before /tmp/other-checkout] [--rounds 2]

Each run is a child process (a fresh Milvus Lite and embedding cache, the default embedder, after model load)
that ingests every PDF of PDF_DIR and times each `embed_documents` call of the model; it prints the ingest time,
the time inside the model, and the rest (bench/ingest_ab.py's non-embedding share) as: **start** (before the
first model call: the first file's parse and chunking), **middle** (between calls: the model waiting for a
file's chunks) and **end** (after the last call: the writes left over). With --before, the other checkout's code
runs alternately (ABBA...), each child with that checkout's own ingest code and parse server.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(code: Path, out: Path, pdfs: list[Path]) -> dict[str, float]:
    sys.path.insert(0, str(code))
    from ingest.run import ingest_paths
    from rag.backends import Backends
    from rag.settings import Settings

    settings = Settings(data_dir=out)
    backends = Backends(settings)
    model, store, calls = backends.embedder, backends.store, []  # Milvus Lite opened before the clock starts

    class Timed:
        name, dim, max_tokens = model.name, model.dim, model.max_tokens

        def count_tokens(self, text: str) -> int:
            return model.count_tokens(text)

        def embed_query(self, text: str) -> list[float]:
            return model.embed_query(text)

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            t0 = time.perf_counter()
            try:
                return model.embed_documents(texts)
            finally:
                calls.append((t0, time.perf_counter()))

    emb = Timed()
    emb.embed_documents(["warm up"])
    calls.clear()
    t0 = time.perf_counter()
    report = ingest_paths(pdfs, settings, emb, store)  # type: ignore[arg-type]
    wall = time.perf_counter() - t0
    assert report.ok, report.summary()
    calls.sort()
    between = sum(max(0.0, calls[i + 1][0] - calls[i][1]) for i in range(len(calls) - 1))
    backends.close()
    return {"seconds": wall, "model": sum(e - s for s, e in calls), "start": calls[0][0] - t0, "middle": between,
            "end": t0 + wall - calls[-1][1], "calls": len(calls)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pdf_dir", nargs="?", type=Path, default=ROOT.parent / "shared" / "guidelines-real")
    ap.add_argument("--before", type=Path, default=None, help="another checkout, run alternately as 'before'")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    pdfs = sorted(a.pdf_dir.glob("*.pdf"))
    if a.child:
        print(json.dumps(child(Path(a.child[0]), Path(a.child[1]), pdfs)))
        return
    sides = {"after": ROOT, **({"before": a.before.resolve()} if a.before else {})}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.rounds):
            for side in (list(sides) if r % 2 == 0 else list(reversed(sides))):
                code = sides[side]
                load = os.getloadavg()[0]
                # the child runs in the checkout's folder: its parse server (`python -m ingest.pdf`) is that code's
                out = subprocess.run([sys.executable, str(Path(__file__).resolve()), str(a.pdf_dir), "--child", str(code),
                                      str(Path(tmp) / f"{side}-{r}")], cwd=code, capture_output=True, text=True, check=True)
                g = json.loads(out.stdout.strip().splitlines()[-1])
                rest = g["seconds"] - g["model"]
                print(f"round {r + 1} {side:<6} ingest {g['seconds']:6.2f} s, model {g['model']:6.2f} s ({g['calls']} calls), "
                      f"outside it {rest:5.2f} s = {100 * rest / g['seconds']:4.1f}%: start {g['start']:.2f}, middle "
                      f"{g['middle']:.2f}, end {g['end']:.2f}; load {load:.2f} -> {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
