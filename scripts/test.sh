#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, builds, runs every test,
# and ends with one summary line ("N passed, N failed, N skipped").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# All tests are XCTest; Swift Testing would only add a "0 tests" footer.
status=0
swift test --skip-build --disable-swift-testing "$@" 2>&1 | tee "$log" || status=$?
summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?" "$log" | tail -1 || true)
if [ -n "$summary" ]; then
  executed=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")
  skipped=$(grep -oE "[0-9]+ tests? skipped" <<<"$summary" | grep -oE "^[0-9]+" || echo 0)
  failed=$(grep -oE "[0-9]+ failures?" <<<"$summary" | grep -oE "^[0-9]+" || echo 0)
  echo "$((executed - skipped - failed)) passed, $failed failed, $skipped skipped"
fi
exit $status
