#!/usr/bin/env python3
"""Side-by-side Word2Vec benchmark: embedkit, gensim and fastText on the same corpus, same run.

For each tool and model (skip-gram, CBOW) it trains with the same settings, measures wall time
and peak RSS of the whole process with /usr/bin/time -v, and scores the vectors with embedkit's
own evaluation (analogy accuracy on questions-words, top 30,000 words; WS353 Spearman).

Needs: build/bin/embedkit (Release build), /usr/bin/time, fasttext and python3-gensim from Debian
(with libopenblas0-pthread). Run with Debian's python: /usr/bin/python3 benchmarks/word2vec_vs_references.py
  --corpus text8-prefix|gutenberg100m|PATH  [--models skipgram,cbow] [--tools embedkit,gensim,fasttext]
  [--baseline OLD/bin/embedkit --tools embedkit,baseline,gensim]  (before/after a change, in one run)

--subwords compares the fastText subword models instead: `embedkit train --model fasttext|fasttext-cbow
--minn 3 --maxn 6 --buckets 2000000`, `fasttext skipgram|cbow -minn 3 -maxn 6 -bucket 2000000` and gensim's
`FastText(min_n=3, max_n=6, bucket=2000000)`, all with the settings above, and ends with the issue's
acceptance checks: analogy accuracy (overall, syntactic) and WS353 at most 1 point below the better
reference, wall time below fastText's, peak RSS at most 1.1x the smaller reference's.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from corpora import DATA, corpus_file, corpus_in_lines  # noqa: E402 (beside this script)
EMBEDKIT = os.path.join(ROOT, "build", "bin", "embedkit")

GENSIM_SCRIPT = r"""
import sys, logging
from gensim.models import Word2Vec, FastText
corpus, out, sg, lr, threads, subwords = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
common = dict(corpus_file=corpus, vector_size=100, window=5, negative=5, sample=1e-4, min_count=5,
              epochs=5, workers=threads, sg=sg, alpha=lr, seed=1)
if subwords:
    model = FastText(min_n=3, max_n=6, bucket=2000000, **common)
else:
    model = Word2Vec(**common)
