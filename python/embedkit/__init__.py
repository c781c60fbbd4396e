"""embedkit: train and serve word embeddings from Python, on embedkit's C++ core.

The classes take gensim's names, so a gensim script ports by changing its import::

    from embedkit import Word2Vec          # was: from gensim.models import Word2Vec
    model = Word2Vec(sentences=sentences, vector_size=100, window=5, sg=1, workers=2)
    model.wv.most_similar("king", topn=5)

Every option of the C++ options structs is accepted under its own name too (dim, threads, lr,
hierarchical_softmax ...). Training, searching and reading files release the GIL; Ctrl-C stops a
training run within a second (KeyboardInterrupt). See docs/python.md.
"""

import errno as _errno
import os as _os
import sys as _sys

from . import _embedkit
from ._embedkit import (  # noqa: F401  (re-exported)
    Cancelled,
    CooccurrenceOptions,
    Corpus,
    FastTextOptions,
    GloveOptions,
    KeyedVectors,
    NumericError,
    PairTrainerOptions,
    PpmiSvdOptions,
    TrainingProgress,
    Word2VecOptions,
    corpus_from_sentences,
    load_fasttext_model,
    load_word2vec_format,
    read_corpus_file,
)
from ._embedkit import losses  # noqa: F401

__version__ = _embedkit.__version__

__all__ = [
    "Word2Vec", "FastText", "GloVe", "PpmiSvd", "train_pairs", "PairModel", "KeyedVectors", "Corpus",
    "Word2VecOptions", "FastTextOptions", "GloveOptions", "PpmiSvdOptions", "PairTrainerOptions",
    "CooccurrenceOptions", "TrainingProgress", "Cancelled", "NumericError", "load_word2vec_format",
    "load_facebook_vectors", "load_facebook_model", "read_corpus_file", "corpus_from_sentences", "losses",
    "tqdm_progress",
]

# gensim's name -> the C++ field, and how its value converts.
_GENSIM_WORD2VEC = {
    "vector_size": ("dim", int),
    "workers": ("threads", int),
    "alpha": ("lr", float),
    "hs": ("hierarchical_softmax", bool),
    "ns_exponent": ("negative_power", float),
    "cbow_mean": ("cbow_mean", bool),
    "iter": ("epochs", int),
}
_GENSIM_FASTTEXT = {"min_n": "minn", "max_n": "maxn", "bucket": "buckets"}
# gensim options that change nothing here (how gensim batches or reports), accepted so scripts run.
_IGNORED = {"batch_words", "compute_loss", "sorted_vocab", "comment", "callbacks", "word_ngrams"}
# Options of the corpus, not of a trainer.
_CORPUS = {"min_count", "max_final_vocab"}


def _check_file(path):
    if not _os.path.exists(path):
        raise FileNotFoundError(_errno.ENOENT, "No such file or directory", str(path))


def _set(options, name, value, what):
    if not hasattr(options, name):
        raise TypeError("%s got an unexpected option %r" % (what, name))
    try:
        setattr(options, name, value)
    except TypeError as e:
        raise ValueError("%s.%s: cannot take %r (%s)" % (what, name, value, e)) from None


class _TqdmProgress:
    """A progress callback drawing a tqdm bar: percent done, loss, words/s per thread, ETA."""

    def __init__(self, desc):
        from tqdm import tqdm

        self._bar = tqdm(total=100, desc=desc, unit="%", bar_format="{l_bar}{bar}| {n:.0f}% [{elapsed}<{remaining}{postfix}]")
        self._last = 0.0

    def __call__(self, p):
        done = 100.0 * p.fraction
        self._bar.update(max(0.0, done - self._last))
        self._last = max(self._last, done)
        self._bar.set_postfix(loss="%.4f" % p.loss, words_s="%.0f" % p.words_per_sec_per_thread, refresh=False)
        if p.fraction >= 1.0:
            self.close()
        return True

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def tqdm_progress(desc="training"):
    """A progress callback that draws a tqdm bar (tqdm must be installed)."""
    return _TqdmProgress(desc)


def _progress_callback(progress, desc):
    """'auto': a tqdm bar when stderr is a terminal and tqdm is installed; True: a tqdm bar;
    None/False: nothing; else a callable taking a TrainingProgress (return False to stop)."""
    if progress is None or progress is False:
        return None
    if progress == "auto":
        if not (hasattr(_sys.stderr, "isatty") and _sys.stderr.isatty()):
            return None
        try:
            return _TqdmProgress(desc)
        except ImportError:
            return None
    if progress is True:
        return _TqdmProgress(desc)
    if not callable(progress):
        raise TypeError("progress must be 'auto', True, False, None or a callable taking a TrainingProgress")
    return progress


