"""Training from Python: gensim's names, files and iterables, every trainer, progress, errors,
the GIL released and Ctrl-C."""
import _thread
import os
import signal
import threading
import time

import numpy as np
import pytest

import embedkit
from conftest import topic_separation, topic_sentences

SMALL = dict(vector_size=16, window=3, min_count=1, epochs=3, workers=2, progress=False)


def test_gensim_names_set_the_cpp_options():
    m = embedkit.Word2Vec(vector_size=32, window=7, min_count=2, sg=1, hs=1, negative=0, ns_exponent=0.5,
                          cbow_mean=0, sample=1e-4, workers=3, epochs=9, alpha=0.1, min_alpha=0.001, seed=42,
                          batch_words=10000, progress=False)
    o = m.options
    assert (o.dim, o.window, o.min_count, o.architecture) == (32, 7, 2, "skipgram")
    assert o.hierarchical_softmax and o.negative == 0 and o.negative_power == 0.5 and not o.cbow_mean
    assert (o.sample, o.threads, o.epochs, o.lr, o.seed) == (1e-4, 3, 9, 0.1, 42)
    assert o.min_lr_ratio == pytest.approx(0.01)
    # The C++ names work too, and gensim's default architecture is CBOW.
    m = embedkit.Word2Vec(dim=20, threads=1, lr=0.05, hierarchical_softmax=True, progress=False)
    assert (m.options.dim, m.options.threads, m.options.lr, m.options.architecture) == (20, 1, 0.05, "cbow")
    f = embedkit.FastText(vector_size=24, min_n=2, max_n=4, bucket=1000, sg=1, progress=False)
    assert (f.options.word2vec.dim, f.options.minn, f.options.maxn, f.options.buckets) == (24, 2, 4, 1000)
    assert f.options.word2vec.architecture == "skipgram"


@pytest.mark.parametrize("settings", [dict(sg=1), dict(sg=0), dict(sg=1, hs=1, negative=0), dict(sg=0, hs=1, negative=5)])
def test_word2vec_learns_planted_topics_from_an_iterable(topics, settings):
    sentences, words = topics
    m = embedkit.Word2Vec(sentences=sentences, **SMALL, **settings)
    assert sorted(m.wv.index_to_key) == sorted(words[0] + words[1])
    assert m.wv.vectors.shape == (16, 16)
    assert topic_separation(m.wv, words) > 0.3


def test_file_and_iterable_give_the_same_corpus_and_vectors(topics, topic_file):
    sentences, _ = topics
    a = embedkit.Word2Vec(sentences=sentences, sg=1, seed=3, **dict(SMALL, workers=1))
    b = embedkit.Word2Vec(corpus_file=topic_file, sg=1, seed=3, **dict(SMALL, workers=1))
    assert a.wv.index_to_key == b.wv.index_to_key
    assert a.corpus_total_words == b.corpus_total_words == sum(len(s) for s in sentences)
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)


def test_an_iterable_is_read_once_in_chunks():
    sentences, _ = topic_sentences(2000)
    reads = []

    def stream():
        reads.append(1)
        for s in sentences:
            yield s

    corpus = embedkit.corpus_from_sentences(stream(), min_count=1, chunk_tokens=100)
    assert len(reads) == 1
    assert corpus.token_count == sum(len(s) for s in sentences)
    assert corpus.sentence_count == len(sentences)
    # min_count drops rare words and the sentences they leave empty.
    rare = embedkit.corpus_from_sentences([["a", "b"], ["rare"], ["a", "b"]], min_count=2)
    assert rare.words == ["a", "b"] and rare.sentence_count == 2


def test_build_vocab_then_train_as_in_gensim(topics):
    sentences, words = topics
    m = embedkit.Word2Vec(**SMALL, sg=1)
    m.build_vocab(sentences)
    assert m.corpus_count == len(sentences)
    m.train(sentences=None, total_examples=m.corpus_count, epochs=4)
    assert m.epochs == 4 and topic_separation(m.wv, words) > 0.3


def test_fasttext_vectors_for_unseen_words(topics):
    sentences, words = topics
    m = embedkit.FastText(sentences=sentences, sg=1, min_n=2, max_n=4, bucket=5000, **SMALL)
    assert m.wv.is_fasttext and topic_separation(m.wv, words) > 0.3
    unseen = "horses"
    assert unseen not in m.wv.key_to_index and unseen in m.wv
    v = m.wv[unseen]
    assert v.shape == (16,) and np.linalg.norm(v) > 0
    # It shares n-grams with "horse", and so is closer to it than to a colour.
    assert m.wv.similarity(unseen, "horse") > m.wv.similarity(unseen, "purple")
    with pytest.raises(KeyError):
        m.wv["\u4e00"]  # one character: no n-gram of length 2..4 is stored


def test_glove_and_ppmi_svd_learn_planted_topics(topics):
    sentences, words = topics
    # GloVe fits only the cells that occur: give the topics some co-occurrence to push apart.
    mixed, _ = topic_sentences(mix=0.15)
    g = embedkit.GloVe(sentences=mixed, vector_size=8, window=3, min_count=1, epochs=30, workers=2, progress=False)
    assert g.wv.vectors.shape == (16, 8) and topic_separation(g.wv, words) > 0.3
    p = embedkit.PpmiSvd(sentences=sentences, vector_size=4, window=3, min_count=1, workers=2, progress=False)
    assert p.wv.vectors.shape == (16, 4) and topic_separation(p.wv, words) > 0.3


