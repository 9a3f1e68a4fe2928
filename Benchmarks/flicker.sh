#!/usr/bin/env bash
# Flicker, detail, look and cost of temporal blending on the development set (issue 16).
#
# Each clip of Benchmarks/devset (fetched and checked by its fetch.sh) is cut to its first FRAMES
# frames at 480 px wide (--width), then stylized twice with the same style: per frame (`--no-temporal`) and
# with temporal blending (the defaults, plus any flags after `--`). Benchmarks/flicker_judge.py
# then measures, with OpenCV's DIS flow on the input (not Stylize's own flow, so the blend cannot
# grade its own homework):
#
#   floor      the input's own warping error (Lai et al. 2018): flow and interpolation error
#   per-frame  warping error of the per-frame output
#   temporal   warping error of the temporal output
#   closed     share of the per-frame → floor gap the blending closes (— if per-frame ≤ floor)
#   closed-fb  the same share judged with OpenCV's Farnebäck flow instead (real clips): a referee
#              kin to no DIS, so a gain that only moved our flow closer to the judge's shows here
#   grad       mean gradient magnitude, temporal ÷ per-frame (below 1: smeared strokes)
#   style      VGG Gram style loss change, temporal vs per-frame (Benchmarks/style_loss.py)
#   fps-pf, fps-tmp   end-to-end frames/s of `stylize video` (all workers), both ways
#
# The synthetic clips (split synthetic, Benchmarks/devset/synth.py: photos under known camera
# motions, with camera noise) are judged along their exact motion instead of DIS.
#
# then the worst row per column and a summary per split. Per clip it keeps, in the output
# folder, a crop sheet NAME.png (input | per-frame | temporal, frame t over frame t+1), the
# numbers NAME.json, the two stylized videos, and the printed table in table.txt.
#
# Usage: Benchmarks/flicker.sh [options] [-- FLAGS...]
#   --style S        preset name or .onnx (default: $STYLE, else the default preset); or a picture:
#                    painting by optimization, per frame vs with its temporal term (slow: minutes a clip)
#   --frames N       frames per clip (default: $FRAMES, else 60)
#   --width PX       the cut's width (default 480; a multiple of 480 when synthetic clips run: they
#                    are filmed at that size, not scaled — `stylize video` paints files at up to 960)
#   --clips SPEC     dev | holdout | synthetic | all (default: those three) | original | unseen | NAME,...
#                    or your own videos by path (any entry with a / or naming a file: ./bird.mp4),
#                    reported as split "files" and judged as the real clips are
#                    (original: the five clips the first sessions tuned on, kept out of the set since,
#                    as a check on footage the later tuning never saw; unseen: clips first run after
#                    the method was set, never tuned on: street traffic, a car's interior, CG, a bird
#                    close up, murky water, a thrown ball, a 1906 film, a webcam)
#   --out DIR        output folder (default: .work/bench-flicker/run-DATE)
#   --perframe-flags "F..."  extra `stylize video` flags for the per-frame run only (e.g. an
#                    optimization's --iterations, to give both runs the same budget)
#   --reuse          keep the per-frame videos already in --out (a sweep of temporal flags pays for them once)
#   --no-style-loss  skip the style loss (and torch: the venv is made with --no-torch)
#   --live PX        the live method instead: each cut played as a camera (`stylize camera --input`,
#                    realtime network, live temporal set-up) with the network's longest side PX —
#                    what `stylize camera` picks to hold 30 fps at 640×480 (Benchmarks/camera.sh
#                    prints it) — at 10 fps so that no frame is dropped: the method is judged here,
#                    the frame rate by camera.sh. The fps columns are then the capture rate.
#   -- FLAGS...      extra `stylize video` flags for the temporal run only, to compare settings
#                    (e.g. -- --stability 0.95)
#   STYLIZE_BIN=PATH a prebuilt binary instead of building (Benchmarks/lib.sh)
# A full run (18 real clips, 60 frames) takes about 23 minutes on this project's 2-core machine
# (stylizing is most of it; the judge takes ~20 s a clip, two thirds of it the style loss).
set -euo pipefail
caller_dir=$PWD   # your own clips' paths are relative to where you ran this
cd "$(dirname "$0")/.."

