#!/bin/bash
# bench/cpu_ab.sh MODE REPS NAME_A:DIR_A NAME_B:DIR_B KB_SRC: CPU a consultation of two checkouts, both run AT THE SAME
# TIME, REPS times (the shared machine's load moves one side's CPU a consultation by 30%+ between runs; run together,
# both sides see the same load). Each side uses DIR/.venv/bin/python and a fresh copy of KB_SRC.
#   MODE serve:   bench/serve_cpu.py --requests 600 --clients 20 (`clinrag serve`, the checkout's own script)
#   MODE profile: bench/consult_profile.py 300 with CLINRAG_EMBED_THREADS=1 (in-process; this checkout's script
#                 for both sides), its table side by side
# Milvus Lite must be on PATH (export PATH=/work/main/.venv/bin:$PATH).
set -u
mode=$1; reps=$2; a=$3; b=$4; src=$5
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
for r in $(seq "$reps"); do
  echo "=== $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
  for side in "$a" "$b"; do
    name=${side%%:*}; dir=${side#*:}
    rm -rf "$tmp/$name-kb"; cp -a "$src" "$tmp/$name-kb"
    if [ "$mode" = serve ]; then
      (cd "$dir" && .venv/bin/python bench/serve_cpu.py --data-dir "$tmp/$name-kb" --requests 600 --clients 20 > "$tmp/$name.out" 2>&1) &
    else
      (cd "$dir" && CLINRAG_EMBED_THREADS=1 CLINRAG_DATA_DIR="$tmp/$name-kb" .venv/bin/python "$here/consult_profile.py" 300 \
        > "$tmp/$name.out" 2>/dev/null) &
    fi
  done
  wait
  na=${a%%:*}; nb=${b%%:*}
  if [ "$mode" = serve ]; then
    for n in "$na" "$nb"; do echo "--- $n"; grep -v '^ingesting' "$tmp/$n.out"; done
  else
    for n in "$na" "$nb"; do echo "--- $n: $(head -1 "$tmp/$n.out")"; done
    paste -d'|' <(grep '^|' "$tmp/$na.out" | cut -d'|' -f2,3) <(grep '^|' "$tmp/$nb.out" | cut -d'|' -f3)
  fi
done
rm -rf "$tmp"
