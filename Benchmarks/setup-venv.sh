#!/usr/bin/env bash
# Makes .venv-bench (gitignored) with the pinned peer software of
# Benchmarks/requirements.txt: ONNX Runtime (CPU), onnx, numpy, OpenCV
# (headless, for the optical-flow benchmark and flicker.sh's judge), Pillow and torch.
# Idempotent: a venv whose recorded requirements match is left as it is.
#
# Usage: Benchmarks/setup-venv.sh [--no-torch]
#   --no-torch   everything but torch (all the benchmarks need but flicker.sh's
#                style loss; torch is also for Tools/parity/export_models.py).
# Prints the venv's python path on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-bench
requirements=Benchmarks/requirements.txt
with_torch=1
[ "${1:-}" = "--no-torch" ] && with_torch=0

source scripts/venv-lib.sh
wanted=$(cat "$requirements"; echo "torch=$with_torch")
venv_up_to_date "$venv" "$wanted" && exit 0
# A venv with torch also serves a --no-torch request.
[ $with_torch = 0 ] && venv_up_to_date "$venv" "$(cat "$requirements"; echo "torch=1")" && exit 0
venv_create "$venv"
pip() { venv_pip "$venv" "$@"; }

# Everything but torch first.
grep -vE '^\s*torch\b' "$requirements" > "$venv/.requirements-no-torch"
pip install -r "$venv/.requirements-no-torch"

if [ $with_torch = 1 ]; then
  torch_pin=$(grep -E '^\s*torch==' "$requirements" | tr -d ' ')
  # Which wheel will pip take? A local +cpu build (find-links) when one exists, else PyPI's CUDA one.
  report=$(mktemp)
  pip install --dry-run --report "$report" "$torch_pin" >/dev/null
  chosen=$("$venv/bin/python" - "$report" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
names = [i["metadata"]["name"] + "==" + i["metadata"]["version"] for i in r["install"]]
torch = [n for n in names if n.lower().startswith("torch==")]
cuda = [n for n in names if n.lower().startswith(("nvidia", "triton", "cuda"))]
print(" ".join(torch), len(cuda))
PY
)
  rm -f "$report"
  set -- $chosen
  if [ "${2:-0}" -gt 0 ]; then
    free_gb=$(df -Pk "$venv" | awk 'NR == 2 { print int($4 / 1048576) }')
    echo "note: no CPU-only torch wheel is reachable, so pip takes PyPI's $1 with $2 CUDA packages (~4.5 GB installed); $free_gb GB free" >&2
    if [ "$free_gb" -lt 10 ]; then
      echo "error: less than 10 GB free; run with --no-torch (the benchmark does not need torch)" >&2
      exit 1
    fi
  else
    echo "torch: ${1:-?} (CPU-only build, no CUDA packages)" >&2
  fi
  pip install "$torch_pin"
fi

"$venv/bin/python" - <<'PY' >&2
import importlib
for name in ("numpy", "onnx", "onnxruntime", "cv2", "torch"):
    try:
        module = importlib.import_module(name)
        print("  %-12s %s" % (name, module.__version__))
    except ImportError:
        pass
PY
venv_done "$venv" "$wanted"
