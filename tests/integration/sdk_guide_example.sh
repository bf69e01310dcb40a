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
