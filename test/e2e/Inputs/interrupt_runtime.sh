#!/usr/bin/env bash
# interrupt_runtime.sh DIR OUT RUNS COMMAND...: COMMAND writes DIR/OUT.
# It runs once whole (the reference), then RUNS times killed at a random
# point of its run time, alternately with SIGTERM and SIGKILL, over an old
# complete file. After each kill DIR/OUT is the old file, the new one or
# absent, never torn; after SIGTERM the run left no temporary (the handler
# removed it); a SIGKILLed run may leave one, which the next run to write
# removes. SIGINT, which a background job ignores, must not stop or harm
# the run. Last, one whole run: the new file and no temporary.
set -u
dir=$1 out=$2 runs=$3
shift 3
target=$dir/$out
temporaries() { ls -A "$dir" | grep -e '\.kiln-tmp-'; }

start=$(date +%s%N)
"$@" >/dev/null || { echo "the reference run failed"; exit 1; }
span=$((($(date +%s%N) - start) / 1000000)) # milliseconds
mv "$target" "$dir/reference"
echo old > "$dir/old"

for run in $(seq 1 "$runs"); do
  sig=TERM
  [ $((run % 2)) -eq 0 ] && sig=KILL
  [ $((run % 3)) -eq 0 ] && cp "$dir/old" "$target"
  delay=$((RANDOM % (span + 1)))
  "$@" >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  kill -s "$sig" "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if [ -e "$target" ] && ! cmp -s "$target" "$dir/reference" &&
     ! cmp -s "$target" "$dir/old"; then
    echo "torn output after SIG$sig at ${delay} ms"; exit 1
  fi
  # (Those of an earlier SIGKILL stay until a run gets as far as writing.)
  if [ "$sig" = TERM ] && temporaries | grep -q -e "-tmp-$pid-"; then
    echo "temporaries left after SIGTERM at ${delay} ms: $(temporaries)"
    exit 1
  fi
done

# A background job ignores SIGINT (and so keeps its temporaries through it).
"$@" >/dev/null 2>&1 &
pid=$!
sleep "$(printf '%d.%03d' $((span / 2000)) $((span / 2 % 1000)))"
kill -s INT "$pid" 2>/dev/null
wait "$pid" || { echo "an ignored SIGINT stopped the run"; exit 1; }
cmp -s "$target" "$dir/reference" || { echo "wrong output after SIGINT"; exit 1; }

rm -f "$target"
"$@" >/dev/null || { echo "the last run failed"; exit 1; }
cmp -s "$target" "$dir/reference" || { echo "the last run's output differs"; exit 1; }
if [ -n "$(temporaries)" ]; then
  echo "temporaries left after a whole run: $(temporaries)"; exit 1
fi
echo "interrupted writes of $out: whole or absent, no temporaries"
