#!/usr/bin/env bash
# Our engine against ONNX Runtime (CPU EP) on the same networks, sizes, input
# and thread counts, measured in one run.
#
# Rows: the full Johnson TransformerNet at 640×360 and 1280×720, the half-width
# one at 640×480, each at 1 and 2 threads. For each:
#   ours  `stylize bench MODEL --size WxH --threads N --workers 1 --runs R` (median ms/frame)
#   ORT   intra_op_num_threads = N, inter_op 1, ORT_SEQUENTIAL, all graph
#         optimizations, median of R runs after 2 warm-up runs, same image
# and prints ms, ours/ORT, our GFLOP/s (2 × MACs from the conv shapes / time),
# and our sgemm peak measured now: `stylize bench` on 1×1 convolutions
# 3→512→512→3 at 256×256, whose middle conv (a 512×512×65536 sgemm) is 98.8% of
# the work. Then our peak memory (max RSS) on the full net at 1280×720, 1
# thread, next to the largest set of activations one layer reads and writes.
#
# Then the reduced precisions (issue 21) on a shipped network, the Starry Night quality preset,
# at 640×480 and 1280×720, 1 and 2 threads (one frame at a time: latency): ours in every
# precision this CPU runs (`stylize bench --precision P`; a precision it lacks prints "—"),
# ONNX Runtime fp32 and PyTorch bf16 autocast with channels-last (Tools/parity/torch_bench.py,
# the preset's weights in Training/models.py's TransformerNet), all in this run; and the
# throughput of the 2 cores (`stylize bench --threads 2`: two workers, frames/s) per precision.
#
# Usage: Benchmarks/engine-vs-ort.sh [RUNS]        (default 3; about 8 minutes on 2 cores)
#   STYLIZE_SCRATCH=DIR  build folder (default .build), e.g. a private one
#   STYLIZE_BIN=PATH     a binary built already (e.g. of an earlier commit) instead
# Like every benchmark here it unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (Benchmarks/lib.sh): users have neither.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
source Benchmarks/lib.sh
bench_setup ort
python=$(Benchmarks/setup-venv.sh --no-torch | tail -1)
tool=Tools/parity/ort_bench.py

full=$work/transformer_full.onnx half=$work/transformer_half.onnx probe=$work/sgemm_probe.onnx
[ -f "$full" ] || python3 Tools/onnx/make_models.py transformer "$full" --width-mult 1.0 --seed 1 >&2
[ -f "$half" ] || python3 Tools/onnx/make_models.py transformer "$half" --width-mult 0.5 --seed 1 >&2
[ -f "$probe" ] || "$python" "$tool" probe "$probe"

ours_ms() {  # model WxH threads runs
  "$bin" bench "$1" --size "$2" --threads "$3" --workers 1 --runs "$4" | sed -nE 's/.*: ([0-9.]+) ms\/frame.*/\1/p'
}

echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(lscpu | sed -nE 's/^Model name: +//p'), runs=$runs," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the 2-thread rows first)"
"$bin" bench "$probe" --size 64x64 --threads 1 --runs 1 --verbose | grep -i "core" || true
"$python" -c 'import onnxruntime, numpy; print("onnxruntime", onnxruntime.__version__, "numpy", numpy.__version__)'

declare -A peak
probe_macs=$("$python" "$tool" stats "$probe" 256x256 | cut -d' ' -f1)
for threads in 1 2; do
  ms=$(ours_ms "$probe" 256x256 "$threads" "$runs")
  peak[$threads]=$(awk -v m="$probe_macs" -v t="$ms" 'BEGIN { printf "%.1f", 2 * m / t / 1e6 }')
done

