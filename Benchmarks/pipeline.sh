#!/usr/bin/env bash
# Pipeline overhead and worker scaling for `stylize video` (issue 2).
#
# On a 640×480 clip it measures, in one run:
#   engine-only fps  — `stylize bench`: the same network, size and thread split,
#                      no decoding, conversion or encoding (the bound);
#   end-to-end fps   — `stylize video` on the clip;
# for 1 thread (1 worker), and 2 threads split 1×2 and 2×1, and prints
# overhead = 1 − e2e/engine and the 1→2 worker scaling.
#
# Usage: Benchmarks/pipeline.sh [MODEL.onnx] [FRAMES]
#   MODEL defaults to a random-weight full Johnson TransformerNet made by
#   Tools/onnx/make_models.py (the cost of a real quality preset).
set -euo pipefail
cd "$(dirname "$0")/.."
frames=${2:-48}
source Benchmarks/lib.sh
bench_setup pipeline

model=${1:-$work/transformer.onnx}
if [ ! -f "$model" ]; then
  python3 Tools/onnx/make_models.py transformer "$model" --width-mult 1.0 --seed 1 >/dev/null
fi

# A real 640×480 clip with audio: opencv-doc's cup.mp4 when installed, else the sample clip scaled.
clip=$work/clip640x480.mp4
if [ ! -f "$clip" ]; then
  src=SampleClips/city-night.mp4; filter="scale=640:480"
  if [ -f /usr/share/doc/opencv-doc/opencv4/html/cup.mp4.gz ]; then
    gunzip -c /usr/share/doc/opencv-doc/opencv4/html/cup.mp4.gz > "$work/cup.mp4"; src=$work/cup.mp4; filter="null"
  fi
  ffmpeg -hide_banner -loglevel error -y -i "$src" -vf "$filter" -frames:v "$frames" \
    -c:v libx264 -crf 18 -pix_fmt yuv420p -c:a aac "$clip"
fi
n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$clip")
echo "clip: $clip ($n frames, 640×480); model: $model"
$bin bench "$model" --size 640x480 --threads 1 --runs 1 --verbose | head -1

engine_fps() {  # threads workers
  local runs=$(( (n + $2 - 1) / $2 )); [ $runs -gt 8 ] && runs=8
  $bin bench "$model" --size 640x480 --threads "$1" --workers "$2" --runs "$runs" | sed -E 's/.* ([0-9.]+) fps.*/\1/'
}
video_fps() {  # threads workers
  $bin video "$clip" -o "$work/out.mp4" --force --style "$model" --max-size 640 \
    --threads "$1" --workers "$2" --verbose 2>&1 | sed -nE 's/^Stats: .* fps=([0-9.]+).*/\1/p'
}

printf "\n%-22s %12s %12s %10s\n" "threads × split" "engine fps" "video fps" "overhead"
declare -A e2e
for cfg in "1 1" "2 1" "2 2"; do
  set -- $cfg
  ef=$(engine_fps "$1" "$2"); vf=$(video_fps "$1" "$2"); e2e[$cfg]=$vf
  label="$1 thread(s), $2 worker(s)"
  awk -v l="$label" -v e="$ef" -v v="$vf" 'BEGIN { printf "%-22s %12.3f %12.3f %9.1f%%\n", l, e, v, 100 * (1 - v / e) }'
done
awk -v a="${e2e[1 1]}" -v b="${e2e[2 2]}" -v c="${e2e[2 1]}" 'BEGIN {
  printf "\nscaling 1 → 2 workers (end to end): %.2f×\n", b / a
  printf "2 threads as 2 workers × 1 thread vs 1 worker × 2 threads: %.2f×\n", b / c }'
ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$work/out.mp4" \
  | awk -v n="$n" '{ print ($1 == n ? "output frame count matches (" n ")" : "FRAME COUNT MISMATCH: " $1 " vs " n) }'
