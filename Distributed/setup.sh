#!/usr/bin/env bash
# Makes .venv-ray (gitignored) with Distributed/requirements.txt (Ray), for Distributed/stylize-ray.
# Idempotent: a venv whose recorded requirements match is left as it is. Run it on every machine of
# a cluster (or bake it into the image); prints the venv's python on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-ray
requirements=Distributed/requirements.txt
stamp=$venv/.requirements-stamp
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$stamp" "$requirements"; then
  echo "$venv is up to date" >&2
  echo "$PWD/$venv/bin/python"
  exit 0
fi
[ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
"$venv/bin/python" -m pip --disable-pip-version-check -q install -r "$requirements"
"$venv/bin/python" -c "import ray; print('ray', ray.__version__)" >&2
cp "$requirements" "$stamp"
echo "$PWD/$venv/bin/python"
