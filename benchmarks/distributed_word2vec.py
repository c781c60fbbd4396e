#!/usr/bin/env python3
"""Word2Vec, CBOW and fastText across MPI ranks against one process, side by side in one run.

Settings: dim 100, window 5, negative 5, sample 1e-4, min-count 5, 5 epochs, on gutenberg100m
(unpacked into a temporary directory, never into the repository). Every output is scored by
`embedkit eval --json` (questions-words on the 30,000 most frequent words, WS353 Spearman).

1. Speed, per model: 1 process x 1 thread, `mpirun -np 2` x 1 thread over shared memory, the same
   over TCP on loopback (--mca btl tcp,self --mca btl_tcp_if_include lo), and 1 process x 2
   threads. Ratios: (1 x 1) / (2 ranks) should be >= 1.8, (2 ranks) / (1 x 2) <= 1.15.
2. A slow network (--netns): the 2-rank skip-gram run over TCP inside a network namespace this
   script creates, whose loopback (MTU 1500, as Ethernet) is shaped to 1 Gbit/s (tc tbf rate 1gbit
   burst 64kb latency 50ms); the namespace is deleted at the end. Only that namespace is shaped: never the machine's own interfaces. Needs root, ip and tc.
3. Communication: rank 0's "ranks:" line (meetings, bytes sent, seconds in meetings, seconds
   merging) for every distributed run; bytes per meeting and per second of training.
4. Quality as ranks grow (--quality): skip-gram, 1 thread per rank, at 1 (one process), 2, 4 and
   8 ranks (oversubscribed on a small machine: quality does not depend on timing), for each seed.

Usage: /usr/bin/python3 benchmarks/distributed_word2vec.py [--corpus gutenberg100m] [--models skipgram cbow fasttext]
       [--netns] [--quality] [--seeds 1 2 3] [--quality-ranks 2 4 8] [--json FILE]
Needs build/bin/embedkit (Release, built with embedkit::mpi), mpirun and /usr/bin/time.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile

from distributed_common import EMBEDKIT, MPIRUN, corpus_path, evaluate, run_timed

SETTINGS = ["--dim", "100", "--window", "5", "--negative", "5", "--sample", "1e-4", "--min-count", "5",
            "--epochs", "5", "-q"]
ROWS = []        # every run so far, written to --json after each
JSON_PATH = None
TCP = ["--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo"]


def traffic(stderr):
    """Rank 0's figures of the meetings, from its "ranks:" line (None for one process)."""
    m = re.search(r"ranks: (\d+) met (\d+) times; rank 0 sent ([\d.]+) MiB .*?spent ([\d.]+) s in meetings, "
                  r"([\d.]+) s of it merging", stderr)
    if not m:
        return None
    ranks, meetings, mib, meeting_s, merge_s = m.groups()
    return {"ranks": int(ranks), "meetings": int(meetings), "mib_sent": float(mib),
            "meeting_seconds": float(meeting_s), "merge_seconds": float(merge_s)}


def train(tmp, corpus, model, threads, seed=1, prefix=(), label=""):
    out = os.path.join(tmp, "out.vec")
    cmd = list(prefix) + [EMBEDKIT, "train", "--model", model, "--input", corpus, "--output", out,
                          "--threads", str(threads), "--seed", str(seed)] + SETTINGS
    cmd = [c for c in cmd if c != "-q"]  # the corpus line and rank 0's "ranks:" line are wanted
    seconds, rss, stderr = run_timed(cmd)
    in_vocabulary = re.search(r"\((\d+) in the vocabulary\)", stderr)
    acc, ws = evaluate(out)
    os.remove(out)
    row = {"run": label, "model": model, "seed": seed, "seconds": seconds, "peak_rss_mib": rss,
           "analogy": acc, "ws353": ws, "traffic": traffic(stderr),
           "words": int(in_vocabulary.group(1)) * int(SETTINGS[SETTINGS.index("--epochs") + 1]) if in_vocabulary else None}
    t = row["traffic"]
    extra = ""
    if t:
        per_meeting = t["mib_sent"] / max(1, t["meetings"])
        extra = (f"  {t['meetings']} meetings, {per_meeting:.2f} MiB/meeting, {t['mib_sent'] / seconds:.1f} MiB/s, "
                 f"{t['meeting_seconds']:.1f} s in meetings ({t['merge_seconds']:.1f} s merging)")
    print(f"{label:<34}{model:<10}{seed:>5}{seconds:>9.1f}{100 * acc:>9.2f}%{ws:>8.3f}{extra}", flush=True)
    ROWS.append(row)
    if JSON_PATH:
        with open(JSON_PATH, "w") as f:
            json.dump(ROWS, f, indent=1)
    return row


