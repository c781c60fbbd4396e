#!/usr/bin/env python3
"""GloVe across MPI ranks against one process, on one machine, in one run.

1. Counting: `embedkit cooccur` in one process (all cores) against `mpirun -np 2 embedkit cooccur`
   (one counting thread per rank) on the same corpus (default gutenberg100m, unpacked with
   `xz -dk` into a temporary directory, never into the repository), --min-count 5 --window 10:
   wall time, peak RSS of the largest process, and whether the two files are byte-identical.
2. Quality: `embedkit train --model glove` (--dim 100 --window 10 --epochs 15 --min-count 5) in one
   process against `mpirun -np 2` on text8-prefix, for each --seed; every output is scored by
   `embedkit eval --json` (questions-words analogies on the 30,000 most frequent words, WS353
   Spearman). Prints one table and the means.

Usage: /usr/bin/python3 benchmarks/distributed_glove.py [--count-corpus PATH|gutenberg100m]
       [--glove-corpus PATH|text8-prefix] [--seeds 1 2] [--ranks 2]
Needs build/bin/embedkit (Release, built with embedkit::mpi), mpirun and /usr/bin/time.
"""
import argparse
import os
import shutil
import subprocess
import tempfile

from distributed_common import DATA, EMBEDKIT, MPIRUN, corpus_path, evaluate, timed


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count-corpus", default="gutenberg100m")
    p.add_argument("--glove-corpus", default="text8-prefix")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    p.add_argument("--ranks", type=int, default=2)
    a = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="embedkit-distributed-glove-")
    try:
        with open("/proc/loadavg") as f:
            print(f"load average before: {' '.join(f.read().split()[:3])}; cores: {os.cpu_count()}")
        corpus = corpus_path(a.count_corpus, tmp)
        print(f"\n== counting: {a.count_corpus} ({os.path.getsize(corpus) / 1e6:.0f} MB), --min-count 5 --window 10")
        args = ["cooccur", "--input", corpus, "--min-count", "5", "--window", "10", "-q"]
        one = os.path.join(tmp, "one.bin")
        many = os.path.join(tmp, "many.bin")
        t1, r1 = timed([EMBEDKIT] + args + ["--output", one])
        tn, rn = timed(MPIRUN + ["-np", str(a.ranks), EMBEDKIT] + args + ["--output", many])
        same = subprocess.run(["cmp", "-s", one, many]).returncode == 0
        print(f"{'run':<28}{'seconds':>10}{'peak RSS MiB':>14}")
        print(f"{'1 process':<28}{t1:>10.1f}{r1:>14.0f}")
        print(f"{'mpirun -np ' + str(a.ranks):<28}{tn:>10.1f}{rn:>14.0f}")
        print(f"speed-up {t1 / tn:.2f}x; files byte-identical: {same} ({os.path.getsize(one) / 1e6:.0f} MB)")
        for f in (one, many):
            os.remove(f)

        corpus = corpus_path(a.glove_corpus, tmp)
        print(f"\n== GloVe quality: {a.glove_corpus}, --dim 100 --window 10 --epochs 15 --min-count 5")
        print(f"{'run':<28}{'seed':>5}{'seconds':>10}{'analogy':>10}{'WS353':>8}")
        means = {}
        for label, prefix in (("1 process", []), (f"mpirun -np {a.ranks}", MPIRUN + ["-np", str(a.ranks)])):
            scores = []
            for seed in a.seeds:
                out = os.path.join(tmp, "glove.vec")
                t, _ = timed(prefix + [EMBEDKIT, "train", "--model", "glove", "--input", corpus, "--output", out,
                                       "--dim", "100", "--window", "10", "--epochs", "15", "--min-count", "5",
                                       "--seed", str(seed), "-q"])
                acc, ws = evaluate(out)
                os.remove(out)
                scores.append((acc, ws, t))
                print(f"{label:<28}{seed:>5}{t:>10.1f}{100 * acc:>9.2f}%{ws:>8.3f}")
            means[label] = [sum(s[k] for s in scores) / len(scores) for k in range(3)]
        for label, (acc, ws, t) in means.items():
            print(f"mean {label:<23}{'':>5}{t:>10.1f}{100 * acc:>9.2f}%{ws:>8.3f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
