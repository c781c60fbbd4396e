"""KeyedVectors: the NumPy matrix shared with C++, lookups, search and analogies against NumPy,
evaluation against gensim, vector files, fastText .bin models, to_gensim()."""
import os
import shutil
import subprocess

import numpy as np
import pytest

import embedkit
from conftest import shared, topic_sentences


@pytest.fixture()
def random_kv():
    rng = np.random.default_rng(11)
    keys = ["w%d" % i for i in range(300)]
    return embedkit.KeyedVectors(keys, rng.standard_normal((300, 12)).astype(np.float32))


@pytest.fixture(scope="module")
def text8_kv():
    """Skip-gram vectors of text8-prefix, one quick epoch: real vectors for the evaluations."""
    model = embedkit.Word2Vec(corpus_file=shared("text8-prefix"), vector_size=50, sg=1, sample=1e-4, epochs=1,
                              workers=2, progress=False)
    return model.wv


def unit(m):
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


def test_vectors_share_memory_with_the_cpp_matrix(random_kv):
    v = random_kv.vectors
    assert v.dtype == np.float32 and v.shape == (300, 12) and v.flags.writeable and not v.flags.owndata
    assert np.shares_memory(v, random_kv.vectors)  # every access is a view of the same matrix
    v[5] = 0.0
    v[5, 0] = 3.0
    # C++ reads the changed matrix: lookups, search and similarity see the write.
    np.testing.assert_array_equal(random_kv["w5"], v[5])
    v[7] = v[9] * 2
    assert random_kv.most_similar("w9", topn=1)[0][0] == "w7"
    assert random_kv.similarity("w7", "w9") == pytest.approx(1.0, abs=1e-6)
    # The view keeps the vectors alive after the object is gone.
    del random_kv
    assert v[5, 0] == 3.0


def test_lookups(random_kv):
    kv = random_kv
    assert len(kv) == 300 and kv.vector_size == 12 and not kv.is_fasttext
    assert kv.index_to_key[:3] == ["w0", "w1", "w2"] and kv.key_to_index["w42"] == 42
    assert kv.get_index("w42") == 42 and kv.has_index_for("w1") and not kv.has_index_for("zz")
    assert "w3" in kv and "zz" not in kv
    np.testing.assert_array_equal(kv["w3"], kv.vectors[3])
    np.testing.assert_array_equal(kv[["w3", "w4"]], kv.vectors[3:5])
    np.testing.assert_allclose(kv.get_vector("w3", norm=True), unit(kv.vectors[3]), rtol=1e-6)
    with pytest.raises(KeyError, match="zz"):
        kv["zz"]
    with pytest.raises(ValueError, match="2 words but 3 rows"):
        embedkit.KeyedVectors(["a", "b"], np.zeros((3, 2)))


def test_most_similar_matches_numpy(random_kv):
    kv = random_kv
    n = unit(kv.vectors.astype(np.float64))
    query = unit(unit(n[1]) + unit(n[2]) - unit(n[3]))  # gensim: the mean of the unit vectors
    scores = n @ query
    scores[[1, 2, 3]] = -np.inf
    expected = np.argsort(-scores)[:5]
    got = kv.most_similar(positive=["w1", "w2"], negative=["w3"], topn=5)
    assert [w for w, _ in got] == ["w%d" % i for i in expected]
    np.testing.assert_allclose([s for _, s in got], scores[expected], rtol=1e-4)
    # A single word, a vector, and restrict_vocab.
    assert kv.most_similar("w1", topn=3)[0][0] != "w1"
    assert kv.most_similar(positive=[kv["w1"]], topn=1)[0][0] == "w1"
    assert all(kv.key_to_index[w] < 50 for w, _ in kv.most_similar("w1", topn=10, restrict_vocab=50))
    with pytest.raises(KeyError):
        kv.most_similar("nope")


def test_similarity_matches_numpy(random_kv):
    a, b = random_kv.vectors[10].astype(np.float64), random_kv.vectors[20].astype(np.float64)
    assert random_kv.similarity("w10", "w20") == pytest.approx(a @ b / np.linalg.norm(a) / np.linalg.norm(b), rel=1e-6)


@pytest.mark.parametrize("method", ["3CosAdd", "3CosMul"])
def test_analogy_matches_numpy(random_kv, method):
    kv = random_kv
    n = unit(kv.vectors.astype(np.float64))
    a, b, c = n[4], n[5], n[6]
    if method == "3CosAdd":
        scores = n @ unit(b - a + c)
    else:
        cos = lambda x: (n @ x + 1) / 2  # noqa: E731
        scores = cos(b) * cos(c) / (cos(a) + 0.001)
    scores[[4, 5, 6]] = -np.inf
    expected = np.argsort(-scores)[:3]
    got = kv.analogy("w4", "w5", "w6", topn=3, method=method)
    assert [w for w, _ in got] == ["w%d" % i for i in expected]
    with pytest.raises(ValueError, match="method"):
        kv.analogy("w4", "w5", "w6", method="3CosDiv")


