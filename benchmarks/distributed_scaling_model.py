#!/usr/bin/env python3
"""Projects distributed Word2Vec speed-up on N nodes from what one machine measured.

Reads the rows benchmarks/distributed_word2vec.py wrote (--json): the 1-process x 1-thread run
gives the compute rate r1 (words a thread reads per second); the 2-rank shared-memory run gives
the meetings (count) and the bytes rank 0 sent. From those:

  per meeting, each node:  compute  W / R                    (W words a rank reads between meetings,
                                                             R = threads x r1 x hogwild_efficiency)
                           send     2 (N-1)/N x P / beta      (reduce-scatter + all-gather of the
                                                             payload P; the measured bytes at N = 2
                                                             are (N-1)/N x 2P = P)
                           latency  2 ceil(log2 N) x alpha    (the collectives' steps)
  speed-up(N) = N x (W/R) / (W/R + send + latency)  against one such node alone.

The crossover corpus size, above which N nodes beat one: a cluster pays a start-up s_N (launch,
the distributed vocabulary, encoding) that one machine does not; it wins once
C / R x (1 - 1/speed-up) > s_N - s_1.

Usage: /usr/bin/python3 benchmarks/distributed_scaling_model.py RESULTS.json [--threads 16]
       [--hogwild-efficiency 0.8] [--alpha-us 50] [--startup-extra 10]
"""
import argparse
import json
import math


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results")
    p.add_argument("--model", default="skipgram")
    p.add_argument("--sync-words", type=int, default=250_000,
                   help="words of all ranks between meetings (embedkit's default --sync-words)")
    p.add_argument("--threads", type=int, default=16, help="threads per node (one rank per node)")
    p.add_argument("--hogwild-efficiency", type=float, default=0.8,
                   help="a node's rate / (threads x one thread's rate)")
    p.add_argument("--alpha-us", type=float, default=50.0, help="latency of one collective step, microseconds")
    p.add_argument("--startup-extra", type=float, default=10.0,
                   help="seconds a cluster run spends starting beyond one machine (launch, vocabulary, encoding)")
    a = p.parse_args()
    rows = json.load(open(a.results))
    one = next(r for r in rows if r["model"] == a.model and r["run"] in ("1 process x 1 thread", "quality: 1 process"))
    two = next(r for r in rows if r["model"] == a.model and r["traffic"] and r["traffic"]["ranks"] == 2 and "netns" not in r["run"])
    t = two["traffic"]
    # Words one thread reads a second (1 process x 1 thread, start-up included: a floor).
    words_total = one.get("words", None)
    if words_total is None:
        raise SystemExit("the results lack 'words' (rerun benchmarks/distributed_word2vec.py)")
    r1 = words_total / one["seconds"]
    words_per_rank = words_total / 2
    meetings = t["meetings"]
    w_measured = words_per_rank / meetings
    payload = t["mib_sent"] * 2**20 / meetings  # bytes a meeting at N = 2, = P
    print(f"measured ({a.model}): one thread reads {r1 / 1e6:.2f}M words/s; 2 ranks met {meetings} times, "
          f"every {w_measured / 1e3:.0f}k words a rank; rank 0 sent {payload / 2**20:.2f} MiB a meeting "
          f"({t['mib_sent'] / two['seconds']:.1f} MiB/s of training)")
    R = a.threads * r1 * a.hogwild_efficiency
    print(f"a node: {a.threads} threads x {r1 / 1e6:.2f}M x {a.hogwild_efficiency} = {R / 1e6:.1f}M words/s; "
          f"collective step latency {a.alpha_us} us\n")
    scenarios = [(f"--sync-words {a.sync_words:,}: words of all ranks between meetings (W = {a.sync_words // 1000}k / N a rank)",
                  lambda n: a.sync_words / n),
                 (f"W = {w_measured * a.threads / 1e6:.1f}M words a rank (the measured meetings per thread-second)",
                  lambda n: w_measured * a.threads)]
    for title, words_of in scenarios:
        print(title + ":")
        print(f"  {'nodes':>6} {'W a rank':>10} " + " ".join(f"{f'{g} Gbit/s: speed-up, crossover':>34}" for g in (10, 100)))
        for n in (8, 32, 128):
            W = words_of(n)
            cells = []
            for gbit in (10, 100):
                beta = gbit * 1e9 / 8
                compute = W / R
                send = 2 * (n - 1) / n * payload / beta
                latency = 2 * math.ceil(math.log2(n)) * a.alpha_us * 1e-6
                speedup = n * compute / (compute + send + latency)
                crossover = R * a.startup_extra / (1 - 1 / speedup) if speedup > 1 else float("inf")
                cells.append(f"{speedup:8.1f}x, > {crossover / 1e9:6.2f}G words")
            print(f"  {n:>6} {W / 1e3:>9.0f}k " + " ".join(f"{c:>34}" for c in cells))
        print()

if __name__ == "__main__":
    main()