def _run(train, corpus, options, progress, interval, desc):
    callback = _progress_callback(progress, desc)
    try:
        return train(corpus, options, callback, interval)
    finally:
        if isinstance(callback, _TqdmProgress):
            callback.close()


def _read_corpus(sentences, corpus_file, min_count, max_final_vocab):
    if (sentences is None) == (corpus_file is None):
        raise TypeError("give exactly one of sentences (corpus_iterable) and corpus_file")
    if corpus_file is not None:
        _check_file(corpus_file)
        return read_corpus_file(str(corpus_file), min_count=min_count, max_vocab_size=max_final_vocab or 0)
    if isinstance(sentences, Corpus):
        return sentences
    return corpus_from_sentences(sentences, min_count=min_count, max_vocab_size=max_final_vocab or 0)


def _word2vec_options(options, kwargs, what):
    """Fills Word2VecOptions `options` from C++ and gensim names; returns the corpus options."""
    corpus = {"min_count": 5, "max_final_vocab": None}
    alpha = None
    min_alpha = None
    for name, value in kwargs.items():
        if name in _IGNORED:
            continue
        if name in _CORPUS:
            corpus[name] = value
            if name == "min_count":
                options.min_count = int(value)
        elif name == "sg":
            options.architecture = "skipgram" if value else "cbow"
        elif name == "min_alpha":
            min_alpha = float(value)
        elif name in _GENSIM_WORD2VEC:
            field, convert = _GENSIM_WORD2VEC[name]
            _set(options, field, None if value is None else convert(value), what)
            if name == "alpha":
                alpha = float(value)
        else:
            _set(options, name, value, what)
    if min_alpha is not None:
        start = alpha if alpha is not None else options.lr if options.lr is not None else (
            0.025 if options.architecture == "skipgram" else 0.05)
        options.min_lr_ratio = min_alpha / start
    options.validate()
    return corpus


class _Trained:
    """What Word2Vec and FastText share: build_vocab, then train (or both at construction)."""

    def build_vocab(self, corpus_iterable=None, corpus_file=None, **_ignored):
        """Reads the corpus once (a file, or an iterable of token lists) and keeps it for train()."""
        self.corpus = _read_corpus(corpus_iterable, corpus_file, self._corpus_options["min_count"],
                                   self._corpus_options["max_final_vocab"])
        self.corpus_count = self.corpus.sentence_count
        self.corpus_total_words = self.corpus.token_count
        return self

    def train(self, corpus_iterable=None, corpus_file=None, epochs=None, **_ignored):
        """Trains on the corpus given here or to build_vocab; sets and returns self.wv."""
        if corpus_iterable is not None or corpus_file is not None:
            self.build_vocab(corpus_iterable, corpus_file)
        if getattr(self, "corpus", None) is None:
            raise RuntimeError("train(): no corpus; call build_vocab() first or give sentences/corpus_file")
        if epochs is not None:
            self._epochs_option(int(epochs))
        self.wv = _run(self._trainer, self.corpus, self.options, self._progress, self._interval, type(self).__name__)
        return self.wv


class Word2Vec(_Trained):
    """Word2Vec (skip-gram or CBOW; negative sampling and/or hierarchical softmax).

    gensim's names (vector_size, window, min_count, sg, hs, negative, ns_exponent, cbow_mean,
    sample, workers, epochs, alpha, min_alpha, seed, max_final_vocab) and the C++ names of
    Word2VecOptions (dim, threads, lr, min_lr_ratio, hierarchical_softmax, architecture,
    shared_negatives, init_scale, negative_power ...) are both accepted. As in gensim, sg=0
    (CBOW) unless sg=1 or architecture='skipgram' is given; alpha defaults to 0.025 for
    skip-gram and 0.05 for CBOW (word2vec.c's), workers to every core.
    """

    def __init__(self, sentences=None, corpus_file=None, corpus_iterable=None, progress="auto",
                 progress_interval=1.0, **options):
        if corpus_iterable is not None:
            sentences = corpus_iterable
        self.options = Word2VecOptions()
        if "sg" not in options and "architecture" not in options:
            self.options.architecture = "cbow"
        self._corpus_options = _word2vec_options(self.options, options, "Word2Vec")
        self._progress = progress
        self._interval = progress_interval
        self.vector_size = self.options.dim
        self.epochs = self.options.epochs
        self.wv = None
        self.corpus = None
        if sentences is not None or corpus_file is not None:
            self.train(sentences, corpus_file)

    def _epochs_option(self, epochs):
        self.options.epochs = epochs
        self.epochs = epochs

    @staticmethod
    def _trainer(corpus, options, callback, interval):
        return _embedkit.train_word2vec(corpus, options, callback, interval)


