#!/bin/sh
# Runs after the suite: any /dev/shm/plh.test.* left means a test leaked a
# segment. Remove them so the next run starts clean, and fail loudly.
left=$(ls /dev/shm 2>/dev/null | grep '^plh\.test\.' || true)
[ -z "$left" ] && { echo "no test segments left in /dev/shm"; exit 0; }
echo "test segments left in /dev/shm (removed now):"
for name in $left; do echo "  /dev/shm/$name"; rm -f "/dev/shm/$name"; done
exit 1
