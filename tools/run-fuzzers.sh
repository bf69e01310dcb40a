#!/usr/bin/env bash
# Runs every fuzz target of a PYLABHUB_FUZZ build for SECONDS each, starting
# from the committed corpus (tests/fuzz/corpus/NAME). New inputs go to
# BUILD/fuzz-corpus/NAME, crashes to BUILD/fuzz-crashes/. Exit 1 on a crash,
# a leak, a timeout or a sanitizer report.
#   tools/run-fuzzers.sh BUILD_DIR SECONDS
set -euo pipefail
build="$1"; seconds="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
failed=()
for binary in "$build"/tests/fuzz/fuzz_*; do
  [ -x "$binary" ] || continue
  name="$(basename "$binary")"; target="${name#fuzz_}"
  corpus="$build/fuzz-corpus/$target"; crashes="$build/fuzz-crashes"
  mkdir -p "$corpus" "$crashes"
  echo "== $name for ${seconds}s"
  if ! "$binary" "$corpus" "$root/tests/fuzz/corpus/$target" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/$target-" 2>"$build/fuzz-$target.log"; then
    tail -40 "$build/fuzz-$target.log"
    failed+=("$name")
  else
    grep -E "^stat::number_of_executed_units|^Done" "$build/fuzz-$target.log" | tail -2
  fi
done
if ((${#failed[@]} > 0)); then
  echo "fuzz: FAILED: ${failed[*]}; the inputs are in $build/fuzz-crashes/. Fix the bug, then copy the input into"
  echo "tests/fuzz/corpus/TARGET/ so that 'make test' replays it for good."
  exit 1
fi
echo "fuzz: every target ran ${seconds}s without a finding"