class ShapedNamespace:
    """A network namespace of our own whose loopback is shaped to `rate`; deleted on exit."""

    def __init__(self, rate="1gbit"):
        self.name = f"embedkit-bench-{os.getpid()}"
        self.rate = rate

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        try:
            # A 1 Gbit/s Ethernet link's frame size: with loopback's own MTU (64 KiB) every packet
            # would exceed the 64 KiB burst and tbf would drop them all.
            self.run(["ip", "link", "set", "lo", "mtu", "1500", "up"])
            self.run(["tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", self.rate, "burst", "64kb",
                      "latency", "50ms"])
        except subprocess.CalledProcessError:
            self.__exit__(None, None, None)
            raise
        return self

    def run(self, cmd):
        subprocess.run(["ip", "netns", "exec", self.name] + cmd, check=True)

    def prefix(self):
        return ["ip", "netns", "exec", self.name]

    def __exit__(self, *exc):
        subprocess.run(["ip", "netns", "del", self.name], check=False)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default="gutenberg100m")
    p.add_argument("--models", nargs="+", default=["skipgram", "cbow", "fasttext"])
    p.add_argument("--netns", action="store_true", help="also the 2-rank run in a namespace shaped to 1 Gbit/s")
    p.add_argument("--quality", action="store_true", help="also quality at --quality-ranks, each --seeds")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--quality-ranks", type=int, nargs="+", default=[2, 4, 8])
    p.add_argument("--json", help="write every row here (after each run)")
    p.add_argument("--skip-speed", action="store_true", help="only the quality runs")
    a = p.parse_args()
    global JSON_PATH
    JSON_PATH = a.json
    tmp = tempfile.mkdtemp(prefix="embedkit-distributed-w2v-")
    rows = ROWS
    try:
        with open("/proc/loadavg") as f:
            print(f"load average before: {' '.join(f.read().split()[:3])}; cores: {os.cpu_count()}")
        corpus = corpus_path(a.corpus, tmp)
        print(f"corpus: {a.corpus} ({os.path.getsize(corpus) / 1e6:.0f} MB); {' '.join(SETTINGS[:-1])}\n")
        print(f"{'run':<34}{'model':<10}{'seed':>5}{'seconds':>9}{'analogy':>10}{'WS353':>8}")
        two = MPIRUN + ["-np", "2"]
        for model in [] if a.skip_speed else a.models:
            runs = [train(tmp, corpus, model, 1, label="1 process x 1 thread"),
                    train(tmp, corpus, model, 1, prefix=two, label="mpirun -np 2 x 1 thread (shm)"),
                    train(tmp, corpus, model, 1, prefix=two + TCP, label="mpirun -np 2 x 1 thread (tcp)"),
                    train(tmp, corpus, model, 2, label="1 process x 2 threads")]
            if a.netns and model == "skipgram":
                with ShapedNamespace() as ns:
                    runs.append(train(tmp, corpus, model, 1, prefix=ns.prefix() + two + TCP,
                                      label="mpirun -np 2 (tcp, 1 Gbit/s netns)"))
            one, shm, tcp, threads = (r["seconds"] for r in runs[:4])
            print(f"  {model}: 1x1 / 2 ranks: {one / shm:.2f}x (shm), {one / tcp:.2f}x (tcp); "
                  f"2 ranks / 1x2 threads: {shm / threads:.2f} (shm), {tcp / threads:.2f} (tcp)"
                  + (f"; shaped 1 Gbit/s: {one / runs[4]['seconds']:.2f}x" if len(runs) > 4 else ""), flush=True)
        if a.quality:
            print("\nquality as ranks grow (skip-gram, 1 thread per rank)")
            for seed in a.seeds:
                train(tmp, corpus, "skipgram", 1, seed=seed, label="quality: 1 process")
                for ranks in a.quality_ranks:
                    train(tmp, corpus, "skipgram", 1, seed=seed, prefix=MPIRUN + ["-np", str(ranks)],
                                      label=f"quality: {ranks} ranks")
            print("\nmeans over seeds")
            for label in ["quality: 1 process"] + [f"quality: {r} ranks" for r in a.quality_ranks]:
                sel = [r for r in rows if r["run"] == label]
                acc = sum(r["analogy"] for r in sel) / len(sel)
                ws = sum(r["ws353"] for r in sel) / len(sel)
                spread = max(r["analogy"] for r in sel) - min(r["analogy"] for r in sel)
                print(f"  {label:<24} analogy {100 * acc:.2f}% (spread {100 * spread:.2f}), WS353 {ws:.3f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
