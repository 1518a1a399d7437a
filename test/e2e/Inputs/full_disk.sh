#!/usr/bin/env bash
# full_disk.sh DIR OUT COMMAND...: COMMAND writes DIR/OUT, larger than the
# 64 KiB tmpfs mounted on DIR (in a private mount namespace, so only where
# this machine lets a user mount one; else the check says it was skipped).
# The write must fail with "cannot write '<DIR/OUT>': No space left on
# device" (exit 1), keep the old DIR/OUT and leave no temporary in DIR.
set -u
if [ "${1:-}" != --inside ]; then
  mkdir -p "$1"
  if ! why=$(unshare -rm true 2>&1); then
    echo "full disk: skipped (no private mount namespace: $why)"; exit 0
  fi
  exec unshare -rm bash "$0" --inside "$@"
fi
dir=$2 out=$3
shift 3
mount -t tmpfs -o size=64k tmpfs "$dir" ||
  { echo "full disk: skipped (cannot mount a tmpfs)"; exit 0; }
echo old > "$dir/$out"
"$@" > "$dir.log" 2>&1
code=$?
[ "$code" -eq 1 ] || { echo "exit $code, not 1: $(cat "$dir.log")"; exit 1; }
grep -q -F "cannot write '$dir/$out': No space left on device" "$dir.log" ||
  { echo "unclear error: $(cat "$dir.log")"; exit 1; }
[ "$(cat "$dir/$out")" = old ] || { echo "the old $out was lost"; exit 1; }
[ "$(ls -A "$dir")" = "$out" ] || { echo "left in $dir: $(ls -A "$dir")"; exit 1; }
echo "full disk: clear error, old file kept, no temporaries"
