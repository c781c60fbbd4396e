// libFuzzer target: training checkpoints (read_checkpoint, read_checkpoint_vocab) and resuming a
// run from one (resume_word2vec, resume_fasttext), through an in-memory file since they take a
// path. A file reads as float exactly when it reads as double; a file that reads whole also reads
// header-only, with the same header; a file that resumes gives a model of its vocabulary's size
// with finite parameters.
//
// The seeds (corpus/checkpoint/, written by make_checkpoint_seeds) were checkpointed on
// checkpoint_seed_corpus(), and every input is resumed on it, so inputs that keep the corpus
// fingerprint reach the training engine with the state they carry (positions, random states,
// learning rates, matrices). As in fuzz_fasttext_model, each input is also tried with its last 8
// bytes replaced by the right checksum, to reach the code behind that check.
#include "checkpoint_seed_run.hpp"
#include "fuzz_support.hpp"

#include <embedkit/detail/binary_io.hpp>
#include <embedkit/train/checkpoint.hpp>
#include <embedkit/models/fasttext.hpp>
#include <embedkit/models/word2vec.hpp>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

using namespace embedkit;
using embedkit::fuzz::accepts;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

bool same_header(const Checkpoint<float>& a, const Checkpoint<float>& b) {
    if (a.model != b.model || a.settings != b.settings || a.vocabulary != b.vocabulary || a.ids != b.ids ||
        a.corpus != b.corpus || a.state.processed != b.state.processed ||
        a.state.threads.size() != b.state.threads.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.state.threads.size(); ++i) {
        const detail::EngineThreadState& x = a.state.threads[i];
        const detail::EngineThreadState& y = b.state.threads[i];
        if (x.epoch != y.epoch || x.position != y.position || std::memcmp(x.rng.s, y.rng.s, sizeof x.rng.s) != 0 ||
            !same_bits(x.lr, y.lr) || !same_bits(x.loss, y.loss) || x.predictions != y.predictions) {
            return false;
        }
    }
    return true;
}

/// Whether resuming stays quick: the settings a mutation can inflate (epochs, window, negatives,
/// threads, buckets) are within a few times the seeds'. Settings that do not parse are let
/// through: resuming rejects them.
bool cheap_to_resume(const Checkpoint<float>& c) {
    const detail::SettingsReader s(c.settings, "<fuzz>");
    auto at_most = [&](const char* key, std::int64_t limit) {
        try {
            return s.integer(key) <= limit;
        } catch (const error&) {
            return true;
        }
    };
    return at_most("epochs", 4) && at_most("window", 8) && at_most("negative", 8) && at_most("threads", 2) &&
           (c.model != "fasttext" || at_most("buckets", 1 << 16));
}

template <class Model>
void check_resumed(const Model& model, std::size_t words) {
    EMBEDKIT_FUZZ_CHECK(model.vocab.size() == words);
    EMBEDKIT_FUZZ_CHECK(model.input.allFinite() && model.output.allFinite() && model.output_hs.allFinite());
}

void check_resumed(const FastTextModel<float>& model, std::size_t words) {
    EMBEDKIT_FUZZ_CHECK(model.vocab().size() == words);
    EMBEDKIT_FUZZ_CHECK(model.input().allFinite() && model.output().allFinite());
}

void check_checkpoint_file(const std::string& bytes) {
    const fuzz::MemoryFile file(bytes);
    const std::string& path = file.path();
    std::optional<Checkpoint<float>> whole;
    const bool as_float = accepts([&] { whole = read_checkpoint<float>(path); });
    const bool as_double = accepts([&] { (void)read_checkpoint<double>(path); });
    EMBEDKIT_FUZZ_CHECK(as_float == as_double);
    std::optional<Checkpoint<float>> header;
    (void)accepts([&] { header = read_checkpoint<float>(path, /*header_only=*/true); });
    if (whole) EMBEDKIT_FUZZ_CHECK(header && same_header(*whole, *header));
    Vocab vocab;
    if (accepts([&] { vocab = read_checkpoint_vocab(path); })) {
        EMBEDKIT_FUZZ_CHECK(header && vocab.size() == header->vocabulary.size());
    }
    if (!whole || !cheap_to_resume(*whole)) return;
    const CorpusView corpus = fuzz::checkpoint_seed_corpus().corpus.view();
    const std::size_t words = whole->vocabulary.size();
    if (whole->model == "fasttext") {
        std::optional<FastTextModel<float>> model;
        if (accepts([&] { model.emplace(resume_fasttext<float>(path, corpus)); })) check_resumed(*model, words);
    } else {
        std::optional<Word2VecModel<float>> model;
        if (accepts([&] { model.emplace(resume_word2vec<float>(path, corpus)); })) check_resumed(*model, words);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string bytes = fuzz::as_string(data, size);
    check_checkpoint_file(bytes);
    if (bytes.size() < 8) return 0;
    detail::Checksum64 checksum;
    checksum.update(bytes.data(), bytes.size() - 8);
    const std::uint64_t value = checksum.value();  // little-endian on the hosts we fuzz on
    std::memcpy(bytes.data() + bytes.size() - 8, &value, 8);
    check_checkpoint_file(bytes);
    return 0;
}
