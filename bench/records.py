"""Extractive record summary latency on ~100k-character records (Chinese and English).

Builds each record from a long synthetic dev record (tests/data/records/dev.jsonl) by repeating its progress notes
until it is about 100,000 characters, warms the process (lexicons, the ICD-10-CM index: a one-off ~7 s), then times
summarize_extractive + check_summary. Target: <= 2 s per record.

    .venv/bin/python bench/records.py [--runs 3] [--chars 100000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def long_record(text: str, chars: int) -> str:
    """The record with its progress-note section repeated until it has about `chars` characters."""
    from rag.records.sections import split_sections

    prog = next(s for s in split_sections(text) if s.kind == "progress")
    body = text[prog.start:prog.end]
    head, tail = text[:prog.end], text[prog.end:]
    while len(head) + len(tail) < chars:
        head += "\n" + body
    return head + tail


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--chars", type=int, default=100_000)
    args = p.parse_args()
    from rag.records.entities import recognize
    from rag.records.summary import check_grounding, check_summary, summarize_extractive

    rows = [json.loads(line) for line in (ROOT / "tests/data/records/dev.jsonl").read_text(encoding="utf-8").splitlines()]
    t = time.perf_counter()
    from rag.answer.icd10 import lookup_icd10
    from rag.records.codes import code_exists

    recognize("预热 warm up 高血压 hypertension")
    lookup_icd10("warm up")  # builds the ICD-10-CM description index, as the API does at start-up
    code_exists("I10")
    summarize_extractive(rows[0]["text"])
    print(f"warm-up (lexicons, ICD-10-CM index): {time.perf_counter() - t:.2f} s")
    for lang in ("zh", "en"):
        base = max((r for r in rows if r["language"] == lang), key=lambda r: len(r["text"]))
        text = long_record(base["text"], args.chars)
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            s = check_summary(text, summarize_extractive(text))
            times.append(time.perf_counter() - t)
        g = check_grounding(text, s)
        print(f"{lang}: {len(text)} chars, median {statistics.median(times):.3f} s, max {max(times):.3f} s over {args.runs} runs; "
              f"{len(s.diagnoses)} diagnoses, {g.grounded}/{g.values} values grounded; target <= 2 s: "
              f"{'met' if max(times) <= 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
