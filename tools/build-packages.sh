#!/bin/sh
# Builds the Debian packages (pylabhub, pylabhub-dev) in BUILD_DIR from
# SOURCE_DIR: configured for /usr (multiarch plugin directory), without the
# test suite and benchmarks; the .deb files land in BUILD_DIR.
set -eu
source_dir="${1:-.}"; build_dir="${2:-build-package}"
cmake -S "$source_dir" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  -DPYLABHUB_BUILD_TESTS=OFF -DPYLABHUB_BUILD_BENCH=OFF > /dev/null
cmake --build "$build_dir" -j "$(nproc 2>/dev/null || echo 2)"
(cd "$build_dir" && cpack -G DEB > cpack.log) || { cat "$build_dir/cpack.log"; exit 1; }
ls "$build_dir"/*.deb
