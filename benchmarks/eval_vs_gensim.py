#!/usr/bin/python3
"""Analogy and word-similarity figures: embedkit against gensim on the same vector file.

gensim's KeyedVectors.evaluate_word_analogies / evaluate_word_pairs (Debian python3-gensim) are
the reference. Run with the system Python (/usr/bin/python3), which has gensim:

  benchmarks/eval_vs_gensim.py compare --embedkit build/bin/embedkit            # planted vectors
  benchmarks/eval_vs_gensim.py compare --embedkit build/bin/embedkit --vectors my.vec --restrict 30000

`compare` makes (or takes) a vector file, evaluates it with gensim and with `embedkit eval --json`
in the same run, prints both side by side with their times, and exits 1 unless every figure agrees
to 4 decimals. Two helper modes are used by tests/eval/gensim_agreement_test.cpp:

  eval_vs_gensim.py make-vectors OUT [--seed N]       deterministic vectors with planted analogies
  eval_vs_gensim.py gensim VECTORS --analogies F --similarity F --restrict N --similarity-restrict M
      prints gensim's figures as tab-separated lines:
        section <name> <correct> <answered>      (one per section, in file order)
        analogy <correct> <answered> <oov questions>
        similarity <spearman> <pearson> <oov ratio %>
"""

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data", "eval"))


def read_question_words(path):
    words, sections = [], []
    with open(path, encoding="utf8") as f:
        for line in f:
            if line.startswith(":"):
                sections.append([])
                continue
            parts = line.split()
            if len(parts) == 4 and sections:
                sections[-1].append([p.lower() for p in parts])
                words.extend(p.lower() for p in parts)
    return words, sections


