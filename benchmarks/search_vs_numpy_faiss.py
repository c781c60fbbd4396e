#!/usr/bin/python3
"""Exact cosine top-k: embedkit against numpy and faiss, same data, same machine, same threads.

  benchmarks/search_vs_numpy_faiss.py --bench build-native/bin/bench_search [--threads 2]

Generates seeded float32 data (default: 30,000 x 100 vectors and 30,000 queries), then runs, each
in its own process under /usr/bin/time -v (for the peak RSS):
  numpy     Q @ E.T per block of 4096 queries, argpartition for the top k, then a sort of those k
            (Debian python3-numpy on OpenBLAS; OPENBLAS_NUM_THREADS / OMP_NUM_THREADS = threads)
  faiss     IndexFlatIP over unit vectors (Debian python3-faiss; faiss.omp_set_num_threads)
  embedkit  bench_search --e2e: TopKIndex<float>(Metric::cosine).topk_batch
and prints search times, ratios, peak memory and how far the top-k lists agree. Then it runs
bench_search's copy benchmark and its 1M x 100 single-query benchmark in one process and prints
the search's share of the copy bandwidth. Build bench_search with -DEMBEDKIT_NATIVE_ARCH=ON
(numpy and faiss pick AVX2 kernels at run time; embedkit's SIMD is chosen at compile time).
Timings on a shared machine are noisy: run it twice.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

PY = "/usr/bin/python3"


def child_numpy(vectors, queries, dim, k, out):
    import numpy as np

    t0 = time.time()
    E = np.fromfile(vectors, dtype=np.float32).reshape(-1, dim)
    Q = np.fromfile(queries, dtype=np.float32).reshape(-1, dim)
    E /= np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-30)
    t1 = time.time()
    Qn = Q / np.maximum(np.linalg.norm(Q, axis=1, keepdims=True), 1e-30)
    ids = np.empty((Q.shape[0], k), dtype=np.int32)
    block = 4096
    for b in range(0, Q.shape[0], block):
        S = Qn[b:b + block] @ E.T
        part = np.argpartition(-S, k - 1, axis=1)[:, :k]
        top = np.take_along_axis(S, part, axis=1)
        order = np.argsort(-top, axis=1, kind="stable")
        ids[b:b + block] = np.take_along_axis(part, order, axis=1)
    t2 = time.time()
    ids.tofile(out)
    print("numpy load+build_s=%.4f search_s=%.4f" % (t1 - t0, t2 - t1))


def child_faiss(vectors, queries, dim, k, out, threads):
    import faiss
    import numpy as np

    faiss.omp_set_num_threads(threads)
    t0 = time.time()
    E = np.fromfile(vectors, dtype=np.float32).reshape(-1, dim)
    Q = np.fromfile(queries, dtype=np.float32).reshape(-1, dim)
    faiss.normalize_L2(E)
    index = faiss.IndexFlatIP(dim)
    index.add(E)
    del E
    t1 = time.time()
    faiss.normalize_L2(Q)
    _, I = index.search(Q, k)
    t2 = time.time()
    I.astype(np.int32).tofile(out)
    print("faiss load+build_s=%.4f search_s=%.4f" % (t1 - t0, t2 - t1))


def timed(cmd, env):
    """Runs cmd under /usr/bin/time -v; returns (stdout, wall seconds, peak RSS in MiB)."""
    t = time.time()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, env=env, capture_output=True, text=True)
    wall = time.time() - t
    if p.returncode != 0:
        sys.exit("failed: %s\n%s\n%s" % (" ".join(cmd), p.stdout, p.stderr))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024.0
    return p.stdout, wall, rss


def search_seconds(stdout):
    return float(re.search(r"search_s=([0-9.]+)", stdout).group(1))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bench", default=os.path.join(os.path.dirname(__file__), "..", "build", "bin", "bench_search"))
    p.add_argument("--rows", type=int, default=30000)
    p.add_argument("--queries", type=int, default=30000)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--skip-bandwidth", action="store_true")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.child:
        kind, vectors, queries, out = args.child
        if kind == "numpy":
            child_numpy(vectors, queries, args.dim, args.k, out)
        else:
            child_faiss(vectors, queries, args.dim, args.k, out, args.threads)
        return 0

    import numpy as np

    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(args.seed)
        vectors, queries = os.path.join(tmp, "vectors.f32"), os.path.join(tmp, "queries.f32")
        rng.standard_normal((args.rows, args.dim), dtype=np.float32).tofile(vectors)
        rng.standard_normal((args.queries, args.dim), dtype=np.float32).tofile(queries)
        data_mib = (args.rows + args.queries) * args.dim * 4 / 2**20
        print("data: %d x %d vectors, %d queries, k=%d, %d threads (%.1f MiB of float32)"
              % (args.rows, args.dim, args.queries, args.k, args.threads, data_mib))

        results = {}
        runs = [
            ("numpy", [PY, os.path.abspath(__file__), "--dim", str(args.dim), "-k", str(args.k), "--threads",
                       str(args.threads), "--child", "numpy", vectors, queries, os.path.join(tmp, "numpy.ids")]),
            ("faiss", [PY, os.path.abspath(__file__), "--dim", str(args.dim), "-k", str(args.k), "--threads",
                       str(args.threads), "--child", "faiss", vectors, queries, os.path.join(tmp, "faiss.ids")]),
            ("embedkit", [args.bench, "--e2e", queries, vectors, str(args.k), str(args.threads),
                          os.path.join(tmp, "embedkit.ids"), "--e2e-dim", str(args.dim)]),
        ]
        for name, cmd in runs:
            out, wall, rss = timed(cmd, env)
            results[name] = (search_seconds(out), wall, rss, out)
            ids = np.fromfile(os.path.join(tmp, name + ".ids"), dtype=np.int32).reshape(args.queries, args.k)
            results[name] += (ids,)

        print("\n%-9s %10s %10s %12s" % ("", "search s", "process s", "peak RSS MiB"))
        for name in ("numpy", "faiss", "embedkit"):
            s, wall, rss = results[name][:3]
            print("%-9s %10.3f %10.3f %12.1f" % (name, s, wall, rss))
        ek = results["embedkit"][0]
        print("\nratio (search time of the other / embedkit): numpy %.2fx, faiss %.2fx   (> 1: embedkit faster)"
              % (results["numpy"][0] / ek, results["faiss"][0] / ek))
        m = re.search(r"index_bytes=(\d+) queries_bytes=(\d+) results_bytes=(\d+)", results["embedkit"][3])
        index_b, queries_b, results_b = (int(x) / 2**20 for x in m.groups())
        print("embedkit memory: index %.1f MiB + queries %.1f MiB + results %.1f MiB = %.1f MiB of data; "
              "peak RSS %.1f MiB; the rest is the program and its libraries plus per-thread scratch: one packed "
              "block of 256 rows (AVX2 builds) or one 256 x 512 score block and Eigen's GEMM buffers (others)"
              % (index_b, queries_b, results_b, index_b + queries_b + results_b, results["embedkit"][2]))
        ref = results["numpy"][4]
        for name in ("faiss", "embedkit"):
            ids = results[name][4]
            same = np.mean([len(set(a) & set(b)) / args.k for a, b in zip(ref, ids)])
            first = np.mean(ref[:, 0] == ids[:, 0])
            print("agreement with numpy: %-8s top-%d overlap %.5f, same best %.5f" % (name, args.k, same, first))

    if not args.skip_bandwidth:
        out = subprocess.run([args.bench, "--benchmark_filter=BM_copy/%d/|BM_topk_single_1M/%d/" % (args.threads,
                                                                                                  args.threads),
                              "--benchmark_min_time=0.3", "--benchmark_format=json"],
                             capture_output=True, text=True, check=True).stdout
        bench = {b["name"]: b for b in json.loads(out)["benchmarks"]}
        copy = next(v for k, v in bench.items() if k.startswith("BM_copy"))
        single = next(v for k, v in bench.items() if k.startswith("BM_topk_single"))
        copy_read = copy["bytes_per_second"] / 1e9
        search_read = single["bytes_per_second"] / 1e9
        print("\none query, top-10 over 1,000,000 x 100 floats (%d threads): %.2f ms, reads %.2f GB/s"
              % (args.threads, single["real_time"], search_read))
        print("memcpy of the same 400 MB (%d threads): reads %.2f GB/s (reads + writes %.2f GB/s)"
              % (args.threads, copy_read, 2 * copy_read))
        print("search / copy bandwidth: %.0f%% of the copy's read rate, %.0f%% of its read+write rate"
              % (100 * search_read / copy_read, 50 * search_read / copy_read))
    return 0


if __name__ == "__main__":
    sys.exit(main())
