#!/usr/bin/python3
"""Approximate search over SIF passage vectors: embedkit's HNSW against python3-hnswlib and faiss.

  benchmarks/ann_vs_references.py --cli build/bin/embedkit --e2e build/bin/ann_e2e \
      [--corpus /tmp/gutenberg100m.txt] [--passages 0] [--queries 10000] [--threads 2]

1. Trains skip-gram (dim 100, 1 epoch) with embedkit on the corpus (gutenberg100m unpacked:
   xz -dc ../shared/data/gutenberg100m.xz > /tmp/gutenberg100m.txt), saving the vocabulary counts.
2. Cuts the corpus into consecutive passages of 20 tokens; the last --queries passages are held
   out as queries (--passages N keeps only the first N base passages: a smaller cut).
3. Embeds the base passages with `embedkit embed --method sif` (the component fitted on them and
   saved), then the queries with that component.
4. Ground truth: embedkit's exact TopKIndex (cosine), which also gives the exact index's queries
   per second on one thread (single queries, on a sample).
5. Builds, each in its own process under /usr/bin/time -v (build time, peak RSS), with M and
   ef_construction equal: embedkit HnswIndex (ann_e2e), python3-hnswlib (the same library: this
   measures the wrapper), faiss IndexHNSWFlat (inner product on unit vectors). Builds use
   --threads threads; queries run on one thread, all queries as one batch, for ef in --efs.
6. Prints recall@10 and QPS per ef for each, and the ratios.
7. With --compressed (before the HNSW runs; --skip-hnsw leaves those out): embedkit's int8 and PQ
   (--subvectors bytes per vector) against faiss IndexPQ and IndexIVFPQ (1024 lists, nprobe 32)
   at the same code size, codebooks trained on the first --training-rows rows, on the first
   --compressed-queries queries, recall@10 without and with exact re-ranking of --shortlist.
Timings on a shared machine are noisy: the three run one after the other in one invocation.
"""

import argparse
import os
import re
import subprocess
import sys
import time

PY = "/usr/bin/python3"
DIM = 100
K = 10


def child_hnswlib(base, queries, out, m, efc, threads, efs):
    import hnswlib
    import numpy as np

    E = np.fromfile(base, dtype=np.float32).reshape(-1, DIM)
    Q = np.fromfile(queries, dtype=np.float32).reshape(-1, DIM)
    t0 = time.time()
    index = hnswlib.Index(space="cosine", dim=DIM)
    index.init_index(max_elements=E.shape[0], M=m, ef_construction=efc, random_seed=100)
    index.add_items(E, np.arange(E.shape[0]), num_threads=threads)
    print("build_s=%.3f" % (time.time() - t0))
    del E
    index.set_num_threads(1)
    for ef in efs:
        index.set_ef(ef)
        t0 = time.time()
        labels, _ = index.knn_query(Q, k=K, num_threads=1)
        s = time.time() - t0
        print("ef=%d search_s=%.4f qps=%.1f" % (ef, s, Q.shape[0] / s))
        labels.astype(np.int32).tofile("%s.%d.i32" % (out, ef))


