#!/usr/bin/env bash
# Checks that a change kept the output bit-identical: runs two `stylize` binaries on the
# same inputs and compares the MD5 of every decoded frame (ffmpeg's framemd5).
#   1. `stylize video` on the bundled sample clip, default settings (temporal blending on);
#   2. the same with --no-temporal --strength 0.6 --preserve-colors;
#   3. `stylize camera --input … --output -` (a YUV4MPEG2 stream), made deterministic:
#      one worker, a fixed network size and a frame rate slow enough that no frame is dropped.
# Usage: Tools/same-output.sh BASELINE_BIN [NEW_BIN]   (NEW_BIN defaults to .build/release/stylize)
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1; new=${2:-.build/release/stylize}
work=.work/same-output; mkdir -p "$work"
clip=SampleClips/city-night.mp4
status=0
compare() {  # label ext args...
  local label=$1 ext=$2; shift 2
  local sums=()
  for which in old new; do
    local bin=${!which} out=$work/$label-$which.$ext
    if [ "$ext" = y4m ]; then "$bin" "${@}" --output - 2>/dev/null >"$out"
    else "$bin" "${@}" -o "$out" --force --quiet; fi
    sums+=("$(ffmpeg -v error -i "$out" -map 0:v -f framemd5 - | grep -v '^#' | md5sum | cut -d' ' -f1)")
  done
  local frames; frames=$(ffmpeg -v error -i "$work/$label-new.$ext" -map 0:v -f framemd5 - | grep -vc '^#')
  if [ "${sums[0]}" = "${sums[1]}" ]; then echo "same       $label ($frames frames, ${sums[0]})"
  else echo "DIFFERENT  $label (${sums[0]} vs ${sums[1]})"; status=1; fi
}
compare video-default mp4 video "$clip"
compare video-plain mp4 video "$clip" --no-temporal --strength 0.6 --preserve-colors
compare camera y4m camera --input "$clip" --fps 4 --threads 1 --max-size 320 --size 320x240 --frames 24 --quiet
exit $status
