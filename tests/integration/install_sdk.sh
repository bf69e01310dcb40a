#!/bin/sh
# cmake --install into a temporary prefix, then, outside the source tree:
# the installed host finds its plugins, a plugin project builds against the
# installed SDK with find_package(pylabhub 1.1) and runs in a pipeline, a
# request for an incompatible major fails cleanly, and pkg-config works.
set -eu
build_dir="$1"; source_dir="$2"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
prefix="$work/usr"
cmake --install "$build_dir" --prefix "$prefix" > "$work/install.log"
pylabhub="$prefix/bin/pylabhub"
"$pylabhub" --version | grep -Eq '^pylabhub 1\.1\.[0-9]+ \(plugin ABI 1\.1, commit ([0-9a-f]+(-dirty)?|unknown)\)$'
"$pylabhub" inspect | grep -Eq 'transport +zmq ' || { "$pylabhub" inspect; echo "the installed host does not find its plugins"; exit 1; }
# Test plugins are never installed with the built-in ones.
if find "$prefix" -name 'fails_after.so' -o -name 'zone_plugins.so' | grep -q .; then echo "a test plugin was installed"; exit 1; fi

mkdir "$work/plugin"
cp "$source_dir/examples/plugins/my_thermometer.cpp" "$work/plugin/"
cat > "$work/plugin/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(thermometer CXX)
find_package(pylabhub 1.1 REQUIRED)
pylabhub_add_plugin(thermometer my_thermometer.cpp)
CMAKE
cmake -S "$work/plugin" -B "$work/plugin/build" -DCMAKE_PREFIX_PATH="$prefix" > "$work/configure.log"
cmake --build "$work/plugin/build" > "$work/build.log"
exports=$(nm -D --defined-only "$work/plugin/build/thermometer.so" | awk '{print $3}')
[ "$exports" = "plh_plugin_entry" ] || { echo "exports: $exports"; exit 1; }
"$pylabhub" inspect --plugin-path "$work/plugin/build" thermometer | grep -q '^thermometer (producer) 1.0.0$'

cd "$work"
export XDG_RUNTIME_DIR="$work"
cat > run.yaml <<YAML
pipeline: installed
plugin_path: $work/plugin/build
channels:
  installed_$$: {slots: 16, slot_bytes: 64, sync: single_reader}
producers:
  thermo: {plugin: thermometer, channel: installed_$$, config: {sensor: /dev/null, rate_hz: 100}}
consumers:
  rec: {plugin: recorder, inputs: [installed_$$], config: {path: $work/t.plhrec}}
YAML
"$pylabhub" run run.yaml --duration 1 > run.log 2>&1 || { cat run.log; exit 1; }
"$pylabhub" verify "$work/t.plhrec" | grep -q '^OK$'

# `pylabhub new-plugin`: each kind's project builds against the installed
# SDK unchanged, loads, and its own pipeline runs.
for kind in producer consumer processor transport; do
  name="my_$kind"
  "$pylabhub" new-plugin "$name" --kind "$kind" --dir "$work/new/$kind" > "$work/new-$kind.log"
  cmake -S "$work/new/$kind" -B "$work/new/$kind/build" -DCMAKE_PREFIX_PATH="$prefix" > "$work/new-$kind-configure.log"
  cmake --build "$work/new/$kind/build" > "$work/new-$kind-build.log" 2>&1 || { cat "$work/new-$kind-build.log"; exit 1; }
  "$pylabhub" inspect --plugin-path "$work/new/$kind/build" "$name" | grep -q "^$name ($kind) 0.1.0$"
  cd "$work/new/$kind"
  # Channel names are machine-wide: this run's own.
  sed -i "s/${name}_\(in\|out\|a\|b\):/${name}_\1_$$:/; s/${name}_\(in\|out\|a\|b\)\([],]\)/${name}_\1_$$\2/g" *.yaml
  if [ "$kind" = transport ]; then
    "$pylabhub" run "${name}_send.yaml" > run.log 2>&1 || { cat run.log; exit 1; }
    "$pylabhub" run "${name}_receive.yaml" > run.log 2>&1 || { cat run.log; exit 1; }
    [ "$("$pylabhub" dump "$name.plhrec" --csv | tail -n +2 | wc -l)" = 2000 ] || { cat run.log; echo "transport: not 2000 records"; exit 1; }
  else
    "$pylabhub" run "$name.yaml" --duration 1 > run.log 2>&1 || { cat run.log; exit 1; }
  fi
  cd "$work"
done
# Not into a directory that has something in it, unless asked.
if "$pylabhub" new-plugin my_producer --kind producer --dir "$work/new/producer" > /dev/null 2> "$work/refused.log"; then
  echo "new-plugin wrote into a non-empty directory"; exit 1
fi
grep -q 'is not empty' "$work/refused.log"
"$pylabhub" new-plugin my_producer --kind producer --dir "$work/new/producer" --force > /dev/null
if "$pylabhub" new-plugin Bad-Name --kind producer --dir "$work/bad" 2> "$work/bad.log"; then echo "a bad name was taken"; exit 1; fi
grep -q "must be 1..64 of a-z" "$work/bad.log"

# An incompatible major is refused by find_package itself.
mkdir "$work/v2"
cat > "$work/v2/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(v2 CXX)
find_package(pylabhub 2.0 REQUIRED)
CMAKE
if cmake -S "$work/v2" -B "$work/v2/build" -DCMAKE_PREFIX_PATH="$prefix" > "$work/v2.log" 2>&1; then
  echo "find_package(pylabhub 2.0) should fail"; exit 1
fi
grep -q 'version: 1.1.0' "$work/v2.log" || { cat "$work/v2.log"; exit 1; }

# pkg-config, from wherever the tree was installed.
cflags=$(PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name pylabhub-sdk.pc)") pkg-config --cflags pylabhub-sdk)
echo "$cflags" | grep -q -- "-I.*/include" || { echo "cflags: $cflags"; exit 1; }
incdir=$(echo "$cflags" | sed -E 's/.*-I([^ ]+).*/\1/')
[ -f "$incdir/pylabhub/plugin_abi.h" ] || { echo "pkg-config include dir $incdir has no plugin_abi.h"; exit 1; }
echo "installed SDK: OK"
