#!/usr/bin/env bash
# Painting by optimization (issue 18) against PyTorch on the same VGG16 weights, on this machine.
#
#   curve   one photo and one painting at 384 px, the same start (the photo), the same objective
#           and weights, 100 L-BFGS iterations each: `stylize image --style PAINTING` and
#           Training/gatys.py (torch.optim.LBFGS, history 50, strong Wolfe). Both loss curves
#           (every 10 iterations) and the ratio of the final losses.
#   speed   one loss-and-gradient evaluation at 384² and 768², 1 and 2 threads: ours
#           (`stylize bench --optimization`) against PyTorch fp32 and PyTorch bf16 autocast
#           (channels-last), medians; ratios > 1 mean ours is faster.
#   memory  peak RSS of `stylize image --style PAINTING --max-size 1024` (10 iterations).
#
# Needs the loss network (scripts/fetch-loss-network.sh) and the training environment
# (Training/setup-venv.sh; Training/fetch_data.py for the photos, paintings and VGG16).
# Usage: Benchmarks/gatys.sh [--photo FILE] [--painting FILE] [--iterations N] [--style-weight W] [--runs N] [--skip-curve] [--skip-speed]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${STYLIZE_TRAINING_CACHE:-$HOME/.cache/stylize}/training-data
photo=$data/photos/test/skimage-astronaut.jpg
painting=$data/styles/starry-night.jpg
iterations=100 runs=3 curve=1 speed=1 style_weight=30
while (($#)); do
  case $1 in
    --photo) photo=$2; shift 2 ;;
    --painting) painting=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --style-weight) style_weight=$2; shift 2 ;;
    --skip-curve) curve=0; shift ;;
    --skip-speed) speed=0; shift ;;
    -h|--help) source scripts/usage.sh; usage "$0"; exit 0 ;;
    *) echo "gatys.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
source Benchmarks/lib.sh
bench_setup gatys
python=.venv-train/bin/python
vgg=${XDG_DATA_HOME:-$HOME/.local/share}/stylize/models/vgg16.onnx
[[ -f $vgg ]] || { echo "gatys.sh: no loss network at $vgg (run scripts/fetch-loss-network.sh)" >&2; exit 1; }
[[ -x $python ]] || { echo "gatys.sh: no training environment (run Training/setup-venv.sh)" >&2; exit 1; }

if ((curve)); then
  # Both programs get the same pixels: the photo cropped square at 384² (a multiple of 8, so
  # ours does not resize it) and the painting with its longest side at 384 (what ours sees at
  # --style-scale 1).
  ffmpeg -v error -y -i "$photo" -vf "crop='min(iw,ih)':'min(iw,ih)',scale=384:384:flags=lanczos" "$work/photo.png"
  ffmpeg -v error -y -i "$painting" -vf "scale='if(gt(iw,ih),384,-1)':'if(gt(iw,ih),-1,384)':flags=lanczos" "$work/painting.png"
  echo "curve: $(basename "$photo") in the style of $(basename "$painting"), 384 px, $iterations iterations" >&2
  "$bin" image "$work/photo.png" -o "$work/ours.png" --style "$work/painting.png" --iterations "$iterations" \
    --style-weight "$style_weight" --content-weight 1 --max-size 384 --force 2>"$work/ours.log" | cat
  "$python" Training/gatys.py "$work/photo.png" "$work/painting.png" --iterations "$iterations" \
    --style-weight "$style_weight" --content-weight 1 --out "$work/pytorch.png" >"$work/pytorch.log"
  paste <(grep -o '([0-9]*/[0-9]* iterations' "$work/ours.log" | tr -d '(' | cut -d/ -f1) \
        <(grep -o 'loss [0-9.e+]*' "$work/ours.log" | cut -d' ' -f2) >"$work/ours.curve"
  sed -n 's/^iteration \([0-9]*\): loss \(.*\)/\1\t\2/p' "$work/pytorch.log" >"$work/pytorch.curve"
  printf '%-10s %14s %14s %8s\n' iteration ours pytorch ratio
  join -t $'\t' <(sort "$work/ours.curve") <(sort "$work/pytorch.curve") | sort -n |
    awk -F'\t' '{ printf "%-10s %14.6g %14.6g %8.3f\n", $1, $2, $3, $2 / $3 }'
  ours_final=$(grep -o 'loss [0-9.e+]*)' "$work/ours.log" | tail -1 | tr -d 'loss )')
  torch_final=$(sed -n 's/.*; loss \([0-9.e+]*\) .*/\1/p' "$work/pytorch.log")
  awk -v a="$ours_final" -v b="$torch_final" 'BEGIN { printf "final: ours %.6g, pytorch %.6g, ratio %.3f\n", a, b, a / b }'
  grep '^Done' "$work/ours.log" | sed 's/^/ours: /'
  grep '^gatys' "$work/pytorch.log" | sed 's/^gatys/pytorch/'
fi

((speed)) || exit 0
echo
printf '%-9s %-7s %10s %10s %10s %10s %10s\n' size threads ours_ms fp32_ms bf16_ms vs_fp32 vs_bf16
for size in 384x384 768x768; do
  for threads in 1 2; do
    ours=$("$bin" bench "$vgg" --optimization --size $size --threads $threads --runs "$runs" | sed 's/.*: \([0-9.]*\) ms.*/\1/')
    fp32=$("$python" Training/gatys.py --benchmark $size --threads $threads --runs "$runs" | sed 's/.*: \([0-9.]*\) ms.*/\1/')
    bf16=$("$python" Training/gatys.py --benchmark $size --threads $threads --runs "$runs" --bf16 | sed 's/.*: \([0-9.]*\) ms.*/\1/')
    awk -v s=$size -v t=$threads -v o="$ours" -v f="$fp32" -v b="$bf16" \
      'BEGIN { printf "%-9s %-7s %10.1f %10.1f %10.1f %9.2fx %9.2fx\n", s, t, o, f, b, f / o, b / o }'
  done
done

echo
ffmpeg -v error -y -i "$photo" -vf "scale=1024:-2" "$work/photo1024.png"
/usr/bin/time -v "$bin" image "$work/photo1024.png" -o "$work/big.png" --style "$painting" --iterations 10 \
  --max-size 1024 --force -q 2>"$work/memory.log" || { tail -3 "$work/memory.log" >&2; exit 1; }
echo "memory: stylize image --max-size 1024 (coarse to fine up to 1024 px, 10 iterations), peak RSS" \
  "$(awk '/Maximum resident/ { printf "%.2f GB", $6 / 1048576 }' "$work/memory.log")"