printf "\n%-30s %7s %10s %10s %9s %12s %12s %9s\n" row threads "ours ms" "ORT ms" ours/ORT "our GFLOP/s" "sgemm peak" "of peak"
for row in "full TransformerNet|$full|640x360" "full TransformerNet|$full|1280x720" "half TransformerNet|$half|640x480"; do
  IFS='|' read -r label model size <<<"$row"
  macs=$("$python" "$tool" stats "$model" "$size" | cut -d' ' -f1)
  for threads in 1 2; do
    ours=$(ours_ms "$model" "$size" "$threads" "$runs")
    ort=$("$python" "$tool" time "$model" "$size" "$threads" "$runs")
    awk -v l="$label $size" -v n="$threads" -v o="$ours" -v r="$ort" -v m="$macs" -v p="${peak[$threads]}" 'BEGIN {
      g = 2 * m / o / 1e6
      printf "%-30s %7d %10.1f %10.1f %9.2f %12.1f %12.1f %8.0f%%\n", l, n, o, r, o / r, g, p, 100 * g / p }'
  done
done

echo "(GFLOP/s counts 2 × the direct convolution's MACs: above 100% of the sgemm peak means fewer real flops, e.g. Winograd)"

read -r _ live < <("$python" "$tool" stats "$full" 1280x720)
rss=$( { /usr/bin/time -f "%M" "$bin" bench "$full" --size 1280x720 --threads 1 --workers 1 --runs 1 >/dev/null; } 2>&1 | tail -1)
awk -v r="$rss" -v l="$live" 'BEGIN {
  printf "\npeak memory, full TransformerNet 1280x720, 1 thread: %.0f MiB max RSS; largest activations one layer reads and writes: %.0f MiB (%.2f×)\n",
    r / 1024, l / 1048576, r * 1024 / l }'

preset=Presets/starry-night/quality.onnx
torch_python=$(Benchmarks/setup-venv.sh | tail -1)
ours_precision_ms() {  # WxH threads precision
  "$bin" bench "$preset" --size "$1" --threads "$2" --workers 1 --runs "$runs" --precision "$3" 2>/dev/null |
    sed -nE 's/.*: ([0-9.]+) ms\/frame.*/\1/p' || true
}
"$bin" bench "$preset" --size 64x64 --runs 1 --verbose | grep "^CPU" || true
printf "\n%-28s %7s %9s %9s %9s %9s %11s %12s\n" "quality preset (latency)" threads "fp32 ms" "int8 ms" "bf16 ms" \
  "ORT ms" "torch bf16" "int8/fp32"
for size in 640x480 1280x720; do
  for threads in 1 2; do
    fp32=$(ours_precision_ms "$size" "$threads" fp32)
    int8=$(ours_precision_ms "$size" "$threads" int8)
    bf16=$(ours_precision_ms "$size" "$threads" bf16)
    ort=$("$python" "$tool" time "$preset" "$size" "$threads" "$runs")
    torch=$("$torch_python" Tools/parity/torch_bench.py time "$preset" "$size" "$threads" "$runs" bf16)
    awk -v l="starry-night $size" -v n="$threads" -v f="$fp32" -v i="$int8" -v b="$bf16" -v o="$ort" -v t="$torch" 'BEGIN {
      printf "%-28s %7d %9s %9s %9s %9.1f %11.1f %12s\n", l, n, f, (i == "" ? "—" : i), (b == "" ? "—" : b), o, t,
        (i == "" ? "—" : sprintf("%.2f×", f / i)) }'
  done
done
printf "\n%-28s %9s %9s %9s   (frames/s, 2 workers × 1 thread)\n" "quality preset (throughput)" fp32 int8 bf16
for size in 640x480 1280x720; do
  printf "%-28s" "starry-night $size"
  for precision in fp32 int8 bf16; do
    fps=$("$bin" bench "$preset" --size "$size" --threads 2 --runs "$runs" --precision "$precision" 2>/dev/null |
          sed -nE 's/.*, ([0-9.]+) fps.*/\1/p' || true)
    printf " %9s" "${fps:-—}"
  done
  printf "\n"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