def child_faiss(base, queries, out, m, efc, threads, efs):
    import faiss
    import numpy as np

    E = np.fromfile(base, dtype=np.float32).reshape(-1, DIM)
    Q = np.fromfile(queries, dtype=np.float32).reshape(-1, DIM)
    faiss.omp_set_num_threads(threads)
    t0 = time.time()
    faiss.normalize_L2(E)
    index = faiss.IndexHNSWFlat(DIM, m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = efc
    index.add(E)
    print("build_s=%.3f" % (time.time() - t0))
    del E
    faiss.omp_set_num_threads(1)
    Qn = Q.copy()
    faiss.normalize_L2(Qn)
    for ef in efs:
        index.hnsw.efSearch = ef
        t0 = time.time()
        _, labels = index.search(Qn, K)
        s = time.time() - t0
        print("ef=%d search_s=%.4f qps=%.1f" % (ef, s, Q.shape[0] / s))
        labels.astype(np.int32).tofile("%s.%d.i32" % (out, ef))


def child_faiss_pq(base, queries, out, m, threads, training, shortlist):
    import faiss
    import numpy as np

    E = np.fromfile(base, dtype=np.float32).reshape(-1, DIM)
    Q = np.fromfile(queries, dtype=np.float32).reshape(-1, DIM)
    faiss.normalize_L2(E)
    faiss.normalize_L2(Q)
    faiss.omp_set_num_threads(threads)
    for name, make, nprobe in (("IndexPQ", lambda: faiss.IndexPQ(DIM, m, 8, faiss.METRIC_INNER_PRODUCT), 0),
                               ("IndexIVFPQ", lambda: faiss.IndexIVFPQ(faiss.IndexFlatIP(DIM), DIM, 1024, m, 8,
                                                                          faiss.METRIC_INNER_PRODUCT), 32)):
        t0 = time.time()
        index = make()
        index.train(E[:training])
        index.add(E)
        build = time.time() - t0
        if nprobe:
            index.nprobe = nprobe
        faiss.omp_set_num_threads(1)
        t0 = time.time()
        _, labels = index.search(Q, K)
        qps = Q.shape[0] / (time.time() - t0)
        labels.astype(np.int32).tofile("%s.%s.i32" % (out, name))
        # Re-ranking as embedkit's: a shortlist, rescored exactly from the float rows.
        t0 = time.time()
        _, cand = index.search(Q, shortlist)
        best = np.empty((Q.shape[0], K), dtype=np.int32)
        for q in range(Q.shape[0]):
            c = cand[q][cand[q] >= 0]
            s = E[c] @ Q[q]
            best[q] = c[np.argsort(-s, kind="stable")[:K]]
        rqps = Q.shape[0] / (time.time() - t0)
        best.tofile("%s.%s.rerank.i32" % (out, name))
        faiss.omp_set_num_threads(threads)
        print("%s build_s=%.3f bytes=%d qps=%.1f rerank_qps=%.1f" % (name, build, m, qps, rqps))


def timed(cmd, env=None):
    """Runs cmd under /usr/bin/time -v; returns (stdout, peak RSS MiB, wall s)."""
    t0 = time.time()
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    wall = time.time() - t0
    if r.returncode != 0:
        sys.exit("failed: %s\n%s\n%s" % (" ".join(cmd), r.stdout, r.stderr))
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    return r.stdout, (int(rss.group(1)) / 1024 if rss else float("nan")), wall


def recall(ids_path, truth, nq):
    import numpy as np

    got = np.fromfile(ids_path, dtype=np.int32).reshape(nq, K)
    hits = sum(len(set(got[q]) & set(truth[q])) for q in range(nq))
    return hits / (nq * K)


def compressed(a, w, truth, env):
    """int8 and PQ (embedkit) against faiss IndexPQ and IndexIVFPQ at the same code size."""
    import numpy as np

    nq = a.compressed_queries
    np.fromfile(w("queries.f32"), dtype=np.float32)[:nq * DIM].tofile(w("queries-c.f32"))
    rows = []
    out, rss, _ = timed([a.e2e, "compressed", w("base.f32"), w("queries-c.f32"), str(DIM), str(K), w("c-embedkit"),
                         str(a.subvectors), str(a.training_rows), str(a.threads), str(a.shortlist)], env)
    for m in re.finditer(r"(\w+) build_s=([\d.]+) bytes=(\d+) qps=([\d.]+) rerank_qps=([\d.]+)", out):
        rows.append(("embedkit " + m.group(1), m, w("c-embedkit") + "." + m.group(1)))
    out, rss, _ = timed([PY, os.path.abspath(__file__), "--subvectors", str(a.subvectors), "--threads", str(a.threads),
                         "--training-rows", str(a.training_rows), "--shortlist", str(a.shortlist), "--child", "faiss-pq",
                         "--child-args", w("base.f32"), w("queries-c.f32"), w("c-faiss")], env)
    for m in re.finditer(r"(\w+) build_s=([\d.]+) bytes=(\d+) qps=([\d.]+) rerank_qps=([\d.]+)", out):
        rows.append(("faiss " + m.group(1), m, w("c-faiss") + "." + m.group(1)))
    print("\ncompressed, %d queries on one thread, shortlist %d re-ranked from the float rows:" % (nq, a.shortlist))
    print("| method | bytes/vector | build s | recall@10 | QPS | recall@10 re-ranked | QPS re-ranked |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, m, prefix in rows:
        print("| %s | %s | %.1f | %.4f | %.0f | %.4f | %.0f |" % (
            name, m.group(3), float(m.group(2)), recall(prefix + ".i32", truth[:nq], nq), float(m.group(4)),
            recall(prefix + ".rerank.i32", truth[:nq], nq), float(m.group(5))))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", help="build/bin/embedkit")
    ap.add_argument("--e2e", help="build/bin/ann_e2e")
    ap.add_argument("--corpus", default="/tmp/gutenberg100m.txt")
    ap.add_argument("--work", default="/tmp/embedkit-ann")
    ap.add_argument("--passages", type=int, default=0, help="base passages to keep (0: all)")
    ap.add_argument("--queries", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=200)
    ap.add_argument("--efs", default="16,32,64,128,256")
    ap.add_argument("--exact-sample", type=int, default=200)
    ap.add_argument("--compressed", action="store_true", help="also int8 / PQ against faiss IndexPQ / IndexIVFPQ")
    ap.add_argument("--subvectors", type=int, default=20, help="PQ bytes per vector")
    ap.add_argument("--compressed-queries", type=int, default=1000)
    ap.add_argument("--training-rows", type=int, default=50000)
    ap.add_argument("--shortlist", type=int, default=100)
    ap.add_argument("--skip-hnsw", action="store_true", help="only the exact index (and --compressed)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-args", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args()
    efs = [int(x) for x in a.efs.split(",")]
    if a.child:
        base, queries, out = a.child_args
        if a.child == "faiss-pq":
            child_faiss_pq(base, queries, out, a.subvectors, a.threads, a.training_rows, a.shortlist)
            return
        fn = child_hnswlib if a.child == "hnswlib" else child_faiss
        fn(base, queries, out, a.m, a.ef_construction, a.threads, efs)
        return
    if not a.cli or not a.e2e:
        ap.error("--cli and --e2e are required")

    import numpy as np

    os.makedirs(a.work, exist_ok=True)
    w = lambda name: os.path.join(a.work, name)
    print("load average at start: %s" % open("/proc/loadavg").read().split()[:3])

    # 1. Word vectors and counts.
    if not os.path.exists(w("vectors.bin")):
        t0 = time.time()
        subprocess.run([a.cli, "train", "--model", "skipgram", "--input", a.corpus, "--output", w("vectors.bin"),
                        "--save-vocab", w("vocab.txt"), "--dim", str(DIM), "--epochs", "1",
                        "--threads", str(a.threads)], check=True)
        print("skip-gram trained in %.1f s" % (time.time() - t0))

    # 2. Passages of 20 consecutive tokens (reused from --work when there: delete it to redo).
    if not (os.path.exists(w("base.f32")) and os.path.exists(w("queries.f32"))):
        tokens = open(a.corpus).read().split()
        n = len(tokens) // 20
        passages = [" ".join(tokens[i * 20:(i + 1) * 20]) for i in range(n)]
        del tokens
        queries = passages[n - a.queries:]
        base = passages[:n - a.queries]
        if a.passages > 0:
            base = base[:a.passages]
        print("passages: %d base, %d queries (of %d)" % (len(base), len(queries), n))
        with open(w("base.txt"), "w") as f:
            f.write("\n".join(base) + "\n")
        with open(w("queries.txt"), "w") as f:
            f.write("\n".join(queries) + "\n")
        del passages, base, queries

        # 3. SIF embeddings: fitted on the base passages, the queries embedded with the saved component.
        t0 = time.time()
        for name, extra in (("base", ["--save-component", w("sif.component")]),
                            ("queries", ["--component", w("sif.component")])):
            with open(w(name + ".txt")) as inp, open(w(name + ".vec.txt"), "w") as out:
                subprocess.run([a.cli, "embed", "--vectors", w("vectors.bin"), "--counts", w("vocab.txt"),
                                "--method", "sif"] + extra, stdin=inp, stdout=out, check=True)
            np.fromfile(w(name + ".vec.txt"), dtype=np.float32, sep=" ").reshape(-1, DIM).tofile(w(name + ".f32"))
            os.remove(w(name + ".vec.txt"))
        print("SIF embeddings in %.1f s" % (time.time() - t0))
    nb = os.path.getsize(w("base.f32")) // (4 * DIM)
    nq = os.path.getsize(w("queries.f32")) // (4 * DIM)

    # 4. Ground truth and the exact index's single-thread QPS.
    out, rss, _ = timed([a.e2e, "exact", w("base.f32"), w("queries.f32"), str(DIM), str(K), w("truth.i32"),
                         str(a.threads), str(a.exact_sample)])
    exact_qps = float(re.search(r"single_thread_qps=([\d.]+)", out).group(1))
    truth = np.fromfile(w("truth.i32"), dtype=np.int32).reshape(nq, K)
    print("exact: %s" % out.replace("\n", " "))

    if a.compressed:
        compressed(a, w, truth, env=dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS="1"))

    if a.skip_hnsw:
        return

    # 5. The three HNSW builds and searches.
    runs = {}
    commands = {
        "embedkit": [a.e2e, "hnsw", w("base.f32"), w("queries.f32"), str(DIM), str(K), w("embedkit"), str(a.m),
                     str(a.ef_construction), str(a.threads), a.efs],
        "hnswlib": [PY, os.path.abspath(__file__), "--m", str(a.m), "--ef-construction", str(a.ef_construction),
                    "--threads", str(a.threads), "--efs", a.efs, "--child", "hnswlib", "--child-args", w("base.f32"),
                    w("queries.f32"), w("hnswlib")],
        "faiss": [PY, os.path.abspath(__file__), "--m", str(a.m), "--ef-construction", str(a.ef_construction),
                  "--threads", str(a.threads), "--efs", a.efs, "--child", "faiss", "--child-args", w("base.f32"),
                  w("queries.f32"), w("faiss")],
    }
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS="1")
    for tool, cmd in commands.items():
        out, rss, wall = timed(cmd, env)
        build = float(re.search(r"build_s=([\d.]+)", out).group(1))
        curve = {}
        for m in re.finditer(r"ef=(\d+) search_s=([\d.]+) qps=([\d.]+)", out):
            ef = int(m.group(1))
            curve[ef] = (recall("%s.%d.i32" % (w(tool), ef), truth, nq), float(m.group(3)))
        runs[tool] = (build, rss, curve)
        print("%s done: build %.1f s, peak RSS %.0f MiB" % (tool, build, rss))

    print("\nbase %d passages x %d, %d queries, k %d, M %d, ef_construction %d, build threads %d, queries on 1 thread"
          % (nb, DIM, nq, K, a.m, a.ef_construction, a.threads))
    print("exact TopKIndex: %.1f queries/s on one thread (single queries)\n" % exact_qps)
    print("| tool | build s | peak RSS MiB | " + " | ".join("ef %d recall / QPS" % ef for ef in efs) + " |")
    print("|---|---:|---:|" + "---:|" * len(efs))
    for tool, (build, rss, curve) in runs.items():
        cells = ["%.4f / %.0f" % curve[ef] for ef in efs]
        print("| %s | %.1f | %.0f | %s |" % (tool, build, rss, " | ".join(cells)))
    print()
    for ef in efs:
        r, q = runs["embedkit"][2][ef]
        rh, qh = runs["hnswlib"][2][ef]
        rf, qf = runs["faiss"][2][ef]
        print("ef %3d: embedkit recall %.4f at %.1fx the exact QPS; QPS vs hnswlib %.2fx (recall %.4f), vs faiss %.2fx (recall %.4f)"
              % (ef, r, q / exact_qps, q / qh, rh, q / qf, rf))


if __name__ == "__main__":
    main()
