# Shared by the benchmark scripts (source it from the repository root): builds the
# release `stylize` and lets Stylize's own CPU check choose the OpenBLAS kernels.
# Sets: bin (the binary), work (a scratch folder under .work/), style_args (--style STYLE when given).
bench_setup() {  # NAME [STYLE]
  work=.work/bench-$1
  mkdir -p "$work"
  local scratch=${STYLIZE_SCRATCH:-.build}
  swift build -c release --product stylize --scratch-path "$scratch" >&2
  bin=$scratch/release/stylize
  unset OPENBLAS_CORETYPE
  style_args=()
  if [ -n "${2:-}" ]; then style_args=(--style "$2"); fi
}
