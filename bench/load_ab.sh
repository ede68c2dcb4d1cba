#!/bin/bash
# Side by side: bench/load.py against a base tree (e.g. main checked out with `git worktree add`) and this tree,
# alternating, default settings on both sides, each run on a fresh copy of one knowledge base.
#   bash bench/load_ab.sh BASE_TREE KB_DIR [REPS=3]
# KB_DIR: a knowledge base ingested once (e.g. `CLINRAG_DATA_DIR=/tmp/kb .venv/bin/ingest guidelines/en guidelines/zh`).
set -euo pipefail
base=$(cd "$1" && pwd); kb=$2; reps=${3:-3}
here=$(cd "$(dirname "$0")/.." && pwd); py=$here/.venv/bin/python
copy=$(mktemp -d)/kb
for r in $(seq 1 "$reps"); do
  for side in base branch; do
    tree=$here; [ "$side" = base ] && tree=$base
    rm -rf "$copy" && cp -r "$kb" "$copy"
    echo "== run $r $side ($tree) load $(cut -d' ' -f1 /proc/loadavg)"
    (cd "$tree" && PYTHONPATH=$tree timeout 400 "$py" bench/load.py --clients 20 --duration 20 --overload-duration 10 \
       --data-dir "$copy" 2>&1 | grep -E "^\| (20|3x)|RSS phase 1|^probe") || echo "run failed"
  done
done
rm -rf "$(dirname "$copy")"
