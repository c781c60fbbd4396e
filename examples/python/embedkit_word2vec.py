#!/usr/bin/env python3
"""The embedkit port of gensim_word2vec.py.
Skip-gram and FastText on a text file in lines, then neighbours, an analogy, an unseen word, the
standard evaluations, the vectors saved; gensim_word2vec.py and embedkit_word2vec.py differ only
in their import and first line. Run: /usr/bin/python3 THIS_FILE [CORPUS] [EVAL_DIR]"""
from embedkit import Word2Vec, FastText
import os
import sys
import time

data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data")
corpus = sys.argv[1] if len(sys.argv) > 1 else "/tmp/text8-prefix.lines"
evaluation = sys.argv[2] if len(sys.argv) > 2 else os.path.join(data, "eval")


class Sentences:
    """One token list per line; gensim reads it once for the vocabulary and once per epoch."""

    def __init__(self, path):
        self.path = path

    def __iter__(self):
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                yield line.split()


start = time.perf_counter()
model = Word2Vec(sentences=Sentences(corpus), vector_size=100, window=5, min_count=5, sg=1, negative=5,
                 sample=1e-4, workers=2, epochs=5)
print("skip-gram trained in %.1f s, %d words" % (time.perf_counter() - start, len(model.wv.index_to_key)))
wv = model.wv
print("king ->", [w for w, _ in wv.most_similar("king", topn=5)])
print("man : king :: woman : ?", wv.most_similar(positive=["king", "woman"], negative=["man"], topn=3))
print("similarity(france, paris) = %.3f" % wv.similarity("france", "paris"))
print("analogy accuracy %.2f%%" % (100 * wv.evaluate_word_analogies(os.path.join(evaluation, "questions-words.txt"),
                                                                  restrict_vocab=30000)[0]))
print("WS353 Spearman %.3f" % wv.evaluate_word_pairs(os.path.join(evaluation, "ws353.txt"))[1][0])
wv.save_word2vec_format("/tmp/skipgram.vec")

start = time.perf_counter()
fasttext = FastText(corpus_file=corpus, vector_size=100, window=5, min_count=5, sg=1, min_n=3, max_n=6,
                    workers=2, epochs=5)
print("FastText trained in %.1f s" % (time.perf_counter() - start))
print("unseen 'kingdomship' ->", [w for w, _ in fasttext.wv.most_similar("kingdomship", topn=5)])
