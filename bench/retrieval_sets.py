"""Aggregates only (recall@5, MRR and count per language) of labelled retrieval sets: safe for frozen sets.

    CLINRAG_DATA_DIR=<kb> .venv/bin/python bench/retrieval_sets.py tests/data/retrieval_queries.jsonl [FILE ...] [--k 5]

Calls rag.evaluation.evaluate_retrieval (what `clinrag eval retrieval` runs, document level) and prints no
per-question result, so a frozen set (tests/data/*frozen*) can be scored without its questions or misses being
shown. Run it on another checkout by running that checkout's copy of this file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--k", type=int, default=5)
    args = ap.parse_args()

    import rag
    from rag.backends import Backends
    from rag.evaluation import evaluate_retrieval
    from rag.settings import Settings

    settings = Settings()
    print(f"code {Path(rag.__file__).parent}, knowledge base {settings.data_dir}")
    backends = Backends(settings)
    try:
        for f in args.files:
            rows = [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
            report = evaluate_retrieval(rows, backends, k=args.k)
            keep = {k: v for k, v in report.items()
                    if not k.startswith("all.") and (k.endswith(f"recall@{args.k}") or k.endswith(".mrr") or k.endswith(".n"))}
            print(f.name, json.dumps(keep))
    finally:
        backends.close()


if __name__ == "__main__":
    main()
