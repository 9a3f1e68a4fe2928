#!/usr/bin/env bash
# Makes .venv-train (gitignored) with Training/requirements.txt: torch, numpy, Pillow,
# onnx and onnxruntime (to check the exported models). Idempotent: a venv whose
# recorded requirements match is left as it is. Prints the venv's python on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-train
requirements=Training/requirements.txt
stamp=$venv/.requirements-stamp
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$stamp" "$requirements"; then
  echo "$venv is up to date" >&2
  echo "$PWD/$venv/bin/python"
  exit 0
fi
[ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
pip() { "$venv/bin/python" -m pip --disable-pip-version-check -q "$@"; }
free_gb=$(df -Pk "$venv" | awk 'NR == 2 { print int($4 / 1048576) }')
if ! pip download --no-deps -d /tmp/stylize-torch-probe "$(grep -E '^torch==' "$requirements")" 2>/dev/null \
     || ! ls /tmp/stylize-torch-probe/torch-*+cpu-*.whl >/dev/null 2>&1; then
  echo "note: no CPU-only torch wheel here; PyPI's torch pulls the CUDA runtime (~4 GB, ${free_gb} GB free)" >&2
fi
rm -rf /tmp/stylize-torch-probe
pip install -r "$requirements"
"$venv/bin/python" -c "import torch; print('torch', torch.__version__, '(CPU bf16:', torch.backends.mkldnn.is_available(), ')')" >&2
cp "$requirements" "$stamp"
echo "$PWD/$venv/bin/python"
