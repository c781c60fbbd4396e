#include <embedkit/models/word2vec.hpp>

#include <catch2/catch.hpp>

#include "support/cosine.hpp"
#include "support/resident_memory.hpp"
#include "support/temp_dir.hpp"
#include "support/zipf_corpus.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

using namespace embedkit;

namespace {

/// Two topics of `per_topic` words each; every sentence draws its words from one topic only,
/// so a working trainer must put words of the same topic close together.
std::pair<Vocab, Corpus> planted_topics(int per_topic, int sentences, std::uint64_t seed) {
    std::vector<std::pair<std::string, std::int64_t>> counts;
    detail::Rng rng(seed);
    std::vector<TokenId> ids;
    std::vector<std::int64_t> freq(static_cast<std::size_t>(2 * per_topic), 0);
    for (int s = 0; s < sentences; ++s) {
        const int topic = static_cast<int>(rng.below(2));
        for (int k = 0; k < 20; ++k) {
            const int w = topic * per_topic + static_cast<int>(rng.below(static_cast<std::uint64_t>(per_topic)));
            ids.push_back(w);
            ++freq[static_cast<std::size_t>(w)];
        }
        ids.push_back(kSentenceEnd);
    }
    for (int w = 0; w < 2 * per_topic; ++w) counts.emplace_back("w" + std::to_string(w), freq[static_cast<std::size_t>(w)]);
    VocabOptions vo;
    vo.min_count = 1;
    Vocab vocab = Vocab::from_counts(counts, vo);
    // Vocab ids are by descending count: remap our word numbers to them.
    for (auto& id : ids) {
        if (id != kSentenceEnd) id = vocab.at("w" + std::to_string(id));
    }
    return {std::move(vocab), Corpus::from_ids(std::move(ids))};
}

using embedkit::testing::cosine;

/// Mean cosine within topics minus mean cosine across topics.
double topic_separation(const Word2VecModel<float>& model, int per_topic) {
    double within = 0, across = 0;
    int n_within = 0, n_across = 0;
    for (int a = 0; a < 2 * per_topic; ++a) {
        for (int b = a + 1; b < 2 * per_topic; ++b) {
            const double c = cosine(model.input.row(model.vocab.at("w" + std::to_string(a))),
                                    model.input.row(model.vocab.at("w" + std::to_string(b))));
            if ((a < per_topic) == (b < per_topic)) {
                within += c;
                ++n_within;
            } else {
                across += c;
                ++n_across;
            }
        }
    }
    return within / n_within - across / n_across;
}

Word2VecOptions small_word2vec_options() {
    Word2VecOptions o;
    o.dim = 16;
    o.window = 3;
    o.negative = 5;
    o.sample = 0;
    o.epochs = 5;
    o.threads = 1;
    o.seed = 7;
    return o;
}

}  // namespace

TEST_CASE("word2vec learns planted topics with every architecture and output layer", "[word2vec]") {
    const auto data = planted_topics(8, 1500, 11);
    const Vocab& vocab = data.first;
    const Corpus& corpus = data.second;
    struct Case {
        const char* name;
        Word2VecArchitecture arch;
        int negative;
        bool hs;
        bool shared_negatives = true;
    };
    const Case cases[] = {
        {"skip-gram, negative sampling", Word2VecArchitecture::skipgram, 5, false},
        {"CBOW, negative sampling", Word2VecArchitecture::cbow, 5, false},
        {"skip-gram, hierarchical softmax", Word2VecArchitecture::skipgram, 0, true},
        {"CBOW, hierarchical softmax", Word2VecArchitecture::cbow, 0, true},
        {"skip-gram, both", Word2VecArchitecture::skipgram, 3, true},
        {"skip-gram, a set of negatives per pair", Word2VecArchitecture::skipgram, 5, false, false},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        auto o = small_word2vec_options();
        o.architecture = c.arch;
        o.negative = c.negative;
        o.hierarchical_softmax = c.hs;
        o.shared_negatives = c.shared_negatives;
        const auto model = train_word2vec(vocab, corpus.view(), o);
        CHECK(model.input.rows() == static_cast<Eigen::Index>(vocab.size()));
        CHECK(model.input.cols() == 16);
        CHECK(model.output.rows() == (c.negative > 0 ? static_cast<Eigen::Index>(vocab.size()) : 0));
        CHECK(model.output_hs.rows() == (c.hs ? static_cast<Eigen::Index>(vocab.size()) - 1 : 0));
        CHECK(topic_separation(model, 8) > 0.3);
    }
}

