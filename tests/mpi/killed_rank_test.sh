#!/bin/bash
# A rank killed with SIGKILL in the middle of `mpirun -np 2 embedkit train` ends the whole job
# within 30 seconds with a non-zero status and a message naming the lost rank, leaves no output
# file, and the last checkpoint still resumes (on 2 ranks) to a complete output.
#
# usage: killed_rank_test.sh MPIEXEC EMBEDKIT [mpiexec flags...]
# Processes are found and ended by their process id only.
set -u
mpiexec=$1
embedkit=$2
shift 2
flags=("$@")
dir=$(mktemp -d)
job=""
cleanup() {
    [ -n "$job" ] && kill -9 "$job" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
fail() {
    echo "FAILED: $*"
    [ -f "$dir/job.log" ] && sed 's/^/  job: /' "$dir/job.log" | tail -20
    exit 1
}

# About 1.2 million words of Zipf-like text in lines: a few seconds of training per rank.
awk 'BEGIN { srand(5); for (l = 0; l < 40000; ++l) { n = 1 + int(rand() * 60); line = "";
       for (i = 0; i < n; ++i) line = line (i ? " " : "") "w" int(3000 * rand() * rand());
       print line } }' > "$dir/corpus.txt"

train=(train --model skipgram --input "$dir/corpus.txt" --output "$dir/vectors.vec" --dim 32 --epochs 20
       --threads 1 --sync-words 100000 --checkpoint "$dir/run.ckpt" --checkpoint-every 0.5)
"$mpiexec" "${flags[@]}" -np 2 "$embedkit" "${train[@]}" > "$dir/job.log" 2>&1 &
job=$!

# The process ids whose parent is $1, from /proc (no procps needed).
children_of() {
    local stat
    for stat in /proc/[0-9]*/stat; do
        # Fields after the command name in parentheses: state, then the parent's id.
        [ "$(sed 's/.*) //' "$stat" 2>/dev/null | cut -d' ' -f2)" = "$1" ] && basename "$(dirname "$stat")"
    done
}

# Rank 1: the child of mpirun whose environment says OMPI_COMM_WORLD_RANK=1.
rank1=""
for _ in $(seq 1 200); do
    if [ -z "$rank1" ]; then
        for pid in $(children_of "$job"); do
            if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1'; then rank1=$pid; fi
        done
    fi
    [ -n "$rank1" ] && [ -f "$dir/run.ckpt" ] && break
    sleep 0.05
done
[ -n "$rank1" ] || fail "rank 1 of the job (mpirun pid $job) was not found"
[ -f "$dir/run.ckpt" ] || fail "no checkpoint appeared within 10 s"
kill -0 "$job" 2>/dev/null || fail "the job ended before rank 1 could be killed (the corpus trains too fast)"

kill -9 "$rank1"
killed_at=$(date +%s.%N)
wait "$job"
status=$?
job=""
ended_in=$(awk -v a="$killed_at" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "killed rank 1 (pid $rank1); mpirun ended with status $status after ${ended_in} s"
[ "$status" -ne 0 ] || fail "the job ended with status 0 after a rank was killed"
awk -v t="$ended_in" 'BEGIN { exit !(t < 30) }' || fail "the job took ${ended_in} s to end (limit 30 s)"
grep -q "rank 1" "$dir/job.log" || fail "no message names rank 1"
grep "rank 1" "$dir/job.log" | head -1 | sed 's/^/message: /'
[ ! -e "$dir/vectors.vec" ] || fail "a partial output file was left"
ls "$dir" | grep -q '\.tmp' && fail "a temporary file was left: $(ls "$dir")"

# The last checkpoint resumes on 2 ranks and the run completes.
"$mpiexec" "${flags[@]}" -np 2 "$embedkit" train --resume "$dir/run.ckpt" --input "$dir/corpus.txt" \
    --output "$dir/vectors.vec" -q > "$dir/job.log" 2>&1 || fail "resuming the last checkpoint failed"
lines=$(wc -l < "$dir/vectors.vec")
[ "$lines" -gt 1000 ] || fail "the resumed run wrote $lines lines"
echo "the last checkpoint resumed: $lines lines written"
echo "killed rank: passed"
