#!/bin/bash
# bench/loop_probe/ab.sh SIDE... with SIDE=NAME:REPO:PYTHON:KB_SRC[:SIDE_EXTRA], run in the order given (alternate
# them): REPO's own bench/load.py --clients 20 --duration 15 --overload-duration 10 $EXTRA $SIDE_EXTRA on a fresh copy
# of KB_SRC (SIDE_EXTRA: e.g. "--workers 2" for that side only). LOGDIR=dir keeps each server's log there;
# LOAD=/abs/path/load.py runs that load generator against every side (the same ruler; default: each REPO's own).
for side in "$@"; do
  IFS=: read -r name dir py src side_extra <<< "$side"
  kb=$(mktemp -d)/kb; cp -a "$src" "$kb"
  echo "=== $name $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
  # shellcheck disable=SC2086  # EXTRA and side_extra are lists of arguments
  (cd "$dir" && $py "${LOAD:-bench/load.py}" --clients 20 --duration 15 --overload-duration 10 $EXTRA $side_extra --data-dir "$kb" 2>&1 | grep -v '^ingesting')
  echo "=== end $name $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
  [ -n "$LOGDIR" ] && cp "$kb/bench-serve.log" "$LOGDIR/$name-$(date -u +%H%M%S).log"
  rm -rf "$(dirname "$kb")"
done
