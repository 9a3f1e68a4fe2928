# Shared by the benchmark scripts (source it from the repository root): builds the
# release `stylize` (or takes STYLIZE_BIN, e.g. a binary of an earlier commit to compare
# against) and lets Stylize's own CPU check choose the OpenBLAS kernels, as users get it.
# Sets: bin (the binary), work (a scratch folder under .work/), style_args (--style STYLE when given).
bench_setup() {  # NAME [STYLE]
  work=.work/bench-$1
  mkdir -p "$work"
  if [ -n "${STYLIZE_BIN:-}" ]; then
    bin=$STYLIZE_BIN
  else
    local scratch=${STYLIZE_SCRATCH:-.build}
    swift build -c release --product stylize --scratch-path "$scratch" >&2
    bin=$scratch/release/stylize
  fi
  unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
  style_args=()
  if [ -n "${2:-}" ]; then style_args=(--style "$2"); fi
}
