// Checkpoints written before the training runtime was split out of the Word2Vec engine (format
// version 1: tests/fuzz/make_checkpoint_seeds.cpp of commit b04c0f8, built by GCC 12 with
// -O2 -march=native -mno-avx512f like the Release tests) still resume, and the resumed run ends
// where a run that was never stopped ends: bit for bit in the flavour that wrote them.

#include <embedkit/models/fasttext.hpp>
#include <embedkit/models/word2vec.hpp>
#include <embedkit/train/checkpoint.hpp>

#include <catch2/catch.hpp>

#include "support/build_flavour.hpp"
#include "support/zipf_corpus.hpp"

#include <string>

using namespace embedkit;

namespace {

const std::string kOldCheckpoints = std::string(EMBEDKIT_TEST_DATA_DIR) + "/checkpoints-v1/";

/// The corpus the old checkpoints were written on (tests/fuzz/checkpoint_seed_run.hpp).
const std::pair<Vocab, Corpus>& old_checkpoint_corpus() {
    static const std::pair<Vocab, Corpus> data = testing::zipf_corpus(2024, 40, 12'000, 30);
    return data;
}

/// The largest absolute difference between two matrices of the same shape.
float max_difference(const RowMatrix<float>& a, const RowMatrix<float>& b) {
    REQUIRE(a.rows() == b.rows());
    REQUIRE(a.cols() == b.cols());
    return a.size() == 0 ? 0.0f : (a - b).cwiseAbs().maxCoeff();
}

// The checkpoints hold parameters computed by the build that wrote them; a build with other
// floating-point kernels (FMA or not) continues them with its own rounding, which grows to
// 5e-4 in the fastText run (measured with seeds written by a clang build and resumed by GCC,
// by b04c0f8's code and by this one alike). A wrong resume (another position, rate or random
// state) differs by the order of the vectors themselves.
float allowed_difference() { return testing::build_flavour() == "avx2-fma/gcc" ? 0.0f : 2e-3f; }

}  // namespace

TEST_CASE("version 1 Word2Vec checkpoints resume to the uninterrupted run", "[checkpoint]") {
    const auto& [vocab, corpus] = old_checkpoint_corpus();
    for (const char* name : {"seed-skipgram.ckpt", "seed-cbow-hs.ckpt"}) {
        const std::string path = kOldCheckpoints + name;
        CAPTURE(path);
        const Checkpoint<float> header = read_checkpoint<float>(path, /*header_only=*/true);
        CHECK(header.state.processed > 0);
        CHECK(header.state.processed < 2 * corpus.token_count());
        const Word2VecModel<float> resumed = resume_word2vec<float>(path, corpus.view());
        Word2VecOptions fresh = resumed.options;
        fresh.checkpoint = {};
        const Word2VecModel<float> whole = train_word2vec<float>(vocab, corpus.view(), fresh);
        CHECK(max_difference(resumed.input, whole.input) <= allowed_difference());
        CHECK(max_difference(resumed.output, whole.output) <= allowed_difference());
        CHECK(max_difference(resumed.output_hs, whole.output_hs) <= allowed_difference());
        CHECK(whole.input.cwiseAbs().maxCoeff() > 0.05f);  // the vectors are not all tiny
    }
}

TEST_CASE("a version 1 fastText checkpoint resumes to the uninterrupted run", "[checkpoint]") {
    const auto& [vocab, corpus] = old_checkpoint_corpus();
    const std::string path = kOldCheckpoints + "seed-fasttext.ckpt";
    const FastTextModel<float> resumed = resume_fasttext<float>(path, corpus.view());
    const Checkpoint<float> header = read_checkpoint<float>(path, /*header_only=*/true);
    FastTextOptions fresh = detail::fasttext_options_from(detail::SettingsReader(header.settings, path));
    const FastTextModel<float> whole = train_fasttext<float>(vocab, corpus.view(), fresh);
    CHECK(resumed.stored_buckets() == whole.stored_buckets());
    CHECK(max_difference(resumed.input(), whole.input()) <= allowed_difference());
    CHECK(max_difference(resumed.output(), whole.output()) <= allowed_difference());
}
