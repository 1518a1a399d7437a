#!/usr/bin/env bash
# interrupt_compile.sh KILN MODEL DIR: compiles MODEL to DIR/out, killed with
# SIGTERM or SIGINT at increasing delays; after each run the output is either
# absent or a complete executable (it runs), and nothing else is in DIR and
# no kiln-model temporary is left in TMPDIR.
set -u
kiln=$1 model=$2 dir=$3
export TMPDIR=$dir/tmp
mkdir -p "$TMPDIR"
for delay in 0.05 0.15 0.3 0.5 0.8; do
  for sig in TERM INT; do
    rm -f "$dir/out"
    "$kiln" compile "$model" -o "$dir/out" 2>/dev/null &
    pid=$!
    sleep "$delay"
    kill -s "$sig" "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ -e "$dir/out" ] && ! "$dir/out" info >/dev/null 2>&1; then
      echo "torn output after SIG$sig at ${delay}s"; exit 1
    fi
    left=$(ls -A "$dir" | grep -v -x -e out -e tmp)
    if [ -n "$left" ] || [ -n "$(ls -A "$TMPDIR")" ]; then
      echo "temporaries left after SIG$sig at ${delay}s: $left $(ls -A "$TMPDIR")"
      exit 1
    fi
  done
done
echo "interrupted compiles: outputs whole or absent, no temporaries"
