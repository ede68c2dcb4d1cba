"""Triage latency per request (rules + meaning layer with the bundled MiniLM) over the vignette files.

Run: .venv/bin/python bench/triage.py [--rounds 3] [--rules-only]
Prints p50/p95/max in ms over every vignette of tests/data/triage_{vignettes,dev}.jsonl, each run
`rounds` times after one warm-up pass (the exemplar bank is embedded once, at the warm-up).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from rag.safety.triage import triage

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rules-only", action="store_true", help="no embedder: rules and the Chinese term layer only")
    args = ap.parse_args()
    rows = [json.loads(line) for name in ("triage_vignettes.jsonl", "triage_dev.jsonl")
            for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    embedder = None
    if not args.rules_only:
        from rag.knowledge.embedders.base import from_spec

        embedder = from_spec("sentence-transformers:bundled-minilm")
    for r in rows:  # warm-up: compiles rules, loads jieba, embeds the exemplar bank once
        triage(r["query"], age=r.get("age"), pregnant=r.get("pregnant"), language=r.get("language"), embedder=embedder)
    times: list[float] = []
    for _ in range(args.rounds):
        for r in rows:
            t = time.perf_counter()
            triage(r["query"], age=r.get("age"), pregnant=r.get("pregnant"), language=r.get("language"), embedder=embedder)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    print(json.dumps({"requests": len(times), "meaning_layer": embedder is not None, "p50_ms": round(statistics.median(times), 2),
                      "p95_ms": round(p95, 2), "max_ms": round(times[-1], 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
