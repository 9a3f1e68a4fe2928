#!/usr/bin/env bash
# Makes .venv-train (gitignored) with Training/requirements.txt: torch, numpy, Pillow,
# onnx and onnxruntime (to check the exported models). Idempotent: a venv whose
# recorded requirements match is left as it is. Prints the venv's python on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv-lib.sh
venv=.venv-train
requirements=Training/requirements.txt
wanted=$(cat "$requirements")
venv_up_to_date "$venv" "$wanted" && exit 0
venv_create "$venv"
pip() { venv_pip "$venv" "$@"; }
free_gb=$(df -Pk "$venv" | awk 'NR == 2 { print int($4 / 1048576) }')
if ! pip download --no-deps -d /tmp/stylize-torch-probe "$(grep -E '^torch==' "$requirements")" 2>/dev/null \
     || ! ls /tmp/stylize-torch-probe/torch-*+cpu-*.whl >/dev/null 2>&1; then
  echo "note: no CPU-only torch wheel here; PyPI's torch pulls the CUDA runtime (~4 GB, ${free_gb} GB free)" >&2
fi
rm -rf /tmp/stylize-torch-probe
pip install -r "$requirements"
"$venv/bin/python" -c "import torch; print('torch', torch.__version__, '(CPU bf16:', torch.backends.mkldnn.is_available(), ')')" >&2
venv_done "$venv" "$wanted"
