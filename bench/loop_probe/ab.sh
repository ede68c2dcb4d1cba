#!/bin/bash
# bench/loop_probe/ab.sh SIDE... with SIDE=NAME:REPO:PYTHON:KB_SRC, run in the order given (alternate them): REPO's
# own bench/load.py --clients 20 --duration 15 --overload-duration 10 $EXTRA on a fresh copy of KB_SRC.
for side in "$@"; do
  IFS=: read -r name dir py src <<< "$side"
  kb=$(mktemp -d)/kb; cp -a "$src" "$kb"
  echo "=== $name $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
  (cd "$dir" && $py bench/load.py --clients 20 --duration 15 --overload-duration 10 $EXTRA --data-dir "$kb" 2>&1 | grep -v '^ingesting')
  rm -rf "$(dirname "$kb")"
done
