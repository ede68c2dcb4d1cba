#!/bin/bash
# bench/loop_probe/run.sh REPO PYTHON KB_SRC OUT [VAR=value...]: `clinrag serve` (1 worker) from REPO with the probe
# on a fresh copy of KB_SRC, then REPO's bench/load.py --url against it (--clients 20 --duration 15
# --overload-duration 10); OUT.load.txt, OUT.jsonl, OUT.jsonl.lat, OUT.client.txt. Needs `milvus-lite` on PATH.
probe=$(cd "$(dirname "$0")" && pwd)
dir=$1; py=$2; src=$3; out=$4; shift 4
kb=$(mktemp -d)/kb; cp -a "$src" "$kb"
export CLINRAG_DATA_DIR=$kb HF_HUB_OFFLINE=1 CLINRAG_RATE_LIMIT_PER_MIN=0 CLINRAG_MAX_CONCURRENCY=24 CLINRAG_WORKERS=1
cd "$dir" || exit 1
key=$($py -m clinrag.cli keys create --name probe --role consult)
port=$($py -c "from api.serve import free_port; print(free_port())")
rm -f "$out.jsonl" "$out.jsonl.lat" "$out.client.txt"
env PYTHONPATH="$probe" PROBE_OUT="$out.jsonl" "$@" $py -m clinrag.cli serve --port "$port" > "$out.serve.log" 2>&1 &
spid=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
env PYTHONPATH="$probe" PROBE_CLIENT_OUT="$out.client.txt" $py bench/load.py --url "http://127.0.0.1:$port" --key "$key" \
    --pid $spid --clients 20 --duration 15 --overload-duration 10 > "$out.load.txt" 2>&1
kill $spid; wait $spid
rm -rf "$(dirname "$kb")"
grep -E '^\| [0-9x]' "$out.load.txt"