@pytest.mark.parametrize("loss", ["infonce", "nt-xent", "mnrl", "triplet", "logistic"])
def test_pair_trainer_learns_planted_groups(loss):
    _, words = topic_sentences(10)
    rng = np.random.default_rng(1)
    pairs = []
    for _ in range(3000):
        group = words[rng.integers(2)]
        a, p = rng.choice(group, 2, replace=False)
        pairs.append((str(a), str(p)))
    m = embedkit.train_pairs(pairs, loss=loss, vector_size=8, epochs=5, batch_size=32, workers=2, progress=False)
    assert len(m.epoch_loss) == 5 and m.positive_wv is None
    assert topic_separation(m.wv, words) > 0.3
    two = embedkit.train_pairs([("user%d" % i, "item%d" % (i % 3)) for i in range(300)], two_tower=True,
                               vector_size=4, epochs=2, progress=False)
    assert sorted(two.positive_wv.index_to_key) == ["item0", "item1", "item2"] and len(two.wv) == 300


def test_progress_callback_reports_and_can_stop(topics):
    sentences, _ = topics
    quiet = {k: v for k, v in SMALL.items() if k != "progress"}
    reports = []
    embedkit.Word2Vec(sentences=sentences, progress=lambda p: reports.append(p), **quiet)
    assert reports and reports[-1].fraction == 1.0
    assert all(r.loss >= 0 and r.words_per_sec_per_thread >= 0 and r.eta_seconds >= 0 for r in reports)
    corpus, options = _long_run()
    options.pop("progress")
    t0 = time.monotonic()
    with pytest.raises(embedkit.Cancelled):
        embedkit.Word2Vec(sentences=corpus, progress=lambda p: False, progress_interval=0, **options)
    with pytest.raises(ZeroDivisionError):
        embedkit.Word2Vec(sentences=corpus, progress=lambda p: 1 / 0, progress_interval=0, **options)
    assert time.monotonic() - t0 < 5  # both stopped long before their 500 epochs


def test_tqdm_progress_bar(topics, capsys):
    pytest.importorskip("tqdm")
    sentences, _ = topics
    embedkit.Word2Vec(sentences=sentences, **dict(SMALL, progress=True))
    assert "100%" in capsys.readouterr().err


def test_invalid_input_raises_python_exceptions(topics, tmp_path):
    sentences, _ = topics
    with pytest.raises(ValueError, match="dim"):
        embedkit.Word2Vec(vector_size=0, progress=False)
    with pytest.raises(ValueError, match="negative"):
        embedkit.Word2Vec(negative=-1, progress=False)
    with pytest.raises(ValueError, match="architecture"):
        embedkit.Word2Vec(architecture="glove", progress=False)
    with pytest.raises(TypeError, match="unexpected option 'vector_sise'"):
        embedkit.Word2Vec(vector_sise=10, progress=False)
    with pytest.raises(FileNotFoundError) as e:
        embedkit.Word2Vec(corpus_file=str(tmp_path / "missing.txt"), progress=False)
    assert e.value.filename.endswith("missing.txt")
    with pytest.raises(TypeError, match="sentence 1 is a str"):
        embedkit.Word2Vec(sentences=[["a", "b"], "a b"], progress=False)
    with pytest.raises(TypeError, match="sentence 0, token 1 is a int"):
        embedkit.Word2Vec(sentences=[["a", 3]], progress=False)
    with pytest.raises(ValueError, match="min_count = 50"):
        embedkit.Word2Vec(sentences=[["a", "b"]], min_count=50, progress=False)
    with pytest.raises(ValueError, match="loss"):
        embedkit.train_pairs([("a", "b")], loss="hinge", progress=False)


def _long_run():
    # 200,000 tokens over 1,000 words, no subsampling: about 1 s per 5 epochs on a loaded 2-core machine.
    rng = np.random.default_rng(5)
    words = np.array(["w%d" % i for i in range(1000)])
    sentences = [list(words[rng.integers(0, 1000, 20)]) for _ in range(10000)]
    corpus = embedkit.corpus_from_sentences(sentences, min_count=1)
    return corpus, dict(vector_size=64, window=5, sg=1, sample=0, epochs=500, workers=1, progress=False)


def test_the_gil_is_released_while_training():
    corpus, options = _long_run()
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    thread = threading.Thread(target=count)
    thread.start()
    t0 = time.monotonic()
    try:
        embedkit.Word2Vec(sentences=corpus, **dict(options, epochs=10))
    finally:
        stop.set()
        thread.join()
    t1 = time.monotonic()
    during = [t for t in ticks if t0 < t < t1]
    # With the GIL held by the call the thread would not run at all during it; released, it ticks
    # about every millisecond (far less often on a loaded machine, hence the low bar).
    assert t1 - t0 > 0.2 and len(during) >= 20, (t1 - t0, len(during))


@pytest.mark.parametrize("how", ["interrupt_main", "sigint"])
def test_keyboard_interrupt_stops_training_within_a_second(how):
    corpus, options = _long_run()

    def interrupt():
        if how == "interrupt_main":
            _thread.interrupt_main()
        else:
            os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.5, interrupt)
    t0 = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        embedkit.Word2Vec(sentences=corpus, **options)
    elapsed = time.monotonic() - t0
    timer.join()
    assert elapsed < 0.5 + 1.0, "training stopped %.2f s after the interrupt" % (elapsed - 0.5)
    # The module still works after an interrupted run.
    small = embedkit.Word2Vec(sentences=[["a", "b", "c"]] * 50, vector_size=4, min_count=1, epochs=1, progress=False)
    assert small.wv.vectors.shape == (3, 4)