TEST_CASE("word2vec with one thread and a fixed seed is bit-identical across runs", "[word2vec]") {
    const auto data = planted_topics(8, 300, 3);
    const Vocab& vocab = data.first;
    const Corpus& corpus = data.second;
    auto o = small_word2vec_options();
    const auto a = train_word2vec(vocab, corpus.view(), o);
    const auto b = train_word2vec(vocab, corpus.view(), o);
    CHECK(a.input == b.input);
    CHECK(a.output == b.output);
    o.seed = 8;
    const auto c = train_word2vec(vocab, corpus.view(), o);
    CHECK_FALSE(a.input == c.input);
}

TEST_CASE("word2vec on a mapped corpus is bit-identical to the same ids in memory", "[word2vec]") {
    // The streamed path of `embedkit train`: the ids in a binary corpus file, mapped, their pages
    // given back behind each thread (and at every epoch's end, then read again).
    const auto [vocab, corpus] = embedkit::testing::zipf_corpus(12, 400, 50'000, 60);
    const embedkit::testing::TempDir dir;
    corpus.save(dir.file("corpus.ekc"));
    const MappedCorpus mapped(dir.file("corpus.ekc"));
    REQUIRE(mapped.view().file_backed);
    for (const auto architecture : {Word2VecArchitecture::skipgram, Word2VecArchitecture::cbow}) {
        Word2VecOptions o;
        o.architecture = architecture;
        o.dim = 8;
        o.epochs = 2;
        o.threads = 1;
        const auto in_memory = train_word2vec(vocab, corpus.view(), o);
        const auto streamed = train_word2vec(vocab, mapped.view(), o);
        CHECK(streamed.input == in_memory.input);
        CHECK(streamed.output == in_memory.output);
    }
}

TEST_CASE("word2vec on a mapped corpus keeps a bounded part of it resident", "[word2vec]") {
    // 6 million ids (24 MB) over 10 words, with subsampling so strong that almost every word is
    // read and dropped: the threads sweep the file quickly, and the progress callback (every
    // 10,000 words of thread 0) samples what is resident of it.
    const embedkit::testing::TempDir dir;
    const std::string path = dir.file("big.ekc");
    std::vector<std::pair<std::string, std::int64_t>> counts;
    for (int w = 0; w < 10; ++w) counts.emplace_back("w" + std::to_string(w), 800'000 - w);
    const Vocab vocab = Vocab::from_counts(counts);
    embedkit::testing::write_cycling_corpus_file(path, 6'000, 999);
    const MappedCorpus mapped(path);
    Word2VecOptions o;
    o.dim = 4;
    o.window = 2;
    o.negative = 1;
    o.sample = 1e-6;
    o.epochs = 1;
    o.threads = 2;
    o.progress_interval = 0;
    std::uint64_t peak = 0;
    int samples = 0;
    o.progress = [&](const TrainingProgress&) {
        peak = std::max(peak, embedkit::testing::resident_bytes_of_mapping(mapped.view().data));
        ++samples;
        return true;
    };
    const auto model = train_word2vec(vocab, mapped.view(), o);
    CHECK(model.input.allFinite());
    CHECK(samples > 100);
    // Two threads, each with at most one block of 4 MiB behind it, of a 24 MB file.
    CHECK(peak < (std::uint64_t{12} << 20));
}

TEST_CASE("word2vec negative_power chooses the distribution negatives are drawn from", "[word2vec]") {
    const auto data = planted_topics(4, 200, 8);
    auto o = small_word2vec_options();
    const auto unset = train_word2vec(data.first, data.second.view(), o).input;
    o.negative_power = 0.75;
    CHECK(unset == train_word2vec(data.first, data.second.view(), o).input);  // the default
    o.negative_power = 0.0;
    CHECK_FALSE(unset == train_word2vec(data.first, data.second.view(), o).input);
}

TEST_CASE("word2vec with several threads learns the same structure", "[word2vec]") {
    const auto data = planted_topics(8, 1500, 5);
    const Vocab& vocab = data.first;
    const Corpus& corpus = data.second;
    auto o = small_word2vec_options();
    o.threads = 3;
    const auto model = train_word2vec(vocab, corpus.view(), o);
    CHECK(topic_separation(model, 8) > 0.3);
}

TEST_CASE("word2vec progress reports loss that falls, and can cancel", "[word2vec]") {
    const auto data = planted_topics(8, 3000, 9);
    const Vocab& vocab = data.first;
    const Corpus& corpus = data.second;
    auto o = small_word2vec_options();
    o.progress_interval = 0;  // report at every synchronisation
    std::vector<TrainingProgress> reports;
    o.progress = [&](const TrainingProgress& p) {
        reports.push_back(p);
        return true;
    };
    (void)train_word2vec(vocab, corpus.view(), o);
    REQUIRE(reports.size() >= 3);
    CHECK(reports.back().fraction == 1.0);
    for (std::size_t i = 1; i < reports.size(); ++i) CHECK(reports[i].fraction >= reports[i - 1].fraction);
    CHECK(reports.front().loss > reports[reports.size() - 2].loss);
    CHECK(reports[reports.size() - 2].learning_rate < reports.front().learning_rate);
    CHECK(std::isfinite(reports.back().loss));

    int calls = 0;
    o.progress = [&](const TrainingProgress&) { return ++calls < 2; };
    CHECK_THROWS_AS(train_word2vec(vocab, corpus.view(), o), cancelled);
}

TEST_CASE("word2vec stops with numeric_error when the learning rate makes it diverge", "[word2vec]") {
    const auto data = planted_topics(8, 500, 2);
    const Vocab& vocab = data.first;
    const Corpus& corpus = data.second;
    auto o = small_word2vec_options();
    o.lr = 1e30;
    CHECK_THROWS_AS(train_word2vec(vocab, corpus.view(), o), numeric_error);
}

TEST_CASE("word2vec rejects bad options and inputs naming the problem", "[word2vec]") {
    const auto data = planted_topics(4, 50, 1);
    const Vocab& vocab = data.first;
    const Corpus& corpus = data.second;
    auto expect_field = [&](Word2VecOptions o, const std::string& field) {
        try {
            (void)train_word2vec(vocab, corpus.view(), o);
            FAIL("no exception for " << field);
        } catch (const invalid_options& e) {
            CHECK_THAT(e.what(), Catch::Contains(field));
        }
    };
    auto o = small_word2vec_options();
    o.dim = 0;
    expect_field(o, "dim");
    o = small_word2vec_options();
    o.window = 0;
    expect_field(o, "window");
    o = small_word2vec_options();
    o.negative = -1;
    expect_field(o, "negative");
    o = small_word2vec_options();
    o.negative = 0;
    expect_field(o, "negative");
    o = small_word2vec_options();
    o.lr = 0.0;
    expect_field(o, "lr");
    o = small_word2vec_options();
    o.epochs = 0;
    expect_field(o, "epochs");
    o = small_word2vec_options();
    o.sample = -1;
    expect_field(o, "sample");
    o = small_word2vec_options();
    o.negative_power = -0.5;
    expect_field(o, "negative_power");

    const Corpus empty = Corpus::from_ids({});
    CHECK_THROWS_AS(train_word2vec(vocab, empty.view(), small_word2vec_options()), invalid_argument);
    const Corpus out_of_range = Corpus::from_ids({0, 1, 999, kSentenceEnd});
    CHECK_THROWS_WITH(train_word2vec(vocab, out_of_range.view(), small_word2vec_options()), Catch::Contains("999"));
}

TEST_CASE("Word2VecOptions: every other field is validated by name", "[word2vec]") {
    auto expect_field = [](const std::string& field, auto change) {
        Word2VecOptions o;
        change(o);
        try {
            validate(o);
            FAIL("no exception for " << field);
        } catch (const invalid_options& e) {
            CHECK_THAT(e.what(), Catch::Contains("Word2VecOptions." + field));
        }
    };
    expect_field("min_count", [](Word2VecOptions& o) { o.min_count = 0; });
    expect_field("sample", [](Word2VecOptions& o) { o.sample = std::nan(""); });
    expect_field("lr", [](Word2VecOptions& o) { o.lr = std::numeric_limits<double>::infinity(); });
    expect_field("min_lr_ratio", [](Word2VecOptions& o) { o.min_lr_ratio = 1.5; });
    expect_field("init_scale", [](Word2VecOptions& o) { o.init_scale = -1; });
    expect_field("progress_interval", [](Word2VecOptions& o) { o.progress_interval = -1; });
}