def test_evaluations_match_gensim(text8_kv):
    gensim = pytest.importorskip("gensim")
    del gensim
    analogies = shared("eval/questions-words.txt")
    pairs = shared("eval/ws353.txt")
    g = text8_kv.to_gensim()
    score, sections = text8_kv.evaluate_word_analogies(analogies)
    g_score, g_sections = g.evaluate_word_analogies(analogies)
    assert score == pytest.approx(g_score, abs=1e-4)
    assert [s["section"] for s in sections] == [s["section"] for s in g_sections]
    for ours, theirs in zip(sections, g_sections):
        assert ours["correct"] == pytest.approx(len(theirs["correct"]), abs=2)
        assert ours["correct"] + ours["incorrect"] == len(theirs["correct"]) + len(theirs["incorrect"])
    (pearson, _), (spearman, _), oov = text8_kv.evaluate_word_pairs(pairs)
    g_pearson, g_spearman, g_oov = g.evaluate_word_pairs(pairs)
    assert pearson == pytest.approx(g_pearson[0], abs=1e-4)
    assert spearman == pytest.approx(g_spearman[0], abs=1e-4)
    assert oov == pytest.approx(g_oov, abs=1e-9)
    with pytest.raises(FileNotFoundError):
        text8_kv.evaluate_word_pairs("/nonexistent/ws353.txt")


def test_to_gensim(random_kv):
    pytest.importorskip("gensim")
    g = random_kv.to_gensim()
    assert list(g.index_to_key) == random_kv.index_to_key
    np.testing.assert_array_equal(g.vectors, random_kv.vectors)
    assert not np.shares_memory(g.vectors, random_kv.vectors)


@pytest.mark.parametrize("name,binary", [("v.txt", False), ("v.bin", True), ("v.vec", None)])
def test_save_and_load_round_trip(random_kv, tmp_path, name, binary):
    path = str(tmp_path / name)
    if binary is None:
        random_kv.save(path)  # .vec: text
    else:
        random_kv.save_word2vec_format(path, binary=binary)
    for loaded in (embedkit.KeyedVectors.load(path), embedkit.KeyedVectors.load_word2vec_format(path, binary=binary)):
        assert loaded.index_to_key == random_kv.index_to_key
        np.testing.assert_array_equal(loaded.vectors, random_kv.vectors)
    assert len(embedkit.KeyedVectors.load_word2vec_format(path, limit=10)) == 10
    # gensim reads what we write.
    gensim_models = pytest.importorskip("gensim.models")
    g = gensim_models.KeyedVectors.load_word2vec_format(path, binary=bool(binary))
    np.testing.assert_allclose(g.vectors, random_kv.vectors, rtol=1e-6)


def test_bad_vector_files_raise_os_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        embedkit.KeyedVectors.load(str(tmp_path / "missing.vec"))
    bad = tmp_path / "bad.vec"
    bad.write_text("2 3\na 1 2 3\nb 1 x 3\n")
    with pytest.raises(OSError, match="bad.vec:3"):
        embedkit.KeyedVectors.load(str(bad))
    kv = embedkit.KeyedVectors(["a"], np.ones((1, 2), np.float32))
    with pytest.raises(OSError):
        kv.save(str(tmp_path / "no" / "such" / "dir.vec"))


def test_fasttext_bin_models_are_read(tmp_path, topic_file):
    if shutil.which("fasttext") is None:
        pytest.skip("the fasttext command is not installed (apt-get install fasttext)")
    out = str(tmp_path / "ft")
    subprocess.run(["fasttext", "skipgram", "-input", topic_file, "-output", out, "-dim", "10", "-epoch", "1",
                    "-minCount", "1", "-minn", "2", "-maxn", "4", "-bucket", "1000", "-thread", "1", "-verbose", "0"],
                   check=True)
    kv = embedkit.load_facebook_vectors(out + ".bin")
    assert kv.is_fasttext and kv.vector_size == 10 and "horse" in kv.key_to_index
    queries = ["horse", "horses", "cats"]  # one seen word, two unseen ones
    printed = subprocess.run(["fasttext", "print-word-vectors", out + ".bin"], input="\n".join(queries) + "\n",
                             capture_output=True, text=True, check=True).stdout.split("\n")
    for word, line in zip(queries, printed):
        fields = line.split()
        assert fields[0] == word
        np.testing.assert_allclose(kv[word], np.array(fields[1:], dtype=np.float32), rtol=1e-4, atol=1e-5)
    assert embedkit.load_facebook_model(out + ".bin").wv.vector_size == 10
    with pytest.raises(FileNotFoundError):
        embedkit.load_facebook_vectors(str(tmp_path / "missing.bin"))


def test_fasttext_model_saved_by_embedkit_loads_with_unseen_words(tmp_path):
    sentences, _ = topic_sentences(500)
    wv = embedkit.FastText(sentences=sentences, vector_size=8, min_count=1, min_n=2, max_n=4, bucket=500,
                           epochs=1, progress=False).wv
    path = str(tmp_path / "model.ekft")
    wv.save_fasttext_model(path)
    loaded = embedkit.load_facebook_vectors(path)
    np.testing.assert_allclose(loaded["horses"], wv["horses"], rtol=1e-6)
    np.testing.assert_allclose(loaded.vectors, wv.vectors, rtol=1e-6)