class FastText(_Trained):
    """fastText's subword model: Word2Vec's options plus min_n/minn, max_n/maxn, bucket/buckets
    (and the FastTextOptions fields gensim_input_scale, update_per_prediction). `wv` gives
    vectors for words never seen in training, from their character n-grams."""

    def __init__(self, sentences=None, corpus_file=None, corpus_iterable=None, progress="auto",
                 progress_interval=1.0, **options):
        if corpus_iterable is not None:
            sentences = corpus_iterable
        self.options = FastTextOptions()
        if "sg" not in options and "architecture" not in options:
            self.options.word2vec.architecture = "cbow"
        own = {}
        for name in list(options):
            if name in _GENSIM_FASTTEXT or name in ("minn", "maxn", "buckets", "gensim_input_scale",
                                                    "update_per_prediction"):
                own[_GENSIM_FASTTEXT.get(name, name)] = options.pop(name)
        w2v = self.options.word2vec
        self._corpus_options = _word2vec_options(w2v, options, "FastText")
        self.options.word2vec = w2v
        for name, value in own.items():
            _set(self.options, name, value, "FastText")
        self.options.validate()
        self._progress = progress
        self._interval = progress_interval
        self.vector_size = w2v.dim
        self.epochs = w2v.epochs
        self.wv = None
        self.corpus = None
        if sentences is not None or corpus_file is not None:
            self.train(sentences, corpus_file)

    def _epochs_option(self, epochs):
        w2v = self.options.word2vec
        w2v.epochs = epochs
        self.options.word2vec = w2v
        self.epochs = epochs

    @staticmethod
    def _trainer(corpus, options, callback, interval):
        return _embedkit.train_fasttext(corpus, options, callback, interval)


def _cooccurrence_model_options(options, kwargs, what):
    corpus = {"min_count": 5, "max_final_vocab": None}
    aliases = {"vector_size": "dim", "workers": "threads", "iter": "epochs"}
    cooccurrence = options.cooccurrence
    for name, value in kwargs.items():
        if name in _CORPUS:
            corpus[name] = value
        elif name == "window":
            cooccurrence.window = int(value)
        elif name == "memory_mb" or name == "temp_dir" or name == "distance_weighting" or name == "max_open_files":
            setattr(cooccurrence, name, value)
        else:
            _set(options, aliases.get(name, name), value, what)
    cooccurrence.threads = options.threads
    options.cooccurrence = cooccurrence
    options.validate()
    return corpus


class GloVe:
    """GloVe (Pennington et al. 2014): GloveOptions' fields (dim or vector_size, x_max, alpha,
    epochs, lr, threads or workers, seed, add_context_vectors), window/memory_mb/temp_dir for the
    co-occurrence counting, min_count. The vectors are in `wv`."""

    def __init__(self, sentences=None, corpus_file=None, progress="auto", progress_interval=1.0, **options):
        self.options = GloveOptions()
        corpus = _cooccurrence_model_options(self.options, options, "GloVe")
        self.corpus = _read_corpus(sentences, corpus_file, corpus["min_count"], corpus["max_final_vocab"])
        self.wv = _run(_embedkit.train_glove, self.corpus, self.options, progress, progress_interval, "GloVe")
        self.vector_size = self.options.dim


class PpmiSvd:
    """PPMI-SVD (Levy et al. 2015): PpmiSvdOptions' fields (dim or vector_size,
    context_smoothing, eigenvalue_power, oversampling, power_iterations, threads or workers,
    seed), window/memory_mb/temp_dir for the counting, min_count. The vectors are in `wv`."""

    def __init__(self, sentences=None, corpus_file=None, progress="auto", progress_interval=1.0, **options):
        self.options = PpmiSvdOptions()
        corpus = _cooccurrence_model_options(self.options, options, "PpmiSvd")
        self.corpus = _read_corpus(sentences, corpus_file, corpus["min_count"], corpus["max_final_vocab"])
        self.wv = _run(_embedkit.train_ppmi_svd, self.corpus, self.options, progress, progress_interval, "PpmiSvd")
        self.vector_size = self.options.dim


