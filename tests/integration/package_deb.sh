#!/bin/sh
# `make package`'s script builds the Debian packages; their dependencies come
# from dpkg-shlibdeps (the plugins too), and the host unpacked from the .deb
# finds its plugins in the multiarch directory.
set -eu
source_dir="$1"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$source_dir/tools/build-packages.sh" "$source_dir" "$work/build" > "$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
runtime=$(ls "$work"/build/pylabhub_*_*.deb)
dev=$(ls "$work"/build/pylabhub-dev_*_*.deb)
depends=$(dpkg-deb --field "$runtime" Depends)
echo "pylabhub depends: $depends"
for lib in libzmq5 libsodium23 libyaml-cpp libxxhash0; do
  echo "$depends" | grep -q "$lib" || { echo "missing dependency $lib"; exit 1; }
done
dpkg-deb --field "$dev" Depends | grep -q '^pylabhub (= ' || { echo "pylabhub-dev must depend on pylabhub of its version"; exit 1; }
dpkg-deb -c "$dev" | grep -q 'usr/include/pylabhub/plugin_abi.h'
dpkg-deb -c "$dev" | grep -q 'pylabhubConfig.cmake'
mkdir "$work/root"
dpkg -x "$runtime" "$work/root"
plugins=$(ls -d "$work"/root/usr/lib/*/pylabhub/plugins)
out=$("$work/root/usr/bin/pylabhub" inspect)
echo "$out" | tail -1
echo "$out" | grep -q "plugins from .* files in: $plugins" || { echo "$out"; exit 1; }
echo "$out" | grep -Eq 'transport +zmq '
[ -f "$work/root/usr/share/pylabhub/configs/quickstart.yaml" ]
[ -f "$work/root/usr/lib/systemd/system/pylabhub@.service" ] || [ -f "$work/root/lib/systemd/system/pylabhub@.service" ] || {
  echo "the service unit is not in the package"; exit 1; }
echo "packages: OK"
