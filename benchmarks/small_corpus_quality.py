#!/usr/bin/env python3
"""Vector quality across corpus sizes: embedkit, gensim and fastText side by side, several seeds.

Every (corpus, model, settings, tool, seed) is one training run scored by `embedkit eval`
(3CosAdd on questions-words restricted to the 30,000 most frequent words; WS353 Spearman). The
script prints, per corpus and model, the mean and the range over the seeds, and appends every run
to --json as it finishes (a long run that is stopped keeps what it measured).

Corpora: text8-prefix, gutenberg100m, gutenberg:1M / gutenberg:5M / text8-prefix:1M (the first 1M
or 5M tokens of gutenberg100m or text8-prefix, cut into --workdir), or a path. Models: skipgram, cbow, fasttext (subword
skip-gram), fasttext-cbow. Settings:
  equal     every tool with dim 100, window 5, negative 5, sample 1e-4, min-count 5, 5 epochs,
            --lr (default 0.025), n-grams 3-6 in 2M buckets;
  defaults  every tool with its own defaults (only the threads are set), e.g.
            `embedkit train --model skipgram --input F --output V`, `fasttext skipgram -input F`
            (n-grams included: fastText's default), gensim's `Word2Vec(corpus_file=F, sg=1)`.
Embedkit variants for ablations: --variant NAME='--flag value ...' adds a tool NAME that runs
build/bin/embedkit with the settings plus those flags (name it in --tools).

Needs build/bin/embedkit (Release), fasttext and python3-gensim (Debian); run with /usr/bin/python3:
  /usr/bin/python3 benchmarks/small_corpus_quality.py --corpora text8-prefix,gutenberg:1M \
      --models fasttext --seeds 1,2,3 --tools embedkit,gensim,fasttext --json out.json
"""
import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from corpora import DATA, corpus_file, corpus_in_lines  # noqa: E402 (beside this script)
EMBEDKIT = os.path.join(ROOT, "build", "bin", "embedkit")

# gensim: argv = corpus (lines of 1000 words), output, model, settings, lr, threads, seed.
GENSIM_SCRIPT = r"""
import sys
from gensim.models import Word2Vec, FastText
corpus, out, model, settings, lr, threads, seed = sys.argv[1:8]
kw = dict(corpus_file=corpus, workers=int(threads), seed=int(seed), sg=0 if model.endswith("cbow") else 1)
if settings == "equal":
    kw.update(vector_size=100, window=5, negative=5, sample=1e-4, min_count=5, epochs=5, alpha=float(lr))
if model.startswith("fasttext"):
    if settings == "equal":
        kw.update(min_n=3, max_n=6, bucket=2000000)
    m = FastText(**kw)
else:
    m = Word2Vec(**kw)
m.wv.save_word2vec_format(out)
"""


def prepare_corpus(name, workdir):
    """Returns (one-line corpus path, the same tokens in lines of 1000 words for gensim)."""
    path = corpus_file(name, workdir)
    return path, corpus_in_lines(path, workdir)


