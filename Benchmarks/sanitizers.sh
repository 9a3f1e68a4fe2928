#!/usr/bin/env bash
# The test suite under AddressSanitizer and ThreadSanitizer (issue 19).
#
# Usage: Benchmarks/sanitizers.sh [address|thread]... [-- swift test options]
#   (default: both, the whole suite; e.g. `Benchmarks/sanitizers.sh thread -- --filter PipelineTests`)
# Each sanitizer builds in its own folder (.build/sanitize-NAME) and writes its reports, one file
# per process, to .work/sanitizers/NAME/; the summary line per sanitizer gives the tests' result
# and the number of reports. Exit status: non-zero when a test failed or a report was written.
#
# The tests run as they do in CI, with one exception: the tests that time whole debug runs of the
# network are slower (ASan about 2×, TSan 5–15×); none of them asserts a duration.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizers=() test_options=()
while (($#)); do
  case $1 in
    address|thread) sanitizers+=("$1"); shift ;;
    --) shift; test_options=("$@"); break ;;
    -h|--help) source scripts/usage.sh; usage "$0"; exit 0 ;;
    *) echo "sanitizers.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
((${#sanitizers[@]})) || sanitizers=(address thread)

scripts/install-deps.sh
status=0
for sanitizer in "${sanitizers[@]}"; do
  build=.build/sanitize-$sanitizer reports=.work/sanitizers/$sanitizer
  rm -rf "$reports"; mkdir -p "$reports"
  swift build --build-tests --sanitize="$sanitizer" --scratch-path "$build" >&2
  log=$reports/test.log
  started=$(date +%s)
  # log_path: one report file per process (the test runner, and every stylize it starts).
  # halt_on_error=0 (TSan): go on after a report, so one run lists them all.
  ASAN_OPTIONS="log_path=$PWD/$reports/report:detect_leaks=1" \
  LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan-suppressions.txt" \
  TSAN_OPTIONS="log_path=$PWD/$reports/report:halt_on_error=0:second_deadlock_stack=1" \
    swift test --skip-build --disable-swift-testing --sanitize="$sanitizer" --scratch-path "$build" \
      "${test_options[@]}" >"$log" 2>&1 || status=1
  # No summary (the test binary died before running a test): say so below instead of stopping here.
  summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?" "$log" | tail -1 | sed 's/^[[:space:]]*//' || true)
  [[ -n $summary ]] || { status=1; echo "--- last lines of $log"; tail -5 "$log"; }
  count=$(find "$reports" -name 'report.*' | wc -l)
  if ((count > 0)); then
    status=1
    # The reports themselves, so a log from another machine (CI) says what raced or leaked.
    for report in $(find "$reports" -name 'report.*' | sort | head -3); do
      echo "--- $report (first 80 lines)"; head -80 "$report"
    done
  fi
  echo "$sanitizer: ${summary:-no test summary (see $log)}; $count report file(s) in $reports; $(( $(date +%s) - started )) s"
done
exit $status
