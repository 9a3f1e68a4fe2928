#!/usr/bin/env bash
# Live mode throughput and latency (issue 6): `stylize camera` fed by a file played as a
# camera at 30 fps (--input, looped), writing a YUV4MPEG2 stream to a pipe, as a
# v4l2loopback consumer would take it. Reports, from the program's own summary, frames
# out vs captured, dropped frames, output fps and capture-to-output latency p50/p95 —
# with temporal blending on (the default), the same in fp32 (the default precision is auto: int8
# where the CPU has VNNI) and, as the peer in the same run, blending off — and
# checks with ffprobe that the stream has the asked size and rate.
#
# Usage: Benchmarks/camera.sh [STYLE] [FRAMES] [SIZE] [FPS]
#   STYLE   preset (default: the default preset; its realtime network is used)
#   FRAMES  frames per run (default 450 = 15 s at 30 fps)
#   SIZE    default 640x480;  FPS default 30
set -euo pipefail
cd "$(dirname "$0")/.."
style=${1:-}
frames=${2:-450}
size=${3:-640x480}
fps=${4:-30}
source Benchmarks/lib.sh
bench_setup camera "$style"

run() {  # label extra-args... → one table row
  local label=$1; shift
  "$bin" camera --input SampleClips/city-night.mp4 --loop --fps "$fps" --size "$size" --output - \
    --frames "$frames" "${style_args[@]}" "$@" 2>"$work/$label.log" >"$work/$label.y4m"
  local done live
  done=$(grep '^Done:' "$work/$label.log")
  live=$(grep '^Live:' "$work/$label.log")
  local probe
  probe=$(ffprobe -v error -count_frames -show_entries stream=width,height,r_frame_rate,nb_read_frames \
          -of csv=p=0 "$work/$label.y4m")
  echo "$live" | sed 's/^/  /' >&2
  awk -v l="$label" -v d="$done" -v p="$probe" 'BEGIN {
    n = split(d, w, /[ ;()]+/)
    for (i = 1; i <= n; i++) {
      if (w[i] == "out") out = w[i-2]; if (w[i] == "captured") cap = w[i-1]; if (w[i] == "dropped") drop = w[i-1]
      if (w[i] == "fps") fps = w[i-1]; if (w[i] == "p50") p50 = w[i+1]; if (w[i] == "p95") p95 = w[i+1]
    }
    printf "%-14s %7s %9s %8s %8s %8s %8s   %s\n", l, out, cap, drop, fps, p50, p95, p }'
}

printf "%-14s %7s %9s %8s %8s %8s %8s   %s\n" run "out" captured dropped fps "p50 ms" "p95 ms" "ffprobe w,h,rate,frames"
run temporal
run temporal-fp32 --precision fp32
run no-temporal --no-temporal
