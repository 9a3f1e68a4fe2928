#!/usr/bin/env bash
# Flicker and the cost of temporal blending (issue 5), in one run.
#
# For each clip (the sample clip and, when opencv-doc is installed, its box, cup,
# tree and vtest clips, cut to their first FRAMES frames) it stylizes twice with the
# same preset — per frame (`--no-temporal`) and with temporal blending (the
# defaults) — and measures both with `stylize measure` against the input:
#
#   floor      the input's own warping error (flow and interpolation error alone)
#   per-frame  warping error of the per-frame stylization
#   ours       warping error with temporal blending
#   closed     share of the per-frame → floor gap that blending closes (target ≥ 60%)
#   detail     change of the output's mean gradient vs per-frame (target within ±10%:
#              no blurring or freezing)
#
# Then the cost: end-to-end fps of `stylize video` at 640×480 with and without
# temporal blending (default workers/threads), for the same preset and for a
# random-weight full Johnson TransformerNet (the cost of a quality preset).
#
# Usage: Benchmarks/flicker.sh [STYLE] [FRAMES]
#   STYLE   preset name or .onnx path (default: the default preset)
#   FRAMES  frames per clip (default 120)
set -euo pipefail
cd "$(dirname "$0")/.."
style=${1:-}
frames=${2:-120}
source Benchmarks/lib.sh
bench_setup flicker "$style"

clips=(SampleClips/city-night.mp4)
doc=/usr/share/doc/opencv-doc
for gz in "$doc"/opencv4/html/box.mp4.gz "$doc"/opencv4/html/cup.mp4.gz; do
  [ -f "$gz" ] || continue
  name=$(basename "$gz" .gz)
  [ -f "$work/src-$name" ] || gunzip -c "$gz" > "$work/src-$name"
  clips+=("$work/src-$name")
done
for f in "$doc"/examples/data/tree.avi "$doc"/examples/data/vtest.avi; do
  [ -f "$f" ] && clips+=("$f")
done

# Cut each clip to its first FRAMES frames (lossless enough: crf 12) so runs stay short.
cut_clip() {  # src → path of the cut
  local src=$1 name; name=$(basename "${src%.*}")
  local out=$work/$name-$frames.mp4
  if [ ! -f "$out" ]; then
    ffmpeg -hide_banner -loglevel fatal -y -i "$src" -frames:v "$frames" -map 0:v:0 \
      -c:v libx264 -crf 12 -pix_fmt yuv420p "$out"
  fi
  echo "$out"
}

measure() {  # input output → "warping floor gradient"
  "$bin" measure "$1" "$2" | awk '
    /^warping error:/ { w = $3; f = $7; sub(/\)/, "", f) }
    /^mean gradient:/ { g = $3 }
    END { print w, f, g }'
}

printf "%-16s %10s %10s %10s %8s %8s\n" clip floor per-frame ours closed detail
for src in "${clips[@]}"; do
  clip=$(cut_clip "$src"); name=$(basename "${clip%.mp4}")
  "$bin" video "$clip" -o "$work/$name-perframe.mp4" --force --quiet --no-temporal "${style_args[@]}"
  "$bin" video "$clip" -o "$work/$name-temporal.mp4" --force --quiet "${style_args[@]}"
  read -r wp floor gp < <(measure "$clip" "$work/$name-perframe.mp4")
  read -r wt _ gt < <(measure "$clip" "$work/$name-temporal.mp4")
  awk -v n="$name" -v f="$floor" -v p="$wp" -v t="$wt" -v gp="$gp" -v gt="$gt" 'BEGIN {
    closed = (p > f) ? 100 * (p - t) / (p - f) : 0
    printf "%-16s %10.6f %10.6f %10.6f %7.0f%% %+7.1f%%\n", n, f, p, t, closed, 100 * (gt / gp - 1) }'
done

# Cost at 640×480.
clip480=$work/cost-640x480.mp4
if [ ! -f "$clip480" ]; then
  src=${clips[2]:-SampleClips/city-night.mp4}   # cup.mp4 is 640×480 already when present
  ffmpeg -hide_banner -loglevel error -y -i "$src" -vf scale=640:480 -frames:v 60 -map 0:v:0 \
    -c:v libx264 -crf 12 -pix_fmt yuv420p "$clip480"
fi
model=$work/transformer.onnx
[ -f "$model" ] || python3 Tools/onnx/make_models.py transformer "$model" --width-mult 1.0 --seed 1 >/dev/null
fps() {  # style-args... → end-to-end fps
  "$bin" video "$clip480" -o "$work/cost.mp4" --force --max-size 640 --verbose "$@" 2>&1 \
    | sed -nE 's/^Stats: .* fps=([0-9.]+).*/\1/p'
}
printf "\n%-28s %12s %12s %10s\n" "cost at 640×480 (60 frames)" "per-frame" "temporal" "added"
for label in preset transformer; do
  if [ $label = preset ]; then args=("${style_args[@]}"); else args=(--style "$model"); fi
  a=$(fps --no-temporal "${args[@]}"); b=$(fps "${args[@]}")
  awk -v l="$label" -v a="$a" -v b="$b" 'BEGIN {
    printf "%-28s %10.2f fps %8.2f fps %9.1f%%\n", l, a, b, 100 * (a / b - 1) }'
done
