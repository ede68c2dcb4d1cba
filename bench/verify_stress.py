"""Contradiction detection of rag.safety.verify on labelled claim/passage pairs.

    .venv/bin/python bench/verify_stress.py                      # frozen set and dev sets
    .venv/bin/python bench/verify_stress.py FILE.jsonl [--json] [--errors]

Frozen set: tests/data/verify_stress.jsonl (74 pairs, en + zh, written and committed before tuning).
Dev sets: tests/data/verify_dev.jsonl (53 pairs) and tests/data/verify_dev2.jsonl (61 pairs), used for tuning.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.safety.stress import evaluate_pairs, load_pairs  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*", type=Path,
                    default=[ROOT / "tests/data/verify_stress.jsonl", ROOT / "tests/data/verify_dev.jsonl",
                             ROOT / "tests/data/verify_dev2.jsonl"])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--errors", action="store_true", help="list the pairs judged wrongly")
    args = ap.parse_args()
    out = {}
    for f in args.files:
        try:
            r = evaluate_pairs(load_pairs(f))
        except (OSError, ValueError) as exc:
            sys.exit(f"error: {exc}")
        out[f.name] = asdict(r)
        if not args.json:
            print(f"{f.name}: n={r.n}  contradiction recall {r.contradiction_recall:.3f}  precision "
                  f"{r.contradiction_precision:.3f}  blocked (contradicted or unsupported) {r.blocked_recall:.3f}  "
                  f"3-way accuracy {r.accuracy:.3f}")
            if args.errors:
                for e in r.errors:
                    print(f"   {e['id']}: expected {e['expected']}, got {e['got']}  {e['reason']}")
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
