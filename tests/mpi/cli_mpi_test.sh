#!/bin/bash
# `mpirun -np N embedkit train` end to end: the output has the format and vocabulary of a
# one-process run and is written once; reruns give the same bytes, and so does --stream; skip-gram, CBOW and fastText
# run; bad input (a missing file, standard input, a checkpoint of another rank count) stops every
# rank with a message naming it.
#
# usage: cli_mpi_test.sh RANKS MPIEXEC EMBEDKIT [mpiexec flags...]
set -u
ranks=$1
mpiexec=$2
embedkit=$3
shift 3
flags=("$@")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0
fail() {
    echo "FAILED: $*"
    failures=$((failures + 1))
}
run() { "$mpiexec" "${flags[@]}" -np "$ranks" "$embedkit" "$@"; }

awk 'BEGIN { srand(9); for (l = 0; l < 3000; ++l) { n = 1 + int(rand() * 40); line = "";
       for (i = 0; i < n; ++i) line = line (i ? " " : "") "w" int(800 * rand() * rand());
       print line } }' > "$dir/corpus.txt"
common=(--input "$dir/corpus.txt" --dim 16 --epochs 2 --threads 1 --min-count 2 --sync-words 10000 -q)

# The same header and words, in the same order, as one process; written once.
"$embedkit" train --model skipgram "${common[@]}" --output "$dir/alone.vec" || fail "the one-process run failed"
run train --model skipgram "${common[@]}" --output "$dir/ranks.vec" || fail "the $ranks-rank run failed"
[ "$(head -1 "$dir/alone.vec")" = "$(head -1 "$dir/ranks.vec")" ] ||
    fail "headers differ: '$(head -1 "$dir/alone.vec")' alone, '$(head -1 "$dir/ranks.vec")' on $ranks ranks"
cmp -s <(cut -d' ' -f1 "$dir/alone.vec") <(cut -d' ' -f1 "$dir/ranks.vec") || fail "the words differ from a one-process run"
run train --model skipgram "${common[@]}" --output "$dir/again.vec" || fail "the rerun failed"
cmp -s "$dir/ranks.vec" "$dir/again.vec" || fail "a rerun on $ranks ranks wrote other bytes"
# --stream: each rank encodes its part into a temporary file and trains from it, to the same bits.
run train --model skipgram "${common[@]}" --stream --temp-dir "$dir" --output "$dir/streamed.vec" || fail "--stream failed"
cmp -s "$dir/ranks.vec" "$dir/streamed.vec" || fail "--stream on $ranks ranks wrote other bytes than in memory"
[ -z "$(ls "$dir" | grep -v '\.vec$\|corpus.txt')" ] || fail "files left behind: $(ls "$dir")"

for model in cbow fasttext fasttext-cbow; do
    run train --model "$model" "${common[@]}" --output "$dir/$model.vec" || fail "--model $model on $ranks ranks failed"
    [ "$(head -1 "$dir/$model.vec")" = "$(head -1 "$dir/alone.vec")" ] || fail "--model $model: header $(head -1 "$dir/$model.vec")"
done

# Bad input stops every rank, and says what.
run train --model skipgram --input "$dir/missing.txt" --output "$dir/x.vec" -q > "$dir/err.log" 2>&1 &&
    fail "a missing input succeeded"
grep -q "missing.txt" "$dir/err.log" || fail "a missing input: no message names the file: $(head -3 "$dir/err.log")"
run train --model skipgram --input - --output "$dir/x.vec" -q < "$dir/corpus.txt" > "$dir/err.log" 2>&1 &&
    fail "--input - succeeded under mpirun"
grep -q "standard input cannot be split" "$dir/err.log" || fail "--input -: $(head -3 "$dir/err.log")"
run train --model skipgram "${common[@]}" --output "$dir/no-such-dir/x.vec" > "$dir/err.log" 2>&1 &&
    fail "an unwritable output succeeded"
grep -q "no-such-dir" "$dir/err.log" || fail "an unwritable output: $(head -3 "$dir/err.log")"
[ ! -e "$dir/x.vec" ] || fail "a failed run left an output"

# A checkpoint of a one-process run does not resume on N ranks (nor the other way round).
"$embedkit" train --model skipgram "${common[@]}" --output "$dir/a.vec" --checkpoint "$dir/alone.ckpt" \
    --checkpoint-every 0.001 || fail "a one-process run with --checkpoint failed"
if [ -f "$dir/alone.ckpt" ]; then
    run train --resume "$dir/alone.ckpt" --input "$dir/corpus.txt" --output "$dir/x.vec" -q > "$dir/err.log" 2>&1 &&
        fail "a one-process checkpoint resumed on $ranks ranks"
    grep -q "run on 1 process" "$dir/err.log" || fail "resuming on $ranks ranks: $(head -3 "$dir/err.log")"
fi

echo "cli under mpirun on $ranks ranks: $failures failed"
[ "$failures" -eq 0 ]
