#!/usr/bin/env bash
# A video painted in segments (Distributed/stylize-ray on a local Ray, or its local executor) against
# the same video painted in one piece (issue 20): wall time both ways, each segment's time, the
# join's, and the seams judged by Benchmarks/seams.py (OpenCV's flow).
#
# Usage: Benchmarks/segments.sh [--segments N] [--cpus C] [--style S] [CLIP] [-- STYLIZE-VIDEO-OPTIONS]
#   CLIP defaults to OpenCV's vtest.avi (768×576, 79.5 s, fetched from Debian's opencv-doc).
# Everything is kept in .work/bench-segments/run-DATE/.
set -euo pipefail
cd "$(dirname "$0")/.."
segments=4 cpus=1 style= clip= extra=()
while (($#)); do
  case $1 in
    --segments) segments=$2; shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    --style) style=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) source scripts/usage.sh; usage "$0"; exit 0 ;;
    *) clip=$1; shift ;;
  esac
done
source Benchmarks/lib.sh
bench_setup segments "$style"
python=$(Benchmarks/setup-venv.sh --no-torch | tail -1)
if [[ -z $clip ]]; then
  clip=$work/vtest.avi
  if [[ ! -f $clip ]]; then
    (cd "$work" && apt-get download opencv-doc >/dev/null && dpkg -x opencv-doc_*.deb pkg &&
       cp pkg/usr/share/doc/opencv-doc/examples/data/vtest.avi . && rm -rf pkg opencv-doc_*.deb)
  fi
fi
out=$work/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
export PYTHON=$python

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
start=$(now_ms)
"$bin" video "$clip" -o "$out/single.mp4" --quiet "${style_args[@]}" "${extra[@]}"
single=$(( $(now_ms) - start ))
start=$(now_ms)
Distributed/stylize-ray "$clip" -o "$out/distributed.mp4" --segments "$segments" --cpus "$cpus" --stylize "$bin" \
  --work "$out/parts" --keep -- "${style_args[@]}" "${extra[@]}" 2>&1 | tee "$out/driver.log" >&2
distributed=$(( $(now_ms) - start ))
echo "wall time: one piece $((single / 1000)).$((single % 1000 / 100)) s; $segments segments ($cpus CPU each)" \
  "$((distributed / 1000)).$((distributed % 1000 / 100)) s"
"$python" - "$out/parts/times.json" <<'PY'
import json, sys
for t in json.load(open(sys.argv[1])):
    print(f"segment {t['segment']}: {t['frames']} frames in {t['seconds']:.1f} s ({t['frames'] / max(t['seconds'], 1e-9):.2f} frames/s)")
PY
grep -E "joined in" "$out/driver.log" || true
"$python" Benchmarks/seams.py --input "$clip" --single "$out/single.mp4" --distributed "$out/distributed.mp4" --plan "$out/parts/plan.json"
