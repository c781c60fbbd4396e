#!/usr/bin/env python3
"""Bounded memory at scale: peak RSS of `embedkit train --model skipgram` on a corpus and on the
same corpus concatenated N times, and what streaming the corpus costs in time.

Issue 9 asks that training skip-gram on gutenberg100m concatenated 5 times (500 MB), streamed
from disk, keep peak RSS within 1.2x of the same run on gutenberg100m. This script:

1. creates WORK/<corpus>-x<N> (the copies separated by a line break; WORK must be outside the
   repository, the file is removed at the end unless --keep),
2. runs the same command on both (dim 100, window 5, negative 5, sample 1e-4, min-count 5,
   2 threads, 1 epoch: peak memory does not depend on the number of epochs), with embedkit's
   default corpus storage (in memory below 256 MiB of ids, streamed above), then both streamed
   (--stream), then the concatenation with min-count 5N, which keeps the base run's vocabulary
   (in the concatenation a word seen once in the base corpus occurs N times and passes
   min-count N), and with --also-in-memory the concatenation held in memory as before streaming,
3. prints peak RSS (`/usr/bin/time -v`, Maximum resident set size) and the ratios,
4. times --in-memory against --stream on the base corpus, alternately, --repeat times each.

    /usr/bin/python3 benchmarks/bounded_memory.py --corpus ../shared/data/gutenberg100m --work /tmp/bm

(gutenberg100m ships as ../shared/data/gutenberg100m.xz: unpack it first with `xz -dk`.)
Exits with status 1 when the same-command ratio exceeds --limit (1.2).
"""

import argparse
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FLAGS = ["--model", "skipgram", "--dim", "100", "--window", "5", "--negative", "5", "--sample", "1e-4",
         "--threads", "2"]


def run(embedkit, corpus, work, extra, epochs):
    """Runs one training; returns its peak RSS (MiB), wall and CPU seconds, vocabulary size and storage."""
    out = work / "bounded-memory.vec"
    command = ["/usr/bin/time", "-v", str(embedkit), "train", *FLAGS, "--epochs", str(epochs), "--input", str(corpus),
               "--output", str(out), "--temp-dir", str(work), *extra]
    result = subprocess.run(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    log = result.stderr
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n{log[-3000:]}")
    out.unlink()

    def field(name):
        return re.search(re.escape(name) + r":\s*(\S+)", log).group(1)

    wall = 0.0
    for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
        wall = wall * 60 + float(part)
    return {
        "rss_mib": int(field("Maximum resident set size (kbytes)")) / 1024,
        "wall": wall,
        "cpu": float(field("User time (seconds)")) + float(field("System time (seconds)")),
        "words": int(re.search(r"vocabulary: (\d+) words", log).group(1)),
        "storage": "streamed" if "streamed from a temporary file" in log else "in memory",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "data" / "gutenberg100m"))
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--work", required=True, help="scratch directory for the concatenation and temporary files")
    parser.add_argument("--embedkit", default=str(ROOT / "build" / "bin" / "embedkit"))
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="timing runs of each path on the base corpus")
    parser.add_argument("--limit", type=float, default=1.2)
    parser.add_argument("--also-in-memory", action="store_true", help="also run the concatenation with --in-memory")
    parser.add_argument("--keep", action="store_true", help="keep the concatenation")
    args = parser.parse_args()

    corpus = pathlib.Path(args.corpus).resolve()
    work = pathlib.Path(args.work).resolve()
    if not corpus.is_file():
        sys.exit(f"{corpus}: not found (gutenberg100m: xz -dk ../shared/data/gutenberg100m.xz)")
    if work == ROOT or ROOT in work.parents:
        sys.exit(f"{work}: the scratch directory must be outside the repository")
    work.mkdir(parents=True, exist_ok=True)
    big = work / f"{corpus.name}-x{args.copies}"
    if not big.exists() or big.stat().st_size != args.copies * (corpus.stat().st_size + 1):
        with open(big, "wb") as out:
            for _ in range(args.copies):
                with open(corpus, "rb") as part:
                    shutil.copyfileobj(part, out, 1 << 24)
                out.write(b"\n")
    try:
        n = args.copies
        runs = [
            (f"{corpus.name}", corpus, []),
            (f"{corpus.name} --stream", corpus, ["--stream"]),
            (f"{big.name}", big, []),
            (f"{big.name} --stream", big, ["--stream"]),
            (f"{big.name} --min-count {5 * n}", big, ["--min-count", str(5 * n)]),
        ]
        if args.also_in_memory:
            runs.append((f"{big.name} --in-memory", big, ["--in-memory"]))
        results = {}
        print(f"embedkit train {' '.join(FLAGS)} --epochs {args.epochs} --min-count 5 unless said otherwise")
        print(f"| input and flags | corpus | vocabulary | peak RSS MiB | wall s |")
        print(f"|---|---|---:|---:|---:|")
        for name, path, extra in runs:
            extra = extra if "--min-count" in extra else extra + ["--min-count", "5"]
            r = run(args.embedkit, path, work, extra, args.epochs)
            results[name] = r
            print(f"| `{name}` | {r['storage']} | {r['words']:,} | {r['rss_mib']:.0f} | {r['wall']:.1f} |", flush=True)

        def ratio(a, b):
            return results[a]["rss_mib"] / results[b]["rss_mib"]

        same = ratio(big.name, corpus.name)
        print(f"\npeak RSS x{n} / x1, same command (default storage): {same:.2f} (limit {args.limit})")
        print(f"peak RSS x{n} / x1, both --stream: {ratio(big.name + ' --stream', corpus.name + ' --stream'):.2f}")
        print(f"peak RSS x{n} with min-count {5 * n} (the x1 vocabulary) / x1 --stream: "
              f"{ratio(f'{big.name} --min-count {5 * n}', corpus.name + ' --stream'):.2f}")

        timing = {"in memory": [], "streamed": []}
        for _ in range(args.repeat):
            for label, flag in (("in memory", "--in-memory"), ("streamed", "--stream")):
                timing[label].append(run(args.embedkit, corpus, work, [flag, "--min-count", "5"], args.epochs))
        print(f"\ntime on {corpus.name}, {args.repeat} alternating runs each, medians:")
        for label, rs in timing.items():
            walls = ", ".join(f"{r['wall']:.1f}" for r in rs)
            print(f"  {label}: wall {statistics.median(r['wall'] for r in rs):.1f} s (runs: {walls}), "
                  f"CPU {statistics.median(r['cpu'] for r in rs):.1f} s")
        for key in ("wall", "cpu"):
            streamed = statistics.median(r[key] for r in timing["streamed"])
            memory = statistics.median(r[key] for r in timing["in memory"])
            print(f"  streamed / in memory, {key}: {streamed / memory:.3f}")
        return 0 if same <= args.limit else 1
    finally:
        if not args.keep:
            big.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
