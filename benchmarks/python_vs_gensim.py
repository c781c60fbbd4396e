#!/usr/bin/env python3
"""The same gensim script, and its embedkit port (only the import differs), side by side in one run.

For skip-gram, CBOW and FastText (corpus_file=), and skip-gram fed a Python iterable of token lists
(sentences=, one list per line of the corpus file, which has lines of 1,000 tokens), it runs one gensim process and one embedkit process after the other, each timing its
training call, scoring its vectors with its own `wv.evaluate_word_analogies` (questions-words,
restrict_vocab=30000, 3CosAdd) and `wv.evaluate_word_pairs` (WS353 Spearman; embedkit's match
gensim's to 1e-4, tests/python/test_keyed_vectors.py), and reporting its peak RSS (VmHWM). It prints a
table with the speed ratios and the quality differences, and appends JSON rows to --out as it goes.

Settings: gensim's usual ones written out (vector_size 100, window 5, negative 5, min_count 5,
5 epochs), sample 1e-4 as in README's tables, 2 workers; FastText with n-grams 3..6 and 2M buckets.

Needs: the module built (build/python), python3-gensim; run with Debian's python:
  /usr/bin/python3 benchmarks/python_vs_gensim.py [--corpus gutenberg100m|text8-prefix|PATH]
      [--runs skipgram,skipgram-iterable,cbow,fasttext] [--work /tmp/pyvsgensim] [--out FILE]
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from corpora import DATA, corpus_file, corpus_in_lines  # noqa: E402 (beside this script)

# The script a gensim user has; the embedkit run changes only its first line.
SCRIPT = r'''
from gensim.models import Word2Vec, FastText
import json, sys, time

corpus, questions, ws353, run = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]


class Lines:
    """The corpus file's lines as token lists (LineSentence's job, in plain Python); restartable."""

    def __init__(self, path):
        self.path = path

    def __iter__(self):
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                yield line.split()


settings = dict(vector_size=100, window=5, negative=5, sample=1e-4, min_count=5, epochs=5, workers=2, seed=1)
source = dict(sentences=Lines(corpus)) if run.endswith("-iterable") else dict(corpus_file=corpus)
start = time.perf_counter()
if run.startswith("fasttext"):
    model = FastText(sg=1, min_n=3, max_n=6, bucket=2000000, **source, **settings)
else:
    model = Word2Vec(sg=0 if run.startswith("cbow") else 1, **source, **settings)
train_seconds = time.perf_counter() - start
analogy = model.wv.evaluate_word_analogies(questions, restrict_vocab=30000)[0]
ws = model.wv.evaluate_word_pairs(ws353)[1][0]
# VmHWM, not getrusage's ru_maxrss: that one survives exec, so it would report the parent's peak.
with open("/proc/self/status") as status:
    peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps(dict(train_seconds=train_seconds, analogy=100 * float(analogy), ws353=float(ws),
                      words=len(model.wv.index_to_key), peak_rss_mib=peak_kib / 1024)))
'''
EMBEDKIT_IMPORT = "from embedkit import Word2Vec, FastText"


def prepare_corpus(name, work):
    """The corpus in lines of 1,000 tokens: gensim's corpus_file mode reads lines, and the
    iterable yields one list per line."""
    return corpus_in_lines(corpus_file(name, work), work)


def run_script(script, args, env):
    done = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit("run failed (%d):\n%s" % (done.returncode, done.stderr[-3000:]))
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="gutenberg100m")
    parser.add_argument("--runs", default="skipgram,skipgram-iterable,cbow,fasttext")
    parser.add_argument("--work", default="/tmp/pyvsgensim")
    parser.add_argument("--out", default=None, help="append one JSON row per process here")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    corpus = prepare_corpus(args.corpus, args.work)
    questions = os.path.join(DATA, "eval", "questions-words.txt")
    ws353 = os.path.join(DATA, "eval", "ws353.txt")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "build", "python"), PYTHONDONTWRITEBYTECODE="1")
    ported = SCRIPT.replace("from gensim.models import Word2Vec, FastText", EMBEDKIT_IMPORT, 1)
    assert ported != SCRIPT
    rows = []
    for run in args.runs.split(","):
        results = {}
        for tool, script in (("gensim", SCRIPT), ("embedkit", ported)):
            r = run_script(script, [corpus, questions, ws353, run], env)
            r.update(tool=tool, run=run, corpus=os.path.basename(corpus))
            results[tool] = r
            print(json.dumps(r), flush=True)
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps(r) + "\n")
        rows.append(results)
    print("\n| run | gensim s | embedkit s | speed-up | analogy gensim / embedkit | WS353 gensim / embedkit | peak RSS MiB gensim / embedkit |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        g, e = r["gensim"], r["embedkit"]
        print("| %s | %.1f | %.1f | %.2fx | %.2f%% / %.2f%% | %.3f / %.3f | %.0f / %.0f |" % (
            g["run"], g["train_seconds"], e["train_seconds"], g["train_seconds"] / e["train_seconds"],
            g["analogy"], e["analogy"], g["ws353"], e["ws353"], g["peak_rss_mib"], e["peak_rss_mib"]))


if __name__ == "__main__":
    main()