style=${STYLE:-} frames=${FRAMES:-60} width=480 clips=all out= style_loss=1 reuse=0 live= temporal_flags=() perframe_flags=() files=()
while (($#)); do
  case $1 in
    --style) style=$2; shift 2 ;;
    --frames) frames=$2; shift 2 ;;
    --width) width=$2; shift 2 ;;
    --clips) clips=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-style-loss) style_loss=0; shift ;;
    --reuse) reuse=1; shift ;;
    --live) live=$2; shift 2 ;;
    --perframe-flags) read -ra perframe_flags <<<"$2"; shift 2 ;;
    --) shift; temporal_flags=("$@"); break ;;
    -h|--help) source scripts/usage.sh; usage "$0"; exit 0 ;;
    *) echo "flicker.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $frames =~ ^[0-9]+$ ]] && ((frames >= 2)) || { echo "flicker.sh: --frames needs a number ≥ 2" >&2; exit 2; }
[[ $width =~ ^[0-9]+$ ]] && ((width >= 32 && width % 2 == 0)) || { echo "flicker.sh: --width needs an even number ≥ 32" >&2; exit 2; }
[[ -z $live || ($live =~ ^[0-9]+$ && live -ge 16) ]] || { echo "flicker.sh: --live needs a network size in pixels ≥ 16" >&2; exit 2; }

# Which clips: by split or by name, from the manifest.
manifest=Benchmarks/devset/clips.tsv
case $clips in
  all|dev|holdout|synthetic|original|unseen)
    names=$(awk -F'\t' -v s="$clips" 'NR > 1 && $1 !~ /^#/ && $1 != "" && (s == "all" ? $2 != "original" && $2 != "unseen" : $2 == s) { print $1 }' "$manifest") ;;
  *) names=
     IFS=, read -ra entries <<<"$clips"
     for e in "${entries[@]}"; do
       path=$e; [[ $path == /* ]] || path=$caller_dir/$e
       if [[ $e == */* || -f $path ]]; then   # a video of your own, judged with OpenCV's flow as the real clips are
         [ -f "$path" ] || { echo "flicker.sh: no file $e" >&2; exit 2; }
         files+=("$path")
       else
         names+="$e "
       fi
     done ;;