def read_pair_words(path):
    pairs = []
    with open(path, encoding="utf8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3:
                try:
                    pairs.append((parts[0].lower(), parts[1].lower(), float(parts[2])))
                except ValueError:
                    pass
    return pairs


def make_vectors(out, seed=7, dim=50, filler=1000, analogies=None, similarity=None):
    """Vectors in which b - a + c lands near d for many questions, some words are rarer than the
    usual restriction, a few words have capitalised variants, and word-pair cosines follow the
    human scores loosely. Deterministic for a seed."""
    import numpy as np

    analogies = analogies or os.path.join(SHARED, "questions-words.txt")
    similarity = similarity or os.path.join(SHARED, "ws353.txt")
    rng = np.random.default_rng(seed)
    q_words, sections = read_question_words(analogies)
    pairs = read_pair_words(similarity)
    vocab = list(dict.fromkeys(q_words + [w for p in pairs for w in p[:2]] + ["w%d" % i for i in range(filler)]))
    vocab = [vocab[i] for i in rng.permutation(len(vocab))]
    index = {w: i for i, w in enumerate(vocab)}
    vec = rng.standard_normal((len(vocab), dim)).astype(np.float64)
    for s, questions in enumerate(sections):
        relation = rng.standard_normal(dim) * 0.5
        for a, b, c, d in questions:
            for x, y in ((a, b), (c, d)):
                target = vec[index[x]] + relation + 2.5 * rng.standard_normal(dim)  # noise: not too easy
                vec[index[y]] = 0.85 * vec[index[y]] + 0.15 * target
    vec += 0.6 * rng.standard_normal(vec.shape)  # blur the planted structure: mid-range accuracy
    for a, b, score in pairs:
        if a != b:
            vec[index[b]] += (score / 10.0) * 0.5 * (vec[index[a]] - vec[index[b]])
    # Capitalised variants: some before their lower-case word (they then stand for it), some after.
    words, rows = list(vocab), [v for v in vec]
    for w in list(vocab[:40:4]):
        pos = int(rng.integers(0, len(words)))
        words.insert(pos, w.capitalize())
        rows.insert(pos, rng.standard_normal(dim))
    matrix = np.asarray(rows, dtype=np.float32)
    with open(out, "w", encoding="utf8") as f:
        f.write("%d %d\n" % matrix.shape)
        for w, row in zip(words, matrix):
            f.write(w + " " + " ".join("%.6g" % v for v in row) + "\n")
    return out


def is_binary(path):
    with open(path, "rb") as f:
        f.readline()
        chunk = f.read(4096)
    return any(b > 127 or (b < 32 and b not in (9, 10, 13)) for b in chunk)


def gensim_figures(vectors, analogies, similarity, restrict, similarity_restrict):
    from gensim.models import KeyedVectors

    logging.disable(logging.CRITICAL)
    kv = KeyedVectors.load_word2vec_format(vectors, binary=is_binary(vectors))
    result = {"sections": [], "analogy": None, "similarity": None}
    if analogies:
        t = time.time()
        _, sections = kv.evaluate_word_analogies(analogies, restrict_vocab=restrict, case_insensitive=True)
        result["analogy_seconds"] = time.time() - t
        total_questions = 0
        with open(analogies, encoding="utf8") as f:
            total_questions = sum(1 for line in f if not line.startswith(":") and len(line.split()) == 4)
        for s in sections[:-1]:
            result["sections"].append((s["section"], len(s["correct"]), len(s["correct"]) + len(s["incorrect"])))
        total = sections[-1]
        answered = len(total["correct"]) + len(total["incorrect"])
        result["analogy"] = (len(total["correct"]), answered, total_questions - answered)
    if similarity:
        t = time.time()
        pearson, spearman, oov = kv.evaluate_word_pairs(similarity, restrict_vocab=similarity_restrict,
                                                        case_insensitive=True)
        result["similarity_seconds"] = time.time() - t
        result["similarity"] = (float(spearman[0]), float(pearson[0]), float(oov))
    return result


def print_tsv(result):
    for name, correct, answered in result["sections"]:
        print("section\t%s\t%d\t%d" % (name, correct, answered))
    if result["analogy"]:
        print("analogy\t%d\t%d\t%d" % result["analogy"])
    if result["similarity"]:
        print("similarity\t%.17g\t%.17g\t%.17g" % result["similarity"])


def compare(args):
    with tempfile.TemporaryDirectory() as tmp:
        vectors = args.vectors or make_vectors(os.path.join(tmp, "planted.vec"), seed=args.seed)
        t = time.time()
        ref = gensim_figures(vectors, args.analogies, args.similarity, args.restrict, args.similarity_restrict)
        gensim_seconds = time.time() - t
        cmd = [args.embedkit, "eval", "--vectors", vectors, "--analogies", args.analogies, "--similarity",
               args.similarity, "--restrict", str(args.restrict), "--similarity-restrict",
               str(args.similarity_restrict), "--json", "--threads", str(args.threads)]
        t = time.time()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        embedkit_seconds = time.time() - t
        ours = json.loads(out)

    ok = True

    def row(name, theirs, mine, tol=0.5e-4):
        nonlocal ok
        agree = abs(theirs - mine) <= tol
        ok = ok and agree
        print("%-34s %12.6f %12.6f  %s" % (name, theirs, mine, "ok" if agree else "DIFFERENT"))

    print("vectors: %s  restrict %d (analogies), %d (pairs)" % (vectors if args.vectors else "planted (seed %d)"
                                                                  % args.seed, args.restrict,
                                                                  args.similarity_restrict))
    print("%-34s %12s %12s" % ("figure", "gensim", "embedkit"))
    for (name, correct, answered), mine in zip(ref["sections"], ours["analogies"]["sections"]):
        row("  " + name, correct / answered if answered else 0.0, mine["accuracy"])
        if (correct, answered) != (mine["correct"], mine["answered"]):
            ok = False
            print("    counts differ: gensim %d/%d, embedkit %d/%d" % (correct, answered, mine["correct"],
                                                                       mine["answered"]))
    sem = ref["sections"][:5]
    syn = ref["sections"][5:]
    for label, group, key in (("semantic", sem, "semantic"), ("syntactic", syn, "syntactic")):
        c = sum(s[1] for s in group)
        a = sum(s[2] for s in group)
        row(label, c / a if a else 0.0, ours["analogies"][key]["accuracy"])
    correct, answered, skipped = ref["analogy"]
    row("overall analogy accuracy", correct / answered if answered else 0.0, ours["analogies"]["overall"]["accuracy"])
    row("questions answered", answered, ours["analogies"]["overall"]["answered"], 0)
    row("questions skipped", skipped, ours["analogies"]["overall"]["skipped"], 0)
    spearman, pearson, oov = ref["similarity"]
    row("word pairs spearman", spearman, ours["similarity"]["spearman"])
    row("word pairs pearson", pearson, ours["similarity"]["pearson"])
    row("word pairs oov %", oov, 100.0 * (1.0 - ours["similarity"]["coverage"]))
    print("time: gensim %.2f s (analogies %.2f s), embedkit eval %.2f s (whole process, %d threads): "
          "gensim/embedkit = %.1fx" % (gensim_seconds, ref.get("analogy_seconds", 0.0), embedkit_seconds,
                                       args.threads, gensim_seconds / embedkit_seconds))
    print("AGREE to 4 decimals" if ok else "DISAGREE")
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    m = sub.add_parser("make-vectors")
    m.add_argument("out")
    m.add_argument("--seed", type=int, default=7)
    g = sub.add_parser("gensim")
    g.add_argument("vectors")
    for q in (g, sub.add_parser("compare")):
        q.add_argument("--analogies", default=os.path.join(SHARED, "questions-words.txt"))
        q.add_argument("--similarity", default=os.path.join(SHARED, "ws353.txt"))
        q.add_argument("--restrict", type=int, default=2000)
        q.add_argument("--similarity-restrict", type=int, default=300000)
        if q is not g:
            c = q
    c.add_argument("--embedkit", default=os.path.join(HERE, "..", "build", "bin", "embedkit"))
    c.add_argument("--vectors")
    c.add_argument("--seed", type=int, default=7)
    c.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    if args.mode == "make-vectors":
        make_vectors(args.out, seed=args.seed)
        return 0
    if args.mode == "gensim":
        print_tsv(gensim_figures(args.vectors, args.analogies, args.similarity, args.restrict,
                                 args.similarity_restrict))
        return 0
    return compare(args)


if __name__ == "__main__":
    sys.exit(main())