class PairModel:
    """What train_pairs returns: `wv` (anchor or shared vectors), `positive_wv` (the positive
    tower, or None with one table) and `epoch_loss` (mean loss per pair of every epoch)."""

    def __init__(self, wv, positive_wv, epoch_loss, options):
        self.wv = wv
        self.positive_wv = positive_wv
        self.epoch_loss = list(epoch_loss)
        self.options = options


def train_pairs(pairs, progress="auto", progress_interval=1.0, **options):
    """Trains the contrastive pair trainer on (anchor, positive) pairs: a list of 2-tuples of str
    keys, or the path of a pairs file. Options are PairTrainerOptions' fields (loss = 'infonce',
    'nt-xent', 'mnrl', 'triplet' or 'logistic'; dim or vector_size; epochs; batch_size; negatives;
    two_tower; optimizer; lr ...). Returns a PairModel."""
    o = PairTrainerOptions()
    aliases = {"vector_size": "dim", "workers": "threads", "alpha": "lr"}
    for name, value in options.items():
        _set(o, aliases.get(name, name), value, "train_pairs")
    o.validate()
    if isinstance(pairs, (str, _os.PathLike)):
        _check_file(pairs)
        pairs = str(pairs)
    else:
        pairs = [(str(a), str(p)) for a, p in pairs]
    callback = _progress_callback(progress, "pairs")
    try:
        wv, positive_wv, loss = _embedkit.train_pairs(pairs, o, callback, progress_interval)
    finally:
        if isinstance(callback, _TqdmProgress):
            callback.close()
    return PairModel(wv, positive_wv, loss, o)


# ---- KeyedVectors: what the C++ class leaves to Python ----

def _key_to_index(self):
    cached = self.__dict__.get("_key_to_index_cache")
    if cached is None:
        cached = self._key_to_index()
        self.__dict__["_key_to_index_cache"] = cached
    return cached


def _index_to_key(self):
    cached = self.__dict__.get("_index_to_key_cache")
    if cached is None:
        cached = self._index_to_key()
        self.__dict__["_index_to_key_cache"] = cached
    return cached


def _save(self, fname, binary=None):
    """Writes word2vec vectors: binary when binary=True or the name ends in .bin, else text (.vec)."""
    if binary is None:
        binary = str(fname).endswith(".bin")
    self.save_word2vec_format(str(fname), binary=binary)


def _load(fname, binary=None):
    """Reads word2vec text, .vec or binary vectors (binary=None detects the format)."""
    _check_file(fname)
    return load_word2vec_format(str(fname), binary=binary)


def _to_gensim(self):
    """A gensim KeyedVectors with the same keys and a copy of the vectors (needs gensim).
    For fastText vectors only the vocabulary words are carried over."""
    import numpy as np
    from gensim.models import KeyedVectors as GensimKeyedVectors

    out = GensimKeyedVectors(self.vector_size, count=0, dtype=np.float32)
    out.add_vectors(list(self.index_to_key), np.array(self.vectors, dtype=np.float32, copy=True))
    return out


def _load_word2vec_format(fname, binary=None, limit=None):
    _check_file(fname)
    return load_word2vec_format(str(fname), binary=binary, limit=limit or 0)


KeyedVectors.key_to_index = property(_key_to_index, doc="dict: word -> row (built once).")
KeyedVectors.index_to_key = property(_index_to_key, doc="list of the words, row order (built once).")
KeyedVectors.save = _save
KeyedVectors.load = staticmethod(_load)
KeyedVectors.load_word2vec_format = staticmethod(_load_word2vec_format)
KeyedVectors.to_gensim = _to_gensim


def load_facebook_vectors(path):
    """KeyedVectors from a fastText .bin model (or an embedkit fastText model): vectors for any
    word, seen in training or composed from its character n-grams."""
    _check_file(path)
    return load_fasttext_model(str(path))


class _LoadedFastText:
    def __init__(self, wv):
        self.wv = wv
        self.vector_size = wv.vector_size


def load_facebook_model(path):
    """An object with `.wv` (see load_facebook_vectors); it serves vectors, it does not train."""
    return _LoadedFastText(load_facebook_vectors(path))