esac
[ -n "$names" ] || ((${#files[@]})) || { echo "flicker.sh: no clips match '$clips'" >&2; exit 2; }

source Benchmarks/lib.sh
bench_setup flicker "$style"
venv_flags=(); ((style_loss)) || venv_flags=(--no-torch)
python=$(Benchmarks/setup-venv.sh "${venv_flags[@]}" | tail -1)
out=${out:-$work/run-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out/videos" "$work/cuts"
rm -f "$out"/*.json   # a reused folder reports this run only

# fetch.sh is idempotent (a re-hash when cached) and prints: name split ... path (last column).
# It renders the synthetic clips with this venv's OpenCV.
# shellcheck disable=SC2086 # names are words
scale=$((width / 480))
if ((width % 480)) && awk -F'\t' -v n=" ${names//$'\n'/ } " '$9 ~ /^synth=/ && index(n, " " $1 " ")' "$manifest" | grep -q .; then
  echo "flicker.sh: synthetic clips are filmed at a multiple of 480 px wide, not $width (leave them out with --clips)" >&2; exit 2
fi
listing=
[ -z "$names" ] || listing=$(STYLIZE_BENCH_PYTHON=$python STYLIZE_DEVSET_SCALE=$((scale > 0 ? scale : 1)) Benchmarks/devset/fetch.sh $names)
# Your own files: split "files", named by their file name (letters, digits, - and _ kept).
for f in "${files[@]}"; do
  n=$(basename "${f%.*}" | tr -c 'A-Za-z0-9_\n-' '-')
  listing+=$'\n'"$n files - - - - - - - $(realpath "$f")"
done

# The painting the style loss compares with: the preset's style.jpg, or one beside the .onnx.
painting=
if ((style_loss)); then
  s=${style:-$("$bin" presets | awk '/\(default\)/ { print $1 }')}
  case $s in
    *.jpg|*.jpeg|*.png) painting=$s ;;
    *.onnx) painting=$(dirname "$s")/style.jpg ;;
    */*) painting=$s/style.jpg ;;
    *) for d in "${XDG_DATA_HOME:-$HOME/.local/share}/stylize/presets/$s" "Presets/$s"; do
         [ -f "$d/style.jpg" ] && { painting=$d/style.jpg; break; }
       done ;;
  esac
  [ -f "$painting" ] || { echo "flicker.sh: no style.jpg for '$s': the style loss is left out" >&2; painting=; }
fi

# Cut to the first FRAMES frames at WIDTH px wide (even height), crf 12. The judge reads this very
# file as the input, so the cut's own loss does not matter; passthrough keeps VFR timing as it is.
cut_clip() {  # name src → path of the cut
  local cut=$work/cuts/$1-$frames.mp4
  [ "$width" = 480 ] || cut=$work/cuts/$1-$frames-w$width.mp4
  if [ ! -s "$cut" ] || [ "$2" -nt "$cut" ]; then
    ffmpeg -hide_banner -loglevel error -nostdin -y -i "$2" -map 0:v:0 -frames:v "$frames" \
      -vf "scale=$width:-2" -fps_mode passthrough -an -c:v libx264 -crf 12 -pix_fmt yuv420p "$cut.tmp.mp4"
    mv "$cut.tmp.mp4" "$cut"
  fi
  echo "$cut"
}

logged_fps() {  # a run's log → its end-to-end fps (`video --verbose`'s Stats line, or `camera`'s Done line)
  sed -nE -e 's/^Stats: .* fps=([0-9.]+).*/\1/p' -e 's/^Done: .*; ([0-9.]+) fps;.*/\1/p' "$1"
}

stylize_clip() {  # cut output flags... → end-to-end fps
  local log=$2.log
  if [ -n "$live" ]; then
    local size
    size=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=s=x:p=0 "$1")
    if ! "$bin" camera --input "$1" --fps 10 --size "$size" --max-size "$live" --output - "${style_args[@]}" "${@:3}" \
         </dev/null >"$2" 2>"$log"; then
      echo "flicker.sh: stylize camera failed on $1:" >&2; tail -5 "$log" >&2; exit 1
    fi
  elif ! "$bin" video "$1" -o "$2" --force --verbose "${style_args[@]}" "${@:3}" </dev/null >"$log" 2>&1; then
    echo "flicker.sh: stylize failed on $1:" >&2; tail -5 "$log" >&2; exit 1
  fi
  logged_fps "$log"
}
ext=mp4; [ -z "$live" ] || ext=y4m

started=$SECONDS
while read -r name split _ _ _ _ _ _ _ src; do
  [ -z "$name" ] || [ "$name" = name ] && continue   # fetch.sh's header
  echo "$name: stylizing ($split)..." >&2
  key=$name; [ "$split" != files ] || key=files-$name   # your clip named like one of the set gets its own cut
  cut=$(cut_clip "$key" "$src")
  perframe=$out/videos/$name-perframe.$ext
  if ((reuse)) && [ -s "$perframe" ] && [ "$perframe" -nt "$cut" ]; then
    fps_p=$(logged_fps "$perframe.log")
  else
    fps_p=$(stylize_clip "$cut" "$perframe" --no-temporal "${perframe_flags[@]}")
  fi
  fps_t=$(stylize_clip "$cut" "$out/videos/$name-temporal.$ext" "${temporal_flags[@]}")
  flow=${src%.*}.flow.npz   # a synthetic clip's exact motion (fetch.sh renders it beside the clip)
  [ -f "$flow" ] || flow=
  "$python" Benchmarks/flicker_judge.py clip --name "$name" --split "$split" --input "$cut" --flow "$flow" \
    --perframe "$perframe" --temporal "$out/videos/$name-temporal.$ext" \
    --fps-perframe "$fps_p" --fps-temporal "$fps_t" --style-image "$painting" --out "$out" </dev/null
done <<<"$listing"

{
  echo "Benchmarks/flicker.sh --frames $frames --width $width --clips $clips${live:+ --live $live}${style:+ --style $style}${perframe_flags[*]:+ --perframe-flags \"${perframe_flags[*]}\"}${temporal_flags[*]:+ -- ${temporal_flags[*]}}"
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), binary $bin, $(nproc) cores, $(( (SECONDS - started) / 60 )) min"
  echo
  "$python" Benchmarks/flicker_judge.py report "$out"
} | tee "$out/table.txt"
echo "crops, numbers and videos: $out" >&2