def evaluate(vectors):
    out = subprocess.run([EMBEDKIT, "eval", "--vectors", vectors,
                          "--analogies", os.path.join(DATA, "eval", "questions-words.txt"),
                          "--similarity", os.path.join(DATA, "eval", "ws353.txt"),
                          "--restrict", "30000", "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


EQUAL = ["--dim", "100", "--window", "5", "--negative", "5", "--sample", "1e-4", "--min-count", "5", "--epochs", "5"]


def command(tool, model, settings, corpus, lines, vec, stem, seed, args):
    t = str(args.threads)
    subwords = model.startswith("fasttext")
    if tool == "gensim":
        return ["/usr/bin/python3", "-c", GENSIM_SCRIPT, lines, vec, model, settings, str(args.lr), t, str(seed)]
    if tool == "fasttext":
        cmd = ["fasttext", "cbow" if model.endswith("cbow") else "skipgram", "-input", corpus, "-output", stem,
               "-thread", t, "-seed", str(seed), "-verbose", "0"]
        if settings == "equal":
            cmd += ["-dim", "100", "-ws", "5", "-neg", "5", "-t", "1e-4", "-minCount", "5", "-epoch", "5",
                    "-lr", str(args.lr), "-bucket", "2000000"]
            cmd += ["-minn", "3", "-maxn", "6"] if subwords else ["-minn", "0", "-maxn", "0"]
        return cmd
    extra = shlex.split(args.variants.get(tool, "")) if tool != "embedkit" else []
    if tool != "embedkit" and tool not in args.variants:
        sys.exit(f"unknown tool {tool} (give --variant {tool}='--flags')")
    cmd = [EMBEDKIT, "train", "--model", model, "--input", corpus, "--output", vec, "--threads", t,
           "--seed", str(seed), "-q"]
    if settings == "equal":
        base = EQUAL + ["--lr", str(args.lr)]
        if subwords:
            base += ["--minn", "3", "--maxn", "6", "--buckets", "2000000"]
        # A variant's flag replaces the same flag of the settings (--lr 0.05 against --lr 0.025).
        for flag, value in zip(base[0::2], base[1::2]):
            if flag not in extra:
                cmd += [flag, value]
    return cmd + extra


def run(cmd, log):
    start = time.monotonic()
    with open(log, "w") as err:
        proc = subprocess.run(cmd, stdout=err, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{open(log).read()[-3000:]}")
    return time.monotonic() - start


def main():
    global EMBEDKIT
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", default="text8-prefix")
    ap.add_argument("--models", default="fasttext,cbow")
    ap.add_argument("--tools", default="embedkit,gensim,fasttext")
    ap.add_argument("--settings", default="equal", help="equal, defaults, or equal,defaults")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--lr", type=float, default=0.025, help="the learning rate of every tool with equal settings")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--variant", action="append", default=[], metavar="NAME='FLAGS'")
    ap.add_argument("--embedkit", default=EMBEDKIT)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "embedkit-quality"))
    ap.add_argument("--json", help="append every run to this file (JSON lines)")
    args = ap.parse_args()
    EMBEDKIT = args.embedkit
    args.variants = dict(v.split("=", 1) for v in args.variant)
    rows = []
    for corpus_name in args.corpora.split(","):
        corpus, lines = prepare_corpus(corpus_name, args.workdir)
        for model in args.models.split(","):
            for settings in args.settings.split(","):
                for seed in [int(s) for s in args.seeds.split(",")]:
                    for tool in args.tools.split(","):
                        stem = os.path.join(args.workdir, f"{tool}-{model}-{settings}-{seed}")
                        vec = stem + ".vec"
                        cmd = command(tool, model, settings, corpus, lines, vec, stem, seed, args)
                        seconds = run(cmd, stem + ".log")
                        s = evaluate(vec)
                        row = dict(corpus=corpus_name, model=model, settings=settings, tool=tool, seed=seed,
                                   seconds=round(seconds, 1), analogy=s["analogies"]["overall"]["accuracy"],
                                   semantic=s["analogies"]["semantic"]["accuracy"],
                                   syntactic=s["analogies"]["syntactic"]["accuracy"],
                                   ws353=s["similarity"]["spearman"], command=" ".join(cmd))
                        rows.append(row)
                        print(f"{corpus_name} {model} {settings} {tool} seed {seed}: analogy {100 * row['analogy']:.2f}% "
                              f"WS353 {row['ws353']:.3f} ({seconds:.0f} s)", file=sys.stderr, flush=True)
                        if args.json:
                            with open(args.json, "a") as f:
                                f.write(json.dumps(row) + "\n")
    print_table(rows)


def print_table(rows):
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} (2 cores shared: wall times are indicative only)\n")
    print("| corpus | model | settings | tool | analogy mean (min-max) | syntactic | WS353 mean (min-max) | wall s | seeds |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|")
    keys = []
    for r in rows:
        k = (r["corpus"], r["model"], r["settings"], r["tool"])
        if k not in keys:
            keys.append(k)
    for k in keys:
        rs = [r for r in rows if (r["corpus"], r["model"], r["settings"], r["tool"]) == k]
        a = [100 * r["analogy"] for r in rs]
        w = [r["ws353"] for r in rs]
        syn = statistics.mean(100 * r["syntactic"] for r in rs)
        print(f"| {' | '.join(k)} | {statistics.mean(a):.2f}% ({min(a):.2f}-{max(a):.2f}) | {syn:.2f}% | "
              f"{statistics.mean(w):.3f} ({min(w):.3f}-{max(w):.3f}) | {statistics.mean(r['seconds'] for r in rs):.0f} | {len(rs)} |")


if __name__ == "__main__":
    main()
