#!/usr/bin/env bash
# Runs every fuzz target built in BUILD_DIR/bin for SECONDS each, JOBS at a time, starting from
# the seeds in tests/fuzz/corpus/<target>/ (never modified: new inputs go to BUILD_DIR/fuzz-corpus).
# A crashing input is written to BUILD_DIR/fuzz-artifacts/; the script then fails after printing
# the target's log. Usage: tests/fuzz/run_fuzzers.sh BUILD_DIR [SECONDS=60] [JOBS=2]
set -euo pipefail
build=$(cd "$1" && pwd)
seconds=${2:-60}
jobs=${3:-2}
seeds=$(cd "$(dirname "$0")" && pwd)/corpus
mkdir -p "$build/fuzz-artifacts" "$build/fuzz-logs"

run_one() {
  local binary=$1 target=${1##*/fuzz_}
  mkdir -p "$build/fuzz-corpus/$target"
  # 2 GB of RSS at most, and no single allocation over 256 MB: a header that lies about a size
  # must not make a reader allocate it. -timeout catches hangs (a slow input is a bug too).
  if "$binary" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=256 -timeout=10 -print_final_stats=1 \
       -artifact_prefix="$build/fuzz-artifacts/$target-" "$build/fuzz-corpus/$target" "$seeds/$target" \
       > "$build/fuzz-logs/$target.log" 2>&1; then
    echo "fuzz_$target: ok, $(grep -o 'number_of_executed_units: *[0-9]*' "$build/fuzz-logs/$target.log" | grep -o '[0-9]*$') runs," \
         "$(grep -o 'average_exec_per_sec: *[0-9]*' "$build/fuzz-logs/$target.log" | grep -o '[0-9]*$') exec/s"
  else
    echo "fuzz_$target: FAILED"
    tail -n 60 "$build/fuzz-logs/$target.log"
    return 1
  fi
}
export -f run_one
export build seconds seeds

ls "$build"/bin/fuzz_* | xargs -P "$jobs" -I{} bash -c 'run_one {}'
