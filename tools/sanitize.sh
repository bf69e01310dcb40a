#!/bin/sh
# make sanitize: the concurrency tests (DataBlock, broker, host runner,
# transports) under ASan+UBSan and under TSan, each in its own build
# directory (build-address, build-thread). `.ci/run` runs it after
# `make test`; docs/building.md has the time it takes.
#
#   tools/sanitize.sh SOURCE_DIR [address|thread ...]
set -eu
source_dir=$(cd "${1:-.}" && pwd); shift || true
kinds=${*:-"address thread"}
jobs=$(nproc 2>/dev/null || echo 2)

# Test binaries and what they need at run time (workers, the host, plugins).
unit="test_platform test_datablock test_messagehub"
integration="test_datablock_processes test_broker test_pipelines test_restart test_external_channels test_transports"
support="plh_test_worker pylabhub"

for kind in $kinds; do
  dir="$source_dir/build-$kind"
  started=$(date +%s)
  echo "== $kind: configure and build ($dir)"
  cmake -S "$source_dir" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPYLABHUB_SANITIZER="$kind" \
    -DPYLABHUB_BUILD_BENCH=OFF -DPYLABHUB_PYTHON=OFF > /dev/null
  # The host tests' plugins come with their targets' dependencies.
  cmake --build "$dir" -j "$jobs" --target $unit $integration $support
  built=$(date +%s)
  echo "== $kind: built in $((built - started)) s; running"
  export TSAN_OPTIONS="suppressions=$source_dir/tests/sanitizer/tsan.supp second_deadlock_stack=1"
  export ASAN_OPTIONS="detect_leaks=1"
  failed=""
  for test in $unit $integration; do
    binary=$(find "$dir/tests" -name "$test" -type f -perm -u+x | head -n 1)
    if ! timeout 900 "$binary" --gtest_brief=1 > "$dir/$test.log" 2>&1; then
      failed="$failed $test"
      tail -n 40 "$dir/$test.log"
    fi
  done
  for residue in $(ls /dev/shm 2>/dev/null | grep '^plh\.test\.' || true); do rm -f "/dev/shm/$residue"; done
  echo "== $kind: tests ran in $(( $(date +%s) - built )) s"
  if [ -n "$failed" ]; then
    echo "== $kind: FAILED:$failed (logs in $dir/*.log)"
    exit 1
  fi
done
echo "== sanitizers ($kinds): clean"
