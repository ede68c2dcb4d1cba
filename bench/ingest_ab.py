"""First ingest of the real guideline PDFs, this checkout against another one, alternating, in one run.

    .venv/bin/python bench/ingest_ab.py [PDF_DIR] --before /tmp/ingest9-base [--rounds 3]

Each round runs bench/ingest.py's `clinrag` child (its own process, a fresh Milvus Lite and embedding cache,
the default embedder, ingest time after model load) from both checkouts, in alternating order (ABBA...), and
reports per side the medians of ingest seconds, pages/s, time inside `embed_documents`, the non-embedding
share (ingest time outside the model's calls, as bench/ingest.py reports it) and peak RSS, with the load
average before and after each run. No LangChain baseline: see bench/ingest.py for that.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load(checkout: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(f"bench_ingest_{abs(hash(str(checkout)))}", checkout / "bench" / "ingest.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def main() -> None:
    import tempfile

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pdf_dir", nargs="?", type=Path, default=ROOT.parent / "shared" / "guidelines-real")
    ap.add_argument("--before", type=Path, required=True, help="the other checkout (its bench/ingest.py and code)")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    pdfs = sorted(a.pdf_dir.glob("*.pdf"))
    sides = {"before": _load(a.before.resolve()), "after": _load(ROOT)}
    rows: dict[str, list[dict]] = {k: [] for k in sides}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.rounds):
            order = ["before", "after"] if r % 2 == 0 else ["after", "before"]
            for side in order:
                out = Path(tmp) / f"{side}-{r}"
                c = sides[side].run_child("clinrag", pdfs, out)
                run = c["runs"][0]
                row = {"seconds": run["seconds"], "embed": run["embed_seconds"], "pages": run["pages"], "chunks": run["chunks"],
                       "rss": c["peak_rss_mb"], "load": c["load"]}
                row["share"] = 1 - row["embed"] / row["seconds"]
                rows[side].append(row)
                print(f"round {r + 1} {side:<6} {row['seconds']:6.2f} s, {row['pages'] / row['seconds']:5.2f} pages/s, model "
                      f"{row['embed']:6.2f} s, outside the model {100 * row['share']:4.1f}%, peak RSS {row['rss']:.0f} MB, "
                      f"{row['chunks']} chunks; load {row['load']}", flush=True)
    print()
    print("| side | runs | median ingest s | median pages/s | median model s | median non-embedding share | peak RSS MB (median) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    med = {}
    for side, rs in rows.items():
        med[side] = {k: statistics.median(r[k] for r in rs) for k in ("seconds", "embed", "share", "rss")}
        pps = statistics.median(r["pages"] / r["seconds"] for r in rs)
        print(f"| {side} | {len(rs)} | {med[side]['seconds']:.2f} | {pps:.2f} | {med[side]['embed']:.2f} | "
              f"{100 * med[side]['share']:.1f}% | {med[side]['rss']:.0f} |")
    per_round = [b["seconds"] / f["seconds"] for b, f in zip(rows["before"], rows["after"], strict=True)]
    print(f"\nafter vs before, ingest time: {med['before']['seconds'] / med['after']['seconds']:.2f}x on medians; per round "
          + ", ".join(f"{x:.2f}x" for x in per_round))


if __name__ == "__main__":
    sys.exit(main())
