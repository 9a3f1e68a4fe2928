#!/usr/bin/env bash
# Our DIS optical flow against OpenCV's DIS (opencv-python-headless in the bench
# venv), same presets, same frames, one thread each, measured in one run.
#
# Synthetic pairs with exact ground-truth flow, rendered from a real photo at
# 640×480 and 1280×720: an affine motion, a homography, and a textured sprite
# moving over a moving background (occlusions). For each case, size and preset
# (ultrafast, fast, medium): end-point error against the truth (16 px border
# left out) and the median ms of the flow, ours (`stylize flow`) and OpenCV's,
# with the ratios; rows beyond the targets (EPE > 1.1×, time > 1.5× OpenCV's)
# are flagged. Details: Benchmarks/flow_bench.py.
#
# Usage: Benchmarks/flow-vs-opencv.sh [RUNS] [--cases sprite,...] [--presets ultrafast,...]
#   RUNS defaults to 5; the full table takes well under a minute on 2 cores
#   STYLIZE_SCRATCH=DIR  build folder (default .build), e.g. a private one
#   STYLIZE_BIN=PATH     a binary built already (e.g. of an earlier commit) instead
#   FLOW_PHOTO=FILE      the photo to render the sequences from (default: one of
#                        OpenCV's sample images if installed, else a frame of
#                        SampleClips/city-night.mp4, else a procedural texture)
# Like every benchmark here it unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (Benchmarks/lib.sh): users have neither.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
shift || true   # further arguments go to flow_bench.py (--cases, --presets)
source Benchmarks/lib.sh
bench_setup flow
python=$(Benchmarks/setup-venv.sh --no-torch | tail -1)

echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(lscpu | sed -nE 's/^Model name: +//p')," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" Benchmarks/flow_bench.py --stylize "$bin" --runs "$runs" --work "$work" "$@"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
