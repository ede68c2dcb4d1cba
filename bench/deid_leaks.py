"""Every frozen seeded identifier through real consultations over HTTP; then files, logs and metrics are searched.

    .venv/bin/python bench/deid_leaks.py [dev|test]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.knowledge.embedders.base import from_spec  # noqa: E402
from tests.leakcheck import load_identifiers, run  # noqa: E402


def main() -> int:
    split = sys.argv[1] if len(sys.argv) > 1 else None
    rows = load_identifiers(split)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        rep = run(rows, Path(tmp), from_spec("sentence-transformers:bundled-minilm"), ROOT / "guidelines")
    print(f"{rep.consultations} consultations, {rep.secrets} secrets, {rep.files_searched} files searched "
          f"(data folder, log, metrics, checkpoints) in {time.perf_counter() - t0:.0f} s")
    print(f"leaks into stored files/logs/metrics: {len(rep.leaks)}")
    for line in rep.leaks:
        print("  ", line)
    print(f"secrets echoed in the caller's own answer: {len(rep.response_leaks)}")
    for line in rep.response_leaks[:20]:
        print("  ", line)
    return 1 if rep.leaks else 0


if __name__ == "__main__":
    sys.exit(main())
