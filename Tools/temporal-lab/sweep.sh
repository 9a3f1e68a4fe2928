#!/usr/bin/env bash
# Runs the blend model (swiftblend.py) with one set of flags on the cuts of a flicker.sh run and
# judges each output against that run's per-frame video, with the style loss; the report of
# everything judged into the same folder so far is printed at the end, so a sweep of several
# settings is one call per setting with the same --out:
#
#   Benchmarks/flicker.sh --out RUN                       # cuts and per-frame videos, once
#   Tools/temporal-lab/sweep.sh --run RUN --out DIR built
#   Tools/temporal-lab/sweep.sh --run RUN --out DIR no-input-test -- --input-change none
#
#   --run DIR     a flicker.sh output folder (its videos/NAME-perframe.mp4 are used)
#   --out DIR     where the model's videos and the judge's NAME-TAG.json/.png go
#   --clips A,B   only these clips (default: every per-frame video in --run)
#   --style PIC   the painting for the style loss (default: the default preset's style.jpg)
#   TAG           appended to each clip's name in the table
#   -- FLAGS      swiftblend.py's flags for this setting
set -euo pipefail
cd "$(dirname "$0")/../.."
run= out= clips= style=Presets/starry-night/style.jpg
while (($#)); do
  case $1 in
    --run) run=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --clips) clips=$2; shift 2 ;;
    --style) style=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) source scripts/usage.sh; usage "$0"; exit 0 ;;
    -*) echo "sweep.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) tag=$1; shift ;;
  esac
done
[ -n "$run" ] && [ -n "$out" ] && [ -n "${tag:-}" ] || { echo "sweep.sh: needs --run, --out and a TAG (see --help)" >&2; exit 2; }
[ -d "$run/videos" ] || { echo "sweep.sh: $run has no videos/ (run Benchmarks/flicker.sh --out $run first)" >&2; exit 1; }
py=.venv-bench/bin/python
cuts=.work/bench-flicker/cuts
if [ -z "$clips" ]; then
  clips=$(ls "$run/videos" | sed -n 's/-perframe\.mp4$//p' | paste -sd, -)
fi
mkdir -p "$out"
IFS=, read -ra names <<<"$clips"
for name in "${names[@]}"; do
  cut=$(ls "$cuts/$name"-[0-9]*.mp4 2>/dev/null | head -1 || true)
  perframe=$run/videos/$name-perframe.mp4
  [ -n "$cut" ] && [ -s "$perframe" ] || { echo "sweep.sh: $name: no cut in $cuts or no $perframe" >&2; exit 1; }
  split=$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' Benchmarks/devset/clips.tsv)
  echo "$name-$tag..." >&2
  "$py" Tools/temporal-lab/swiftblend.py "$cut" "$perframe" "$out/$name-$tag.mp4" "$@"
  "$py" Benchmarks/flicker_judge.py clip --name "$name-$tag" --input "$cut" --perframe "$perframe" \
    --temporal "$out/$name-$tag.mp4" --split "${split:-dev}" --style-image "$style" --out "$out" >/dev/null
done
"$py" Benchmarks/flicker_judge.py report "$out"
