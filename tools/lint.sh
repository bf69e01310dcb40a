#!/usr/bin/env bash
# make lint: formatting (clang-format, .clang-format) and static checks
# (clang-tidy, .clang-tidy) on the tree. Exits non-zero on any finding.
#   tools/lint.sh SRC BUILD [format]
# With `format` only the formatting is checked (what the test suite runs).
set -euo pipefail
src="$(cd "$1" && pwd)"
build="$2"
only="${3:-}"
cd "$src"

# The tracked sources (a tree without git: every source outside build trees).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  list() { git ls-files '*.c' '*.h' '*.cpp' '*.hpp'; }
else
  list() { find . \( -name 'build*' -prune \) -o -type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.hpp' \) -print | sed 's|^\./||'; }
fi
# The frozen ABI snapshots stay byte for byte as released.
mapfile -t files < <(list | grep -v -e '^tests/abi/v1_0/' -e '^tests/abi/v1_1/')
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]} > 0)); then
  echo "lint: ${#bad[@]} file(s) not formatted (clang-format -i FILE fixes it):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "lint: ${#files[@]} files formatted"
[[ "$only" == "format" ]] && exit 0

[[ -f "$build/compile_commands.json" ]] || { echo "lint: $build/compile_commands.json is missing: configure first (make build)"; exit 2; }
# The host, the framework and the plugins (tests and benchmarks are held to the formatter only).
run-clang-tidy -p "$build" -j "$(nproc)" -quiet "^$src/(framework|host|plugins)/.*\.(c|cpp)\$" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' > "$build/clang-tidy.log" || true
if grep -E ': (warning|error): ' "$build/clang-tidy.log" > "$build/clang-tidy.findings"; then
  echo "lint: clang-tidy findings ($build/clang-tidy.log):"
  sort -u "$build/clang-tidy.findings"
  exit 1
fi
echo "lint: clang-tidy clean"
