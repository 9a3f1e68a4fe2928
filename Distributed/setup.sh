#!/usr/bin/env bash
# Makes .venv-ray (gitignored) with Distributed/requirements.txt (Ray), for Distributed/stylize-ray.
# Idempotent. Run it on every machine of a cluster (or bake it into the image); prints the venv's
# python on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv-lib.sh
venv=.venv-ray
wanted=$(cat Distributed/requirements.txt)
venv_up_to_date "$venv" "$wanted" && exit 0
venv_create "$venv"
venv_pip "$venv" install -r Distributed/requirements.txt
"$venv/bin/python" -c "import ray; print('ray', ray.__version__)" >&2
venv_done "$venv" "$wanted"
