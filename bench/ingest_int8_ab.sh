#!/bin/bash
# bench/ingest_int8_ab.sh MAIN_PY INT8_PY PDF_DIR [ORDER]: first ingest of PDF_DIR into a fresh data folder, one run at a
# time, in ORDER (default "main int8 int8 main main int8"); MAIN_PY runs with its default settings, INT8_PY with
# CLINRAG_EMBED_BACKEND=openvino CLINRAG_EMBED_QUANTIZE=int8 (its model made beforehand: not timed). Each python is a
# checkout's .venv/bin/python (it decides which code runs). Prints the load and the time `ingest` reports.
set -u
main_py=$1; int8_py=$2; pdfs=$3; order=${4:-main int8 int8 main main int8}
tmp=$(mktemp -d)
for side in $order; do
  py=$main_py; env=()
  [ "$side" = int8 ] && py=$int8_py && env=(CLINRAG_EMBED_BACKEND=openvino CLINRAG_EMBED_QUANTIZE=int8)
  rm -rf "$tmp/kb"; l0=$(cut -d' ' -f1 /proc/loadavg)
  out=$(env "${env[@]}" CLINRAG_DATA_DIR="$tmp/kb" "$py" -c 'import sys; from ingest.cli import main; sys.argv[0]="ingest"; sys.exit(main())' \
        "$pdfs" 2>&1 | tail -1)
  echo "$side $(date -u +%H:%M:%S) load $l0 -> $(cut -d' ' -f1 /proc/loadavg): $out"
done
rm -rf "$tmp"
