#!/bin/sh
# Builds the plugin of docs/sdk-guide.md with the guide's own command line
# and checks what `pylabhub inspect` says about it.
set -eu
source_dir="$1"; pylabhub="$2"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
cp "$source_dir/examples/plugins/my_thermometer.cpp" .
SDK="$source_dir/framework/include"
g++ -std=c++20 -O2 -fPIC -shared -fvisibility=hidden -Wl,--no-undefined \
    -Wl,--version-script=$SDK/pylabhub/sdk/exports.map -I $SDK \
    my_thermometer.cpp -o thermometer.so
exports=$(nm -D --defined-only thermometer.so | awk '{print $3}')
[ "$exports" = "plh_plugin_entry" ] || { echo "exports: $exports"; exit 1; }
# The built-in plugins export only the entry too.
for plugin in "$(dirname "$pylabhub")"/../lib/pylabhub/plugins/*.so; do
  exports=$(nm -D --defined-only "$plugin" | awk '{print $3}')
  [ "$exports" = "plh_plugin_entry" ] || { echo "$plugin exports: $exports"; exit 1; }
done
out=$("$pylabhub" inspect --plugin-path . thermometer)
echo "$out"
echo "$out" | grep -q '^thermometer (producer) 1.0.0$'
echo "$out" | grep -Eq 'sensor +string +\(required\)'
echo "$out" | grep -q '{t_ns@0:u64;celsius@8:f64}#16'

# §4 of the guide, verbatim: its pipeline block and its commands.
awk '/^# thermometer.yaml$/{on=1} on&&/^```$/{exit} on' "$source_dir/docs/sdk-guide.md" > thermometer.yaml
grep -q '^pipeline: lab$' thermometer.yaml || { echo "the guide's pipeline block was not found"; exit 1; }
export XDG_RUNTIME_DIR="$work"   # its own default broker endpoint
# The channel name is machine-wide: give this run its own.
sed -i "s/lab_temperature/guide_$$/g" thermometer.yaml
"$pylabhub" validate thermometer.yaml
"$pylabhub" run thermometer.yaml --duration 3
"$pylabhub" verify temperature.plhrec
dump=$("$pylabhub" dump temperature.plhrec --head 3)
echo "$dump"
[ "$(echo "$dump" | grep -c ' celsius=21.5$')" = 3 ] || { echo "dump did not decode 3 records"; exit 1; }
"$pylabhub" dump temperature.plhrec --csv | head -1 | grep -q '^sequence,commit_ns,time_utc,t_ns,celsius$'
# While it runs: echo and hz.
"$pylabhub" run thermometer.yaml --duration 6 > run.out 2>&1 &
runner=$!
trap 'kill "$runner" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -e "/dev/shm/plh.guide_$$" ] && break; sleep 0.05; done
sleep 0.5
timeout 20 "$pylabhub" echo "guide_$$" -n 3 | tee echo.out
[ "$(grep -c 'celsius=21.5' echo.out)" = 3 ] || { echo "echo printed no 3 slots"; exit 1; }
timeout 20 "$pylabhub" hz "guide_$$" --duration 3 | tee hz.out
[ "$(grep -c '^average rate: ' hz.out)" = 3 ] || { echo "hz --duration 3 should print three windows"; exit 1; }
wait "$runner"
