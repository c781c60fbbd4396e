// Training checkpoints: the file format (round trip, every kind of corruption), and runs stopped
// and resumed at arbitrary points ending bit-identical to runs never stopped.

#include <embedkit/train/checkpoint.hpp>
#include <embedkit/models/fasttext.hpp>
#include <embedkit/models/word2vec.hpp>

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"
#include "support/test_files.hpp"
#include "support/zipf_corpus.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace embedkit;
using embedkit::testing::TempDir;
namespace fs = std::filesystem;

namespace {

/// 120,000 tokens over 400 words with Zipf-like frequencies, in sentences of 1..60 words.
std::pair<Vocab, Corpus> zipf_corpus(std::uint64_t seed) { return embedkit::testing::zipf_corpus(seed, 400, 120'000, 60); }

Word2VecOptions options_for(Word2VecArchitecture architecture, bool hs) {
    Word2VecOptions o;
    o.architecture = architecture;
    o.dim = 12;
    o.epochs = 3;
    o.sample = 1e-3;
    o.hierarchical_softmax = hs;
    o.negative = hs ? 0 : 5;
    o.threads = 1;
    o.seed = 5;
    o.progress_interval = 0;  // the callback runs at every synchronisation point (every 10,000 words)
    return o;
}

/// A progress callback that raises `stop` at its `at`-th call.
ProgressCallback stop_at(std::atomic<bool>& stop, int at) {
    auto calls = std::make_shared<int>(0);
    return [&stop, at, calls](const TrainingProgress&) {
        if (++*calls == at) stop.store(true);
        return true;
    };
}

using embedkit::testing::file_bytes;
using embedkit::testing::put_file;

}  // namespace

TEST_CASE("word2vec stopped and resumed several times ends bit-identical to an uninterrupted run", "[checkpoint]") {
    const auto [vocab, corpus] = zipf_corpus(1);
    const TempDir dir;
    const std::string path = dir.file("run.ckpt");
    struct Variant {
        const char* name;
        Word2VecArchitecture architecture;
        bool hs;
    };
    for (const Variant v : {Variant{"skip-gram", Word2VecArchitecture::skipgram, false},
                            Variant{"cbow", Word2VecArchitecture::cbow, false},
                            Variant{"skip-gram hs", Word2VecArchitecture::skipgram, true}}) {
        INFO(v.name);
        const Word2VecOptions base = options_for(v.architecture, v.hs);
        const auto reference = train_word2vec(vocab, corpus.view(), base);

        // Stop after 3, then 7, then 2 more progress reports (the run has about 36), resuming each time.
        std::atomic<bool> stop{false};
        Word2VecOptions first = base;
        first.checkpoint.path = path;
        first.stop_requested = &stop;
        first.progress = stop_at(stop, 3);
        CHECK_THROWS_AS(train_word2vec(vocab, corpus.view(), first), cancelled);
        REQUIRE(fs::exists(path));
        int resumes = 0;
        std::optional<Word2VecModel<float>> finished;
        for (const int at : {7, 2}) {
            stop.store(false);
            ResumeOptions r;
            r.checkpoint.path = path;
            r.stop_requested = &stop;
            r.progress = stop_at(stop, at);
            r.progress_interval = 0;
            CHECK_THROWS_AS(resume_word2vec(path, corpus.view(), r), cancelled);
            ++resumes;
        }
        CHECK(resumes == 2);
        finished.emplace(resume_word2vec(path, corpus.view()));
        CHECK(finished->input == reference.input);
        CHECK(finished->output == reference.output);
        CHECK(finished->output_hs == reference.output_hs);
        CHECK(finished->vocab.words() == reference.vocab.words());
        CHECK(finished->options.epochs == base.epochs);
        CHECK(finished->options.lr == base.initial_lr(vocab.total_count()));  // the rate the corpus size chose
    }
}

TEST_CASE("periodic checkpoints leave the result unchanged, and any of them resumes to it", "[checkpoint]") {
    const auto [vocab, corpus] = zipf_corpus(2);
    const TempDir dir;
    Word2VecOptions o = options_for(Word2VecArchitecture::skipgram, false);
    const auto reference = train_word2vec(vocab, corpus.view(), o);
    o.checkpoint.path = dir.file("every.ckpt");
    o.checkpoint.every_seconds = 1e-9;  // at every synchronisation point
    int calls = 0;
    std::set<std::string> middles;
    o.progress = [&](const TrainingProgress&) {
        // The checkpoint of the previous synchronisation point, kept for resuming below.
        if (++calls % 9 == 0 && fs::exists(o.checkpoint.path)) {
            const std::string copy = dir.file("middle" + std::to_string(calls) + ".ckpt");
            fs::copy_file(o.checkpoint.path, copy);
            middles.insert(copy);
        }
        return true;
    };
    const auto checkpointed = train_word2vec(vocab, corpus.view(), o);
    CHECK(checkpointed.input == reference.input);
    CHECK(checkpointed.output == reference.output);
    REQUIRE(middles.size() >= 3);
    for (const auto& middle : middles) {
        INFO(middle);
        const auto resumed = resume_word2vec(middle, corpus.view());
        CHECK(resumed.input == reference.input);
        CHECK(resumed.output == reference.output);
    }
}

TEST_CASE("fasttext stopped and resumed ends bit-identical to an uninterrupted run", "[checkpoint]") {
    const auto [vocab, corpus] = zipf_corpus(3);
    const TempDir dir;
    const std::string path = dir.file("ft.ckpt");
    for (const auto architecture : {Word2VecArchitecture::skipgram, Word2VecArchitecture::cbow}) {
        FastTextOptions o;
        o.word2vec = options_for(architecture, false);
        o.minn = 2;
        o.maxn = 4;
        o.buckets = 5000;
        const auto reference = train_fasttext(vocab, corpus.view(), o);
        std::atomic<bool> stop{false};
        o.word2vec.checkpoint.path = path;
        o.word2vec.stop_requested = &stop;
        o.word2vec.progress = stop_at(stop, 11);
        CHECK_THROWS_AS(train_fasttext(vocab, corpus.view(), o), cancelled);
        // Checkpoints know their model: a fastText one does not resume as Word2Vec.
        CHECK_THROWS_WITH(resume_word2vec(path, corpus.view()), Catch::Contains("not of word2vec"));
        const auto resumed = resume_fasttext(path, corpus.view());
        CHECK(resumed.input() == reference.input());
        CHECK(resumed.output() == reference.output());
        CHECK(resumed.stored_buckets() == reference.stored_buckets());
        CHECK(resumed.subwords().maxn == 4);
        CHECK(resumed.word_vector("word3") == reference.word_vector("word3"));
    }
}

TEST_CASE("a run checkpointed on ids in memory resumes on the same ids mapped from a file", "[checkpoint]") {
    // The CLI keeps small corpora in memory and streams large ones (a mapped file): both give the
    // same corpus fingerprint, so a run may stop on one and resume on the other.
    const auto [vocab, corpus] = zipf_corpus(11);
    const TempDir dir;
    corpus.save(dir.file("corpus.ekc"));
    const MappedCorpus mapped(dir.file("corpus.ekc"));
    CHECK(fingerprint(mapped.view()) == fingerprint(corpus.view()));
    const Word2VecOptions base = options_for(Word2VecArchitecture::skipgram, false);
    const auto reference = train_word2vec(vocab, corpus.view(), base);
    std::atomic<bool> stop{false};
    Word2VecOptions o = base;
    o.checkpoint.path = dir.file("run.ckpt");
    o.stop_requested = &stop;
    o.progress = stop_at(stop, 5);
    CHECK_THROWS_AS(train_word2vec(vocab, corpus.view(), o), cancelled);
    const auto resumed = resume_word2vec(o.checkpoint.path, mapped.view());
    CHECK(resumed.input == reference.input);
    CHECK(resumed.output == reference.output);
}

TEST_CASE("resuming checks the corpus, the vocabulary file and the thread count", "[checkpoint]") {
    const auto [vocab, corpus] = zipf_corpus(4);
    const TempDir dir;
    Word2VecOptions o = options_for(Word2VecArchitecture::cbow, false);
    std::atomic<bool> stop{false};
    o.checkpoint.path = dir.file("c.ckpt");
    o.stop_requested = &stop;
    o.progress = stop_at(stop, 2);
    o.threads = 2;
    CHECK_THROWS_AS(train_word2vec(vocab, corpus.view(), o), cancelled);

    // The vocabulary comes back in id order, so the corpus encodes to the same ids.
    const Vocab saved = read_checkpoint_vocab(o.checkpoint.path);
    CHECK(saved.words() == vocab.words());
    CHECK(saved.counts() == vocab.counts());

    const auto [other_vocab, other_corpus] = zipf_corpus(5);
    CHECK_THROWS_WITH(resume_word2vec(o.checkpoint.path, other_corpus.view()),
                      Catch::Contains("not the one this run was checkpointed on"));
    // Two threads: not bit-reproducible, but it resumes, keeps the two threads and finishes.
    const auto resumed = resume_word2vec(o.checkpoint.path, corpus.view());
    CHECK(resumed.options.threads == 2);
    CHECK(resumed.input.allFinite());
    CHECK(resumed.input.rows() == static_cast<Eigen::Index>(vocab.size()));
}

TEST_CASE("corrupt checkpoints are rejected with the file and the byte offset", "[checkpoint]") {
    const auto [vocab, corpus] = zipf_corpus(6);
    const TempDir dir;
    Word2VecOptions o = options_for(Word2VecArchitecture::skipgram, false);
    std::atomic<bool> stop{false};
    o.checkpoint.path = dir.file("good.ckpt");
    o.stop_requested = &stop;
    o.progress = stop_at(stop, 4);
    CHECK_THROWS_AS(train_word2vec(vocab, corpus.view(), o), cancelled);
    const std::string good = file_bytes(o.checkpoint.path);
    REQUIRE(good.size() > 1000);
    const auto c = read_checkpoint<float>(o.checkpoint.path);
    CHECK(c.model == "word2vec");
    CHECK(c.vocabulary.size() == vocab.size());
    CHECK(c.state.threads.size() == 1);
    CHECK(c.state.processed > 0);
    CHECK(c.matrices.size() == 3);
    CHECK(read_checkpoint<double>(o.checkpoint.path).matrices.size() == 3);  // float files load as double too

    // A named view: clang 14 cannot capture a structured binding (C++20 allows it; clang 16 does).
    const auto view = corpus.view();
    auto expect = [&](const std::string& name, std::string bytes, const std::string& message) {
        INFO(name);
        const std::string path = dir.file(name);
        put_file(path, bytes);
        try {
            (void)resume_word2vec(path, view);
            FAIL("no error for " << name);
        } catch (const io_error& e) {
            CHECK_THAT(e.what(), Catch::Contains(path));
            CHECK_THAT(e.what(), Catch::Contains(message));
        }
    };
    expect("empty.ckpt", "", "truncated");
    expect("magic.ckpt", "NOTACKPT" + good.substr(8), "wrong magic number");
    std::string version = good;
    version[8] = 9;
    expect("version.ckpt", version, "unsupported checkpoint version 9");
    expect("truncated.ckpt", good.substr(0, good.size() / 2), "truncated");
    expect("short.ckpt", good.substr(0, good.size() - 3), "truncated");
    std::string flipped = good;
    flipped[flipped.size() - 200] = static_cast<char>(flipped[flipped.size() - 200] ^ 0x10);
    expect("flipped.ckpt", flipped, "checksum mismatch");
    expect("trailing.ckpt", good + "x", "unexpected bytes after the checksum");
    CHECK_THROWS_AS(read_checkpoint<float>(dir.file("missing.ckpt")), io_error);
}

TEST_CASE("a checkpoint whose vocabulary is smaller than the corpus's ids does not resume", "[checkpoint]") {
    // The corpus fingerprint matches, but the vocabulary (and every matrix) lost its rarer half:
    // resuming used to train on rows past the end of the matrices.
    const auto [vocab, corpus] = zipf_corpus(8);
    const TempDir dir;
    Word2VecOptions o = options_for(Word2VecArchitecture::skipgram, false);
    std::atomic<bool> stop{false};
    o.checkpoint.path = dir.file("full.ckpt");
    o.stop_requested = &stop;
    o.progress = stop_at(stop, 2);
    CHECK_THROWS_AS(train_word2vec(vocab, corpus.view(), o), cancelled);
    auto c = read_checkpoint<float>(o.checkpoint.path);
    std::vector<std::string> words;
    std::vector<std::int64_t> counts;
    const std::size_t kept = c.vocabulary.size() / 2;
    for (std::size_t i = 0; i < kept; ++i) {
        words.push_back(c.vocabulary[i].first);
        counts.push_back(c.vocabulary[i].second);
    }
    std::vector<RowMatrix<float>> shrunk;
    for (const auto& [name, m] : c.matrices) {
        shrunk.push_back(m.rows() > 0 ? RowMatrix<float>(m.topRows(static_cast<Eigen::Index>(kept))) : m);
    }
    CheckpointContents<float> contents;
    contents.model = c.model;
    contents.settings = c.settings;
    contents.words = &words;
    contents.counts = &counts;
    contents.corpus = c.corpus;
    for (std::size_t i = 0; i < c.matrices.size(); ++i) contents.matrices.emplace_back(c.matrices[i].first, &shrunk[i]);
    const std::string path = dir.file("short-vocabulary.ckpt");
    write_checkpoint(path, contents, c.state);
    REQUIRE(read_checkpoint_vocab(path).size() == kept);
    CHECK_THROWS_WITH(resume_word2vec(path, corpus.view()),
                      Catch::Contains(path) && Catch::Contains("is outside the vocabulary of " + std::to_string(kept) + " words"));
}

TEST_CASE("a diverging run never overwrites its last good checkpoint", "[checkpoint]") {
    const auto [vocab, corpus] = zipf_corpus(7);
    const TempDir dir;
    Word2VecOptions o = options_for(Word2VecArchitecture::skipgram, false);
    std::atomic<bool> stop{false};
    o.checkpoint.path = dir.file("last-good.ckpt");
    o.stop_requested = &stop;
    o.progress = stop_at(stop, 2);
    CHECK_THROWS_AS(train_word2vec(vocab, corpus.view(), o), cancelled);
    const std::string good = file_bytes(o.checkpoint.path);
    // The same run again with a learning rate that diverges at once, checkpointing all the time.
    Word2VecOptions wild = options_for(Word2VecArchitecture::skipgram, false);
    wild.lr = 1e30;
    wild.checkpoint.path = o.checkpoint.path;
    wild.checkpoint.every_seconds = 1e-9;
    CHECK_THROWS_AS(train_word2vec(vocab, corpus.view(), wild), numeric_error);
    const std::string after = file_bytes(o.checkpoint.path);
    if (after != good) {
        // A checkpoint written before the loss overflowed must still hold finite numbers.
        const auto c = read_checkpoint<float>(o.checkpoint.path);
        for (const auto& [name, m] : c.matrices) CHECK(m.allFinite());
    }
    CHECK_NOTHROW(read_checkpoint<float>(o.checkpoint.path));
}