model.wv.save_word2vec_format(out)
"""


def prepare_corpus(name, workdir):
    """Returns (path of the one-line corpus, path of the same tokens in lines of 1000 words)."""
    path = corpus_file(name, workdir)
    return path, corpus_in_lines(path, workdir)


def timed(cmd, log):
    """Runs cmd under /usr/bin/time -v; returns (wall seconds, peak RSS MiB)."""
    with open(log, "w") as err:
        proc = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=err, stderr=subprocess.STDOUT)
    text = open(log).read()
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{text[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    parts = [float(p) for p in wall.split(":")]
    seconds = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) == 3 else 0)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    return seconds, rss_kb / 1024.0


def evaluate(vectors):
    out = subprocess.run([EMBEDKIT, "eval", "--vectors", vectors,
                          "--analogies", os.path.join(DATA, "eval", "questions-words.txt"),
                          "--similarity", os.path.join(DATA, "eval", "ws353.txt"),
                          "--restrict", "30000", "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def count_tokens(path):
    with open(path, "rb") as f:
        return sum(len(chunk.split()) for chunk in iter(lambda: f.read(1 << 24), b""))


def main():
    global EMBEDKIT
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="text8-prefix")
    ap.add_argument("--models", default="skipgram,cbow")
    ap.add_argument("--tools", default="embedkit,gensim,fasttext")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "embedkit-bench"))
    ap.add_argument("--subwords", action="store_true", help="fastText subword models (minn 3, maxn 6, 2M buckets)")
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--embedkit", default=EMBEDKIT, help="the embedkit binary (default: build/bin/embedkit)")
    ap.add_argument("--baseline", help="another embedkit binary (an earlier build) run as tool 'baseline' "
                    "with the same settings, so before/after ratios come from one run; add baseline to --tools")
    args = ap.parse_args()
    EMBEDKIT = args.embedkit
    os.makedirs(args.workdir, exist_ok=True)
    corpus, corpus_lines = prepare_corpus(args.corpus, args.workdir)
    tokens = count_tokens(corpus)
    t = str(args.threads)
    rows = []
    for model in args.models.split(","):
        sg = model == "skipgram"
        lr = "0.025" if sg else "0.05"
        for tool in args.tools.split(","):
            stem = os.path.join(args.workdir, f"{tool}-{model}{'-sub' if args.subwords else ''}")
            vec = stem + ".vec"
            if tool in ("embedkit", "baseline"):
                if tool == "baseline" and not args.baseline:
                    sys.exit("--tools baseline needs --baseline PATH")
                name = ("fasttext" if sg else "fasttext-cbow") if args.subwords else model
                cmd = [EMBEDKIT if tool == "embedkit" else args.baseline, "train", "--model", name, "--input", corpus, "--output", vec,
                       "--dim", "100", "--window", "5", "--negative", "5", "--sample", "1e-4",
                       "--min-count", "5", "--epochs", "5", "--lr", lr, "--threads", t]
                if args.subwords:
                    cmd += ["--minn", "3", "--maxn", "6", "--buckets", "2000000"]
            elif tool == "gensim":
                cmd = ["/usr/bin/python3", "-c", GENSIM_SCRIPT, corpus_lines, vec, "1" if sg else "0", lr, t,
                       "1" if args.subwords else "0"]
            elif tool == "fasttext":
                minn, maxn = ("3", "6") if args.subwords else ("0", "0")
                cmd = ["fasttext", "skipgram" if sg else "cbow", "-input", corpus, "-output", stem,
                       "-dim", "100", "-ws", "5", "-neg", "5", "-t", "1e-4", "-minCount", "5", "-epoch", "5",
                       "-lr", lr, "-thread", t, "-minn", minn, "-maxn", maxn, "-bucket", "2000000", "-verbose", "0"]
            else:
                sys.exit(f"unknown tool {tool}")
            print(f"running {tool} {model} ...", file=sys.stderr, flush=True)
            seconds, rss = timed(cmd, stem + ".log")
            scores = evaluate(vec)
            row = dict(tool=tool, model=model, seconds=seconds, rss_mib=rss,
                       words_per_sec_per_thread=tokens * 5 / seconds / args.threads,
                       analogies=scores["analogies"], similarity=scores["similarity"])
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)

    print(f"\ncorpus: {args.corpus} ({tokens:,} tokens), threads {args.threads}, dim 100, window 5, negative 5, "
          f"sample 1e-4, min-count 5, epochs 5{', subwords 3-6, 2M buckets' if args.subwords else ''}\n")
    print("| model | tool | wall s | words/s/thread | peak RSS MiB | analogy all | sem | syn | answered | WS353 | time vs embedkit |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        ours = next((r for r in rows if r["model"] == row["model"] and r["tool"] == "embedkit"), None)
        ratio = f"{row['seconds'] / ours['seconds']:.2f}x" if ours else "-"
        a = row["analogies"]
        answered = a["overall"]["answered"]
        questions = answered + a["overall"]["skipped"]
        print(f"| {row['model']} | {row['tool']} | {row['seconds']:.1f} | {row['words_per_sec_per_thread']:,.0f} | "
              f"{row['rss_mib']:.0f} | {100 * a['overall']['accuracy']:.2f}% | {100 * a['semantic']['accuracy']:.2f}% | "
              f"{100 * a['syntactic']['accuracy']:.2f}% | {answered}/{questions} | "
              f"{row['similarity']['spearman']:.4f} | {ratio} |")
    print_speed_checks(rows, args.subwords)
    if args.subwords:
        print_subword_checks(rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


def print_speed_checks(rows, subwords):
    """The speed issue's targets against gensim (skip-gram 2.0x, CBOW 1.5x, subword skip-gram 2.0x) and
    its quality rule (analogy and WS353 at most 1 point below the best reference), when they ran."""
    targets = {"skipgram": 2.0} if subwords else {"skipgram": 2.0, "cbow": 1.5}
    lines = []
    for model, target in targets.items():
        by_tool = {r["tool"]: r for r in rows if r["model"] == model}
        ours, gensim = by_tool.get("embedkit"), by_tool.get("gensim")
        if ours is None or gensim is None:
            continue
        speedup = gensim["seconds"] / ours["seconds"]
        name = "subword skip-gram" if subwords else model
        lines.append(f"- {name}: {speedup:.2f}x gensim's speed (target {target}x): {'ok' if speedup >= target else 'FAIL'}")
        if "baseline" in by_tool:
            lines.append(f"  baseline build: {gensim['seconds'] / by_tool['baseline']['seconds']:.2f}x gensim's speed; "
                         f"this build takes {ours['seconds'] / by_tool['baseline']['seconds']:.2f}x the baseline's time")
        refs = [by_tool[t] for t in ("gensim", "fasttext") if t in by_tool]
        for label, score in (("analogy", lambda r: 100 * r["analogies"]["overall"]["accuracy"]),
                             ("WS353 x100", lambda r: 100 * r["similarity"]["spearman"])):
            best = max(refs, key=score)
            gap = score(ours) - score(best)
            lines.append(f"  {label}: embedkit {score(ours):.2f}, best reference {score(best):.2f} ({best['tool']}), "
                         f"{gap:+.2f} points: {'ok' if gap >= -1.0 else 'FAIL'}")
    if lines:
        print("\nspeed checks (issue 8, same run):")
        print("\n".join(lines))


def print_subword_checks(rows):
    """The fastText issue's acceptance checks, per model, when embedkit and both references ran."""
    print("\nacceptance checks (fastText subwords):")
    for model in dict.fromkeys(r["model"] for r in rows):
        by_tool = {r["tool"]: r for r in rows if r["model"] == model}
        ours = by_tool.get("embedkit")
        refs = [by_tool[t] for t in ("gensim", "fasttext") if t in by_tool]
        if ours is None or not refs:
            print(f"- {model}: needs embedkit and at least one reference")
            continue
        scores = {
            "analogy overall": lambda r: 100 * r["analogies"]["overall"]["accuracy"],
            "analogy syntactic": lambda r: 100 * r["analogies"]["syntactic"]["accuracy"],
            "WS353 x100": lambda r: 100 * r["similarity"]["spearman"],
        }
        for name, score in scores.items():
            best = max(refs, key=score)
            gap = score(ours) - score(best)
            verdict = "ok" if gap >= -1.0 else "FAIL"
            print(f"- {model} {name}: embedkit {score(ours):.2f}, best reference {score(best):.2f} ({best['tool']}), "
                  f"difference {gap:+.2f} points: {verdict}")
        if "fasttext" in by_tool:
            ratio = ours["seconds"] / by_tool["fasttext"]["seconds"]
            print(f"- {model} wall time: {ratio:.2f}x fastText's: {'ok' if ratio < 1 else 'FAIL'}")
        smallest = min(refs, key=lambda r: r["rss_mib"])
        ratio = ours["rss_mib"] / smallest["rss_mib"]
        print(f"- {model} peak RSS: {ours['rss_mib']:.0f} MiB, {ratio:.2f}x {smallest['tool']}'s "
              f"{smallest['rss_mib']:.0f} MiB: {'ok' if ratio <= 1.1 else 'FAIL'}")


if __name__ == "__main__":
    main()
