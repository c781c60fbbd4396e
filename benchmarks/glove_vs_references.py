#!/usr/bin/env python3
"""Count-based models side by side: embedkit GloVe and PPMI-SVD against fastText skip-gram, same corpus, same run.

One after the other, each under /usr/bin/time -v (wall time, peak RSS of the whole process):
  embedkit train --model glove     --dim 100 --window 10 --epochs 15 --min-count 5 --threads T  (x_max 100, lr 0.05)
  embedkit train --model ppmi-svd  --dim 100 --window 5 --min-count 5 --threads T
  fasttext skipgram -minn 0 -maxn 0 -epoch 5 -thread T -dim 100 -ws 5 -neg 5 -t 1e-4 -minCount 5
then every output is scored by `embedkit eval --json` (analogies on questions-words restricted to the
30,000 most frequent words, WS353 Spearman). Prints one table, the GloVe / fastText wall-time ratio and
the issue's checks (on text8-prefix: GloVe analogy >= 2.8%, WS353 >= 0.27, time <= 1.15x fastText's;
PPMI-SVD WS353 >= 0.40).

--glove-x-max 10 adds a GloVe row with that x_max (glove.c's text8 demo value). --cooccur-memory MB adds
a run of `embedkit cooccur --memory MB` (the counting stage alone, merged straight into a file) to show
its peak RSS against the cap.

--glove-c DIR adds Stanford's glove.c with the same settings (vocab_count -min-count 5, cooccur
-window-size 10, shuffle, glove -x-max 100 -alpha 0.75 -eta 0.05 -iter 15 -vector-size 100 -model 2),
timed as one pipeline: DIR holds the four programs, built from github.com/stanfordnlp/GloVe by the user
(glove.c is not packaged by Debian and is not part of embedkit). Its vectors are scored without the
`<unk>` row it appends, as its own eval/python/evaluate.py does. --seed S is passed to embedkit's GloVe
and to glove.c's shuffle and glove.

Needs build/bin/embedkit (Release build), /usr/bin/time and Debian's fasttext. Run with Debian's python:
  /usr/bin/python3 benchmarks/glove_vs_references.py --corpus text8-prefix|gutenberg100m|PATH
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile

import word2vec_vs_references as common  # prepare_corpus, timed, evaluate, count_tokens


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="text8-prefix")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", default="glove,ppmi-svd,fasttext", help="which of glove, ppmi-svd, fasttext to run")
    ap.add_argument("--glove-x-max", type=float, help="also train GloVe with this x_max")
    ap.add_argument("--memory", type=float, help="--memory MB for the embedkit runs (default: embedkit's)")
    ap.add_argument("--glove-c", help="directory with glove.c's vocab_count, cooccur, shuffle and glove")
    ap.add_argument("--seed", type=int, help="seed for embedkit GloVe and glove.c (default: each tool's)")
    ap.add_argument("--cooccur-memory", type=float, help="also run `embedkit cooccur --memory MB` alone")
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "embedkit-bench"))
    ap.add_argument("--embedkit", default=common.EMBEDKIT, help="the embedkit binary (default: build/bin/embedkit)")
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    common.EMBEDKIT = args.embedkit
    os.makedirs(args.workdir, exist_ok=True)
    corpus, _ = common.prepare_corpus(args.corpus, args.workdir)
    tokens = common.count_tokens(corpus)
    t = str(args.threads)
    memory = ["--memory", str(args.memory)] if args.memory else []
    seed = ["--seed", str(args.seed)] if args.seed is not None else []
    jobs = []
    for run in args.runs.split(","):
        if run == "glove":
            jobs.append(("GloVe", "embedkit", "glove", [args.embedkit, "train", "--model", "glove", "--dim", "100",
                                                        "--window", "10", "--epochs", "15", "--min-count", "5",
                                                        "--threads", t] + memory + seed))
            if args.glove_x_max:
                jobs.append((f"GloVe x_max {args.glove_x_max:g}", "embedkit", "glove-xmax",
                             [args.embedkit, "train", "--model", "glove", "--dim", "100", "--window", "10",
                              "--epochs", "15", "--min-count", "5", "--threads", t, "--x-max", str(args.glove_x_max)]
                             + memory + seed))
            if args.glove_c:
                jobs.append(("GloVe", "glove.c", "glove-c", None))
        elif run == "ppmi-svd":
            jobs.append(("PPMI-SVD", "embedkit", "ppmi-svd", [args.embedkit, "train", "--model", "ppmi-svd", "--dim",
                                                             "100", "--window", "5", "--min-count", "5", "--threads", t]
                         + memory))
        elif run == "fasttext":
            jobs.append(("skip-gram", "fastText", "fasttext", None))
        else:
            sys.exit(f"unknown run {run}")

    start_load = load_average()
    rows = []
    for model, tool, stem_name, cmd in jobs:
        stem = os.path.join(args.workdir, f"count-{stem_name}")
        vec = stem + ".vec"
        if stem_name == "glove-c":
            cmd = glove_c_pipeline(args.glove_c, corpus, stem, t, args.seed)
        elif cmd is None:
            cmd = ["fasttext", "skipgram", "-input", corpus, "-output", stem, "-minn", "0", "-maxn", "0", "-epoch", "5",
                   "-thread", t, "-dim", "100", "-ws", "5", "-neg", "5", "-t", "1e-4", "-minCount", "5", "-verbose", "0"]
        else:
            cmd = cmd + ["--input", corpus, "--output", vec]
        print(f"running {tool} {model} ...", file=sys.stderr, flush=True)
        seconds, rss = common.timed(cmd, stem + ".log")
        if stem_name == "glove-c":
            drop_unk_row(stem + ".txt", vec)
        scores = common.evaluate(vec)
        row = dict(model=model, tool=tool, seconds=seconds, rss_mib=rss, command=" ".join(cmd),
                   analogies=scores["analogies"], similarity=scores["similarity"])
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    cooccur = None
    if args.cooccur_memory:
        out = os.path.join(args.workdir, "count-matrix.bin")
        cmd = [args.embedkit, "cooccur", "--input", corpus, "--output", out, "--window", "10", "--min-count", "5",
               "--threads", t, "--memory", str(args.cooccur_memory)]
        print("running embedkit cooccur ...", file=sys.stderr, flush=True)
        seconds, rss = common.timed(cmd, out + ".log")
        log = open(out + ".log").read()
        cooccur = dict(seconds=seconds, rss_mib=rss, memory_mb=args.cooccur_memory, command=" ".join(cmd),
                       summary=next((l for l in log.splitlines() if l.startswith("done:")), ""),
                       matrix_mib=os.path.getsize(out) / 2**20)
        os.remove(out)
    end_load = load_average()

    print(f"\ncorpus: {args.corpus} ({tokens:,} tokens), threads {args.threads}, min-count 5, dim 100; "
          f"load average {start_load} at the start, {end_load} at the end\n")
    print("| model | tool | wall s | peak RSS MiB | analogy | sem | syn | answered | WS353 | pairs |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        a = r["analogies"]
        s = r["similarity"]
        answered = a["overall"]["answered"]
        print(f"| {r['model']} | {r['tool']} | {r['seconds']:.1f} | {r['rss_mib']:.0f} | "
              f"{100 * a['overall']['accuracy']:.2f}% | {100 * a['semantic']['accuracy']:.2f}% | "
              f"{100 * a['syntactic']['accuracy']:.2f}% | {answered}/{answered + a['overall']['skipped']} | "
              f"{s['spearman']:.4f} | {s['found']} |")
    if cooccur:
        print(f"\ncounting stage alone (`{os.path.basename(args.embedkit)} cooccur --memory {cooccur['memory_mb']:g}`): "
              f"{cooccur['seconds']:.1f} s, peak RSS {cooccur['rss_mib']:.0f} MiB, matrix file "
              f"{cooccur['matrix_mib']:.0f} MiB; {cooccur['summary']}")
    check(rows, args.corpus)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(rows=rows, cooccur=cooccur, load=[start_load, end_load]), f, indent=1)


def glove_c_pipeline(directory, corpus, stem, threads, seed):
    """glove.c's four steps as one shell command (so /usr/bin/time covers them all), in its demo's order."""
    q = shlex.quote
    tool = lambda name: q(os.path.join(directory, name))
    seeds = f" -seed {seed}" if seed is not None else ""
    script = (f"set -e; {tool('vocab_count')} -min-count 5 -verbose 0 < {q(corpus)} > {q(stem + '.vocab')}; "
              f"{tool('cooccur')} -memory 4.0 -vocab-file {q(stem + '.vocab')} -verbose 0 -window-size 10 "
              f"< {q(corpus)} > {q(stem + '.cooc')}; "
              f"{tool('shuffle')} -memory 4.0 -verbose 0{seeds} < {q(stem + '.cooc')} > {q(stem + '.shuf')}; "
              f"{tool('glove')} -save-file {q(stem)} -threads {threads} -input-file {q(stem + '.shuf')} -x-max 100 "
              f"-alpha 0.75 -eta 0.05 -iter 15 -vector-size 100 -binary 0 -write-header 1 -model 2 "
              f"-vocab-file {q(stem + '.vocab')} -verbose 0{seeds}; rm -f {q(stem + '.cooc')} {q(stem + '.shuf')}")
    return ["sh", "-c", script]


def drop_unk_row(source, target):
    """glove.c appends an `<unk>` row that its header does not count; its own evaluation ignores it."""
    with open(source) as f, open(target, "w") as out:
        for line in f:
            if not line.startswith("<unk> "):
                out.write(line)


def check(rows, corpus):
    by_model = {r["model"]: r for r in rows}
    glove = next((r for r in rows if r["model"] == "GloVe" and r["tool"] == "embedkit"), None)
    glove_c = next((r for r in rows if r["tool"] == "glove.c"), None)
    ppmi, fasttext = by_model.get("PPMI-SVD"), by_model.get("skip-gram")
    print("\nchecks" + (" (the issue's thresholds are for text8-prefix)" if corpus != "text8-prefix" else "") + ":")
    if glove and fasttext:
        ratio = glove["seconds"] / fasttext["seconds"]
        print(f"- GloVe wall time / fastText skip-gram wall time: {ratio:.2f}x (<= 1.15x: {'ok' if ratio <= 1.15 else 'FAIL'})")
    if glove:
        acc = 100 * glove["analogies"]["overall"]["accuracy"]
        ws = glove["similarity"]["spearman"]
        print(f"- GloVe analogy {acc:.2f}% (>= 2.8%: {'ok' if acc >= 2.8 else 'FAIL'}), "
              f"WS353 {ws:.4f} (>= 0.27: {'ok' if ws >= 0.27 else 'FAIL'})")
    if glove_c:
        acc = 100 * glove_c["analogies"]["overall"]["accuracy"]
        versus = f"; wall time {glove_c['seconds'] / fasttext['seconds']:.2f}x fastText's" if fasttext else ""
        print(f"- glove.c analogy {acc:.2f}%, WS353 {glove_c['similarity']['spearman']:.4f}{versus}")
        if glove:
            print(f"- embedkit GloVe - glove.c: analogy "
                  f"{100 * (glove['analogies']['overall']['accuracy'] - glove_c['analogies']['overall']['accuracy']):+.2f} "
                  f"points, WS353 {glove['similarity']['spearman'] - glove_c['similarity']['spearman']:+.4f}, "
                  f"time {glove['seconds'] / glove_c['seconds']:.2f}x")
    if ppmi:
        ws = ppmi["similarity"]["spearman"]
        print(f"- PPMI-SVD WS353 {ws:.4f} (>= 0.40: {'ok' if ws >= 0.40 else 'FAIL'})")


if __name__ == "__main__":
    main()
