#!/bin/sh
# Runs the two processes of docs/datablock.md: a producer and a consumer
# connected only by the segment name and secret the producer prints.
set -eu
bin="$1"
name="/plh.test.examples.$$"
out=$(mktemp); trap 'rm -f "$out"; kill "$producer" 2>/dev/null || true' EXIT
"$bin/plh_example_producer" --name "$name" --count 2000 --rate 20000 --wait-consumers 1 >"$out" &
producer=$!
for _ in $(seq 100); do grep -q '^name=' "$out" && break; sleep 0.05; done
secret=$(sed -n 's/^name=.* secret=//p' "$out")
[ -n "$secret" ] || { echo "producer printed no secret"; cat "$out"; exit 1; }
timeout 20 "$bin/plh_example_consumer" "$name" "$secret" --print-every 500 | tee /dev/stderr | grep -q '^read 2000 slots$'
wait "$producer"
grep -q '^wrote 2000 slots; consumers read 2000' "$out" || { cat "$out"; exit 1; }
