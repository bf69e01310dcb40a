#!/bin/sh
# The packaged service unit passes `systemd-analyze verify` with nothing to
# say (it exits 0 even on warnings, so any output fails), with ExecStart
# pointed at the executable under test. Skipped (77) without systemd-analyze.
set -eu
source_dir="$1"; pylabhub="$2"
command -v systemd-analyze > /dev/null || { echo "no systemd-analyze here"; exit 77; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
sed "s|/usr/bin/pylabhub|$pylabhub|g" "$source_dir/packaging/systemd/pylabhub@.service" > "$work/pylabhub@demo.service"
said=$(systemd-analyze verify "$work/pylabhub@demo.service" 2>&1 || true)
if [ -n "$said" ]; then echo "$said"; exit 1; fi
grep -q '^ExecStart=.* run /etc/pylabhub/%i.yaml$' "$work/pylabhub@demo.service"
echo "unit: OK"
