# Sourced by the benchmark scripts: builds `stylize` in release and makes the
# Python environment. Sets `bin` (the binary) and `python` (the venv's python).
#   STYLIZE_SCRATCH=DIR  build folder (default .build), e.g. a private one
scratch=${STYLIZE_SCRATCH:-.build}
echo "building stylize (release, $scratch)..." >&2
swift build -c release --product stylize --scratch-path "$scratch" >&2
bin=$scratch/release/stylize
python=$(Benchmarks/setup-venv.sh --no-torch | tail -1)
