#!/usr/bin/env python3
"""Scaling of embedkit's Word2Vec trainers: threads and corpus size, in one run.

1. Threads: the same training on gutenberg100m with --threads 1 and --threads 2 (skip-gram and
   CBOW), alternately, --repeat times each; prints the medians and their ratio (issue 8 asks for
   at least 1.8x from 1 to 2 threads). Alternating runs matter: on a shared virtual machine the
   same run varies by 10-20% from one minute to the next.
2. Corpus size: skip-gram with 2 threads on text8-prefix, gutenberg100m and gutenberg100m
   concatenated 3 times (the copies separated by a line break, written to WORK and removed at the
   end); prints wall time, tokens and seconds per million tokens trained (issue 8 asks for cost
   linear in corpus size). The concatenation keeps more words at min-count 5 (a word seen twice in
   gutenberg100m is seen 6 times), so a last row trains it with min-count 15, which keeps
   gutenberg100m's own vocabulary.

Settings as benchmarks/word2vec_vs_references.py: dim 100, window 5, negative 5, sample 1e-4,
min-count 5, 5 epochs. Wall time and peak RSS of the whole process from /usr/bin/time -v.

    /usr/bin/python3 benchmarks/speed_scaling.py --work /tmp/scaling [--embedkit build/bin/embedkit]
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SETTINGS = ["--dim", "100", "--window", "5", "--negative", "5", "--sample", "1e-4", "--epochs", "5"]


def train(embedkit, model, corpus, threads, min_count, work):
    """One training; returns wall seconds, peak RSS MiB, tokens in the vocabulary and vocabulary size."""
    out = work / "scaling.vec"
    lr = "0.025" if model == "skipgram" else "0.05"
    cmd = ["/usr/bin/time", "-v", str(embedkit), "train", "--model", model, "--input", str(corpus), "--output",
           str(out), *SETTINGS, "--lr", lr, "--min-count", str(min_count), "--threads", str(threads)]
    print(f"running {' '.join(cmd[2:])}", file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = proc.stderr
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{log[-3000:]}")
    out.unlink()
    wall = 0.0
    for part in re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", log).group(1).split(":"):
        wall = wall * 60 + float(part)
    summary = re.search(r"corpus: (\d+) tokens \((\d+) in the vocabulary\); vocabulary: (\d+) words", log)
    return {
        "model": model, "corpus": corpus.name, "threads": threads, "min_count": min_count, "seconds": wall,
        "rss_mib": int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", log).group(1)) / 1024,
        "tokens": int(summary.group(2)), "words": int(summary.group(3)),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", required=True, help="scratch directory (outside the repository)")
    ap.add_argument("--gutenberg", default=None, help="the unpacked gutenberg100m (default: WORK/gutenberg100m, "
                    "unpacked from ../shared/data/gutenberg100m.xz)")
    ap.add_argument("--embedkit", default=str(ROOT / "build" / "bin" / "embedkit"))
    ap.add_argument("--repeat", type=int, default=3, help="runs of each thread count (alternating)")
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    work = pathlib.Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    gutenberg = pathlib.Path(args.gutenberg) if args.gutenberg else work / "gutenberg100m"
    if not gutenberg.exists():
        with open(str(gutenberg) + ".part", "wb") as out:
            subprocess.run(["xz", "-dc", str(DATA / "gutenberg100m.xz")], stdout=out, check=True)
        os.rename(str(gutenberg) + ".part", gutenberg)
    triple = work / "gutenberg100m-x3"
    with open(triple, "wb") as out:
        for _ in range(3):
            with open(gutenberg, "rb") as part:
                shutil.copyfileobj(part, out, 1 << 24)
            out.write(b"\n")
    rows = []
    try:
        threads = [train(args.embedkit, m, gutenberg, t, 5, work)
                   for m in ("skipgram", "cbow") for _ in range(args.repeat) for t in (1, 2)]
        sizes = [train(args.embedkit, "skipgram", c, 2, 5, work) for c in (DATA / "text8-prefix", gutenberg, triple)]
        sizes.append(train(args.embedkit, "skipgram", triple, 2, 15, work))
        rows = threads + sizes
    finally:
        triple.unlink(missing_ok=True)

    print(f"\nthreads (gutenberg100m, 5 epochs; medians of {args.repeat} alternating runs, each run in brackets):\n")
    print("| model | 1 thread s | 2 threads s | speed-up |")
    print("|---|---:|---:|---:|")
    for model in ("skipgram", "cbow"):
        one, two = ([r["seconds"] for r in threads if r["model"] == model and r["threads"] == t] for t in (1, 2))
        speedup = statistics.median(one) / statistics.median(two)
        runs = lambda xs: ", ".join(f"{x:.1f}" for x in xs)
        print(f"| {model} | {statistics.median(one):.1f} ({runs(one)}) | {statistics.median(two):.1f} ({runs(two)}) | "
              f"{speedup:.2f}x ({'ok' if speedup >= 1.8 else 'below'} 1.8x) |")
    print("\ncorpus size (skip-gram, 2 threads, 5 epochs):\n")
    print("| corpus | min-count | tokens trained per epoch | vocabulary | wall s | s per million tokens | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in sizes:
        print(f"| {r['corpus']} | {r['min_count']} | {r['tokens']:,} | {r['words']:,} | {r['seconds']:.1f} | "
              f"{r['seconds'] / (r['tokens'] / 1e6):.2f} | {r['rss_mib']:.0f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
