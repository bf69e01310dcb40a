#!/bin/sh
# /dev/shm running out, for real: inside a private mount namespace whose
# /dev/shm is a 64 MiB tmpfs (needs root, as CI runs; skipped otherwise).
#   1. a segment larger than the free space fails when created (no SIGBUS later);
#   2. two pipelines of 40 MiB each: the second is refused with a message,
#      the first runs on and its recording verifies.
# Usage: small_dev_shm.sh PYLABHUB TEST_PLATFORM_BINARY
set -eu
if [ "${PLH_IN_SMALL_DEV_SHM:-}" != 1 ]; then
  if [ "$(id -u)" != 0 ] || ! unshare -m --propagation private true 2>/dev/null; then
    echo "skipped: needs root and mount namespaces"; exit 77
  fi
  PLH_IN_SMALL_DEV_SHM=1 exec unshare -m --propagation private "$0" "$@"
fi
pylabhub="$1"
platform_tests="$2"
mount -t tmpfs -o size=64m,mode=1777 tmpfs /dev/shm
work=$(mktemp -d)
trap 'kill "$first" 2>/dev/null || true; rm -rf "$work"' EXIT
export XDG_RUNTIME_DIR="$work"

PLH_TEST_SMALL_DEV_SHM=1 "$platform_tests" --gtest_filter='SharedMemory.CreationFailsAtOnceWhenDevShmCannotHoldTheSegment'

for name in first second; do
  cat >"$work/$name.yaml" <<YAML
pipeline: $name
channels:
  big_$name: {slots: 40, slot_bytes: 1MiB, sync: single_reader}
producers:
  gen: {plugin: counter, channel: big_$name, config: {rate_hz: 200}}
consumers:
  rec: {plugin: recorder, inputs: [big_$name], config: {path: $work/$name.plhrec}}
YAML
done
"$pylabhub" run "$work/first.yaml" --duration 3 >"$work/first.out" 2>&1 &
first=$!
for _ in $(seq 100); do [ -e /dev/shm/plh.big_first ] && break; sleep 0.05; done
[ -e /dev/shm/plh.big_first ] || { echo "FAIL: the first pipeline did not start"; cat "$work/first.out"; exit 1; }
set +e
"$pylabhub" run "$work/second.yaml" --duration 1 >"$work/second.out" 2>&1
code=$?
set -e
cat "$work/second.out"
[ "$code" = 1 ] || { echo "FAIL: the second pipeline exited $code, expected 1"; exit 1; }
grep -q "/dev/shm" "$work/second.out" || { echo "FAIL: the refusal does not name /dev/shm"; exit 1; }
[ ! -e /dev/shm/plh.big_second ] || { echo "FAIL: the refused pipeline left its segment"; exit 1; }
wait "$first" || { echo "FAIL: the first pipeline failed"; cat "$work/first.out"; exit 1; }
"$pylabhub" verify "$work/first.plhrec"
echo "PASS"
