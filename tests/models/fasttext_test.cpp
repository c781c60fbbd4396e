#include <embedkit/models/fasttext.hpp>

#include <catch2/catch.hpp>

#include "support/cosine.hpp"
#include "support/temp_dir.hpp"
#include "support/write_failures.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace embedkit;
namespace fs = std::filesystem;

namespace {

using embedkit::testing::TempDir;

/// Two topics; the words of topic t are "<stem><suffix>" for stems of that topic. Sentences draw
/// from one topic, so a trainer must bring same-topic words together; the words of one topic
/// also share their stems' n-grams.
std::pair<Vocab, Corpus> planted_inflected_topics(int sentences, std::uint64_t seed) {
    const std::vector<std::vector<std::string>> topics = {
        {"garden", "flower", "forest", "meadow", "blossom", "orchard"},
        {"engine", "piston", "turbine", "gearbox", "crankshaft", "throttle"}};
    const std::vector<std::string> suffixes = {"", "s", "ing"};
    std::vector<std::vector<std::string>> words(2);
    for (int t = 0; t < 2; ++t) {
        for (const auto& stem : topics[static_cast<std::size_t>(t)]) {
            for (const auto& suffix : suffixes) words[static_cast<std::size_t>(t)].push_back(stem + suffix);
        }
    }
    detail::Rng rng(seed);
    std::vector<std::pair<std::string, std::int64_t>> counts;
    std::map<std::string, std::int64_t> freq;
    std::vector<std::string> tokens;
    std::vector<int> sentence_ends;
    for (int s = 0; s < sentences; ++s) {
        const auto& pool = words[rng.below(2)];
        for (int k = 0; k < 15; ++k) {
            const std::string& w = pool[rng.below(pool.size())];
            tokens.push_back(w);
            ++freq[w];
        }
        sentence_ends.push_back(static_cast<int>(tokens.size()));
    }
    for (const auto& [w, c] : freq) counts.emplace_back(w, c);
    VocabOptions vo;
    vo.min_count = 1;
    Vocab vocab = Vocab::from_counts(counts, vo);
    std::vector<TokenId> ids;
    std::size_t next_end = 0;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        ids.push_back(vocab.at(tokens[i]));
        if (static_cast<int>(i + 1) == sentence_ends[next_end]) {
            ids.push_back(kSentenceEnd);
            ++next_end;
        }
    }
    return {std::move(vocab), Corpus::from_ids(std::move(ids))};
}

const std::vector<std::string> kTopic0 = {"garden", "flower", "forest", "meadow", "blossom", "orchard"};
const std::vector<std::string> kTopic1 = {"engine", "piston", "turbine", "gearbox", "crankshaft", "throttle"};

using embedkit::testing::cosine;

/// Mean cosine within topics minus across topics, over the stems' vectors.
double subword_topic_separation(const FastTextModel<float>& model) {
    std::vector<RowVector<float>> v0, v1;
    for (const auto& w : kTopic0) v0.push_back(model.word_vector(w));
    for (const auto& w : kTopic1) v1.push_back(model.word_vector(w));
    double within = 0, across = 0;
    int nw = 0, na = 0;
    for (std::size_t i = 0; i < v0.size(); ++i) {
        for (std::size_t j = 0; j < v0.size(); ++j) {
            if (i != j) {
                within += cosine(v0[i], v0[j]) + cosine(v1[i], v1[j]);
                nw += 2;
            }
            across += cosine(v0[i], v1[j]);
            ++na;
        }
    }
    return within / nw - across / na;
}

FastTextOptions small_fasttext_options() {
    FastTextOptions o;
    o.word2vec.dim = 16;
    o.word2vec.window = 3;
    o.word2vec.negative = 5;
    o.word2vec.sample = 0;
    o.word2vec.epochs = 5;
    o.word2vec.threads = 1;
    o.word2vec.seed = 7;
    o.minn = 3;
    o.maxn = 5;
    o.buckets = 5000;
    return o;
}

}  // namespace

TEST_CASE("fasttext learns planted topics with every architecture and output layer", "[fasttext]") {
    const auto data = planted_inflected_topics(1500, 11);
    struct Case {
        const char* name;
        Word2VecArchitecture arch;
        int negative;
        bool hs;
    };
    const Case cases[] = {
        {"skip-gram, negative sampling", Word2VecArchitecture::skipgram, 5, false},
        {"CBOW, negative sampling", Word2VecArchitecture::cbow, 5, false},
        {"skip-gram, hierarchical softmax", Word2VecArchitecture::skipgram, 0, true},
        {"CBOW, hierarchical softmax", Word2VecArchitecture::cbow, 0, true},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        auto o = small_fasttext_options();
        o.word2vec.architecture = c.arch;
        o.word2vec.negative = c.negative;
        o.word2vec.hierarchical_softmax = c.hs;
        const auto model = train_fasttext(data.first, data.second.view(), o);
        CHECK(model.dim() == 16);
        CHECK(model.output().rows() == (c.negative > 0 ? static_cast<Eigen::Index>(data.first.size()) : 0));
        CHECK(model.output_hs().rows() == (c.hs ? static_cast<Eigen::Index>(data.first.size()) - 1 : 0));
        CHECK(subword_topic_separation(model) > 0.3);
        // An unseen inflection of a known stem lands in its stem's topic.
        const auto unseen = model.word_vector("gardened");
        CHECK(cosine(unseen, model.word_vector("garden")) > cosine(unseen, model.word_vector("engine")));
    }
}

TEST_CASE("fasttext stores only the buckets of vocabulary n-grams", "[fasttext]") {
    const auto data = planted_inflected_topics(50, 3);
    const Vocab& vocab = data.first;
    const auto o = small_fasttext_options();
    const auto model = train_fasttext(vocab, data.second.view(), o);
    std::set<std::int32_t> expected;
    for (const auto& w : vocab.words()) {
        for (const std::int32_t b : ngram_buckets(w, o.subwords())) expected.insert(b);
    }
    CHECK(std::vector<std::int32_t>(expected.begin(), expected.end()) == model.stored_buckets());
    CHECK(model.input().rows() == static_cast<Eigen::Index>(vocab.size() + expected.size()));
    CHECK_FALSE(model.dense());
    for (const std::int32_t b : expected) {
        const auto row = model.bucket_row(b);
        REQUIRE(row);
        CHECK(*row >= static_cast<Eigen::Index>(vocab.size()));
    }
    std::int32_t missing = 0;
    while (expected.count(missing)) ++missing;
    CHECK_FALSE(model.bucket_row(missing).has_value());
    CHECK_THROWS_AS(model.bucket_row(o.buckets), invalid_argument);
    CHECK_THROWS_AS(model.bucket_row(-1), invalid_argument);
}

TEST_CASE("fasttext word vectors are means of their rows", "[fasttext]") {
    const auto data = planted_inflected_topics(200, 5);
    const Vocab& vocab = data.first;
    const auto o = small_fasttext_options();
    const auto model = train_fasttext(vocab, data.second.view(), o);

    SECTION("a vocabulary word: its own row and its n-gram rows") {
        const TokenId id = vocab.at("turbines");
        const auto rows = model.word_rows(id);
        const auto buckets = ngram_buckets("turbines", o.subwords());
        REQUIRE(rows.size() == buckets.size() + 1);
        CHECK(rows[0] == id);
        RowVector<double> mean = model.input().row(id).cast<double>();
        for (std::size_t i = 0; i < buckets.size(); ++i) {
            CHECK(rows[i + 1] == *model.bucket_row(buckets[i]));
            mean += model.input().row(*model.bucket_row(buckets[i])).cast<double>();
        }
        mean /= static_cast<double>(rows.size());
        const RowVector<double> got = model.word_vector("turbines").cast<double>();
        CHECK((got - mean).cwiseAbs().maxCoeff() < 1e-6);
        const auto all = model.vectors(2);
        CHECK(all.size() == vocab.size());
        CHECK((all.vector("turbines").cast<double>() - mean).cwiseAbs().maxCoeff() < 1e-6);
    }

    SECTION("an unseen word: the mean of its n-gram rows, unstored buckets counting as zero") {
        const std::string word = "gearboxed";  // never in the corpus
        REQUIRE_FALSE(vocab.contains(word));
        const auto buckets = ngram_buckets(word, o.subwords());
        RowVector<double> sum = RowVector<double>::Zero(16);
        int stored = 0;
        for (const std::int32_t b : buckets) {
            if (const auto row = model.bucket_row(b)) {
                sum += model.input().row(*row).cast<double>();
                ++stored;
            }
        }
        REQUIRE(stored > 0);
        REQUIRE(stored < static_cast<int>(buckets.size()));  // "gearboxed" has n-grams no word has
        const RowVector<double> expected = sum / static_cast<double>(buckets.size());
        const RowVector<double> got = model.word_vector(word).cast<double>();
        CHECK((got - expected).cwiseAbs().maxCoeff() < 1e-6);
        CHECK(model.knows(word));
    }

    SECTION("an unseen word without n-grams gets the zero vector") {
        auto o2 = small_fasttext_options();
        o2.minn = 5;  // "<ab>" has 4 characters: no n-gram
        o2.maxn = 6;
        const auto m2 = train_fasttext(vocab, data.second.view(), o2);
        CHECK(ngram_buckets("ab", o2.subwords()).empty());
        const auto v = m2.word_vector("ab");
        CHECK(v.size() == 16);
        CHECK(v.isZero(0));
        std::vector<float> out(16, 1.0f);
        CHECK_FALSE(m2.word_vector("ab", out.data()));
        CHECK(std::all_of(out.begin(), out.end(), [](float x) { return x == 0.0f; }));
        CHECK_FALSE(m2.knows("ab"));
        CHECK(m2.word_vector("</s>").isZero(0));  // fastText's end-of-sentence word has no n-grams
        // An unseen word whose n-grams no vocabulary word has: zero as well, and not "known".
        std::string stranger;
        for (int i = 0; i < 1000 && stranger.empty(); ++i) {
            const std::string candidate = "qz" + std::to_string(i);
            const auto buckets = ngram_buckets(candidate, o.subwords());
            if (std::none_of(buckets.begin(), buckets.end(), [&](std::int32_t b) { return model.bucket_row(b).has_value(); })) {
                stranger = candidate;
            }
        }
        REQUIRE_FALSE(stranger.empty());
        CHECK(model.word_vector(stranger).isZero(0));
        CHECK_FALSE(model.knows(stranger));
    }
}

TEST_CASE("fasttext with minn = maxn = 0 is exactly Word2Vec", "[fasttext]") {
    const auto data = planted_inflected_topics(300, 9);
    auto o = small_fasttext_options();
    o.minn = 0;
    o.maxn = 0;
    o.word2vec.negative_power = 0.75;  // train_fasttext's own default is fastText's 0.5
    const auto ft = train_fasttext(data.first, data.second.view(), o);
    const auto w2v = train_word2vec(data.first, data.second.view(), o.word2vec);
    CHECK(ft.input() == w2v.input);
    CHECK(ft.output() == w2v.output);
    CHECK(ft.vectors().matrix() == w2v.input);
    CHECK(ft.stored_buckets().empty());
    CHECK_FALSE(ft.subwords().enabled());
    CHECK(ft.word_vector("nosuchword").isZero(0));
    // CBOW with hierarchical softmax too.
    o.word2vec.architecture = Word2VecArchitecture::cbow;
    o.word2vec.negative = 0;
    o.word2vec.hierarchical_softmax = true;
    CHECK(train_fasttext(data.first, data.second.view(), o).input() ==
          train_word2vec(data.first, data.second.view(), o.word2vec).input);
}

TEST_CASE("fasttext on a small corpus draws negatives from unigram^0.75 unless told otherwise", "[fasttext]") {
    // Below kFastTextSmallCorpusTokens; from there on fastText's 0.5 (word2vec_options_test.cpp).
    const auto data = planted_inflected_topics(200, 4);
    auto o = small_fasttext_options();
    auto train = [&](std::optional<double> power) {
        o.word2vec.negative_power = power;
        return train_fasttext(data.first, data.second.view(), o).input();
    };
    const auto unset = train(std::nullopt);
    CHECK(unset == train(0.75));
    CHECK_FALSE(unset == train(0.5));
    o.word2vec.negative_power = 5.0;
    CHECK_THROWS_WITH(validate(o), Catch::Contains("FastTextOptions.word2vec.negative_power"));
}

TEST_CASE("fasttext update_per_prediction re-composes the centre word for every prediction", "[fasttext]") {
    const auto data = planted_inflected_topics(200, 5);
    auto o = small_fasttext_options();
    const auto per_centre = train_fasttext(data.first, data.second.view(), o);
    o.update_per_prediction = true;
    const auto per_prediction = train_fasttext(data.first, data.second.view(), o);
    CHECK_FALSE(per_centre.input() == per_prediction.input());
    CHECK(subword_topic_separation(per_centre) > 0.3);
    CHECK(subword_topic_separation(per_prediction) > 0.3);
    // CBOW composes each context once per prediction already: the option changes nothing there.
    o.word2vec.architecture = Word2VecArchitecture::cbow;
    const auto cbow_on = train_fasttext(data.first, data.second.view(), o).input();
    o.update_per_prediction = false;
    CHECK(cbow_on == train_fasttext(data.first, data.second.view(), o).input());
}

TEST_CASE("fasttext gensim_input_scale changes skip-gram training only", "[fasttext]") {
    const auto data = planted_inflected_topics(200, 6);
    auto o = small_fasttext_options();
    auto train = [&](bool gensim_scale) {
        o.gensim_input_scale = gensim_scale;
        return train_fasttext(data.first, data.second.view(), o);
    };
    // Skip-gram: the centre word's input is sum / n-grams instead of sum / (n-grams + 1).
    const auto on = train(true);
    const auto off = train(false);
    CHECK_FALSE(on.input() == off.input());
    CHECK(subword_topic_separation(on) > 0.3);
    CHECK(subword_topic_separation(off) > 0.3);
    // CBOW averages its context rows either way, and without n-grams there is nothing to rescale.
    o.word2vec.architecture = Word2VecArchitecture::cbow;
    CHECK(train(true).input() == train(false).input());
    o.word2vec.architecture = Word2VecArchitecture::skipgram;
    o.minn = 0;
    o.maxn = 0;
    CHECK(train(true).input() == train(false).input());
}

TEST_CASE("fasttext with one thread and a fixed seed is bit-identical across runs", "[fasttext]") {
    const auto data = planted_inflected_topics(300, 3);
    auto o = small_fasttext_options();
    const auto a = train_fasttext(data.first, data.second.view(), o);
    const auto b = train_fasttext(data.first, data.second.view(), o);
    CHECK(a.input() == b.input());
    CHECK(a.output() == b.output());
    o.word2vec.seed = 8;
    CHECK_FALSE(a.input() == train_fasttext(data.first, data.second.view(), o).input());
}

TEST_CASE("fasttext with several threads learns the same structure", "[fasttext]") {
    const auto data = planted_inflected_topics(1500, 5);
    auto o = small_fasttext_options();
    o.word2vec.threads = 3;
    const auto model = train_fasttext(data.first, data.second.view(), o);
    CHECK(subword_topic_separation(model) > 0.3);
}

TEST_CASE("fasttext progress, cancellation and divergence behave as Word2Vec's", "[fasttext]") {
    const auto data = planted_inflected_topics(2000, 9);
    auto o = small_fasttext_options();
    o.word2vec.progress_interval = 0;
    std::vector<TrainingProgress> reports;
    o.word2vec.progress = [&](const TrainingProgress& p) {
        reports.push_back(p);
        return true;
    };
    (void)train_fasttext(data.first, data.second.view(), o);
    REQUIRE(reports.size() >= 3);
    CHECK(reports.back().fraction == 1.0);
    CHECK(reports.front().loss > reports[reports.size() - 2].loss);

    int calls = 0;
    o.word2vec.progress = [&](const TrainingProgress&) { return ++calls < 2; };
    CHECK_THROWS_AS(train_fasttext(data.first, data.second.view(), o), cancelled);

    o.word2vec.progress = nullptr;
    o.word2vec.lr = 1e30;
    CHECK_THROWS_AS(train_fasttext(data.first, data.second.view(), o), numeric_error);
}

TEST_CASE("fasttext rejects bad options and inputs naming the problem", "[fasttext]") {
    const auto data = planted_inflected_topics(30, 1);
    auto expect_field = [&](FastTextOptions o, const std::string& field) {
        try {
            (void)train_fasttext(data.first, data.second.view(), o);
            FAIL("no exception for " << field);
        } catch (const invalid_options& e) {
            CHECK_THAT(e.what(), Catch::Contains(field));
        }
    };
    auto o = small_fasttext_options();
    o.minn = 7;
    o.maxn = 6;
    expect_field(o, "FastTextOptions.minn");
    o = small_fasttext_options();
    o.maxn = -1;
    expect_field(o, "FastTextOptions.maxn");
    o = small_fasttext_options();
    o.buckets = 0;
    expect_field(o, "FastTextOptions.buckets");
    o = small_fasttext_options();
    o.word2vec.dim = 0;
    expect_field(o, "FastTextOptions.word2vec.dim");
    o = small_fasttext_options();
    o.word2vec.negative = 0;
    expect_field(o, "FastTextOptions.word2vec.negative");
    o = small_fasttext_options();
    o.buckets = 0;
    o.maxn = 0;  // subwords off: buckets is ignored
    CHECK_NOTHROW(train_fasttext(data.first, data.second.view(), o));

    CHECK_THROWS_AS(train_fasttext(data.first, Corpus::from_ids({}).view(), small_fasttext_options()), invalid_argument);
    const Corpus bad = Corpus::from_ids({0, 1, 999, kSentenceEnd});
    CHECK_THROWS_WITH(train_fasttext(data.first, bad.view(), small_fasttext_options()), Catch::Contains("999"));
}

TEST_CASE("fasttext model files round-trip and reject damage", "[fasttext]") {
    const TempDir dir;
    const auto data = planted_inflected_topics(200, 4);
    const auto model = train_fasttext(data.first, data.second.view(), small_fasttext_options());
    const std::string path = dir.file("model.ekft");
    model.save(path);

    const auto loaded = FastTextModel<float>::load(path);
    CHECK(loaded.vocab().words() == model.vocab().words());
    CHECK(loaded.vocab().counts() == model.vocab().counts());
    CHECK(loaded.input() == model.input());
    CHECK(loaded.stored_buckets() == model.stored_buckets());
    CHECK(loaded.subwords().minn == 3);
    CHECK(loaded.subwords().maxn == 5);
    CHECK(loaded.subwords().buckets == 5000);
    for (const std::string w : {"garden", "pistons", "unseenword", "ab", "gardened"}) {
        CHECK(loaded.word_vector(w) == model.word_vector(w));
    }
    const auto as_double = FastTextModel<double>::load(path);
    CHECK((as_double.word_vector("garden").cast<float>() - model.word_vector("garden")).cwiseAbs().maxCoeff() < 1e-6);
    // A double model saves and loads as double.
    as_double.save(dir.file("double.ekft"));
    CHECK(FastTextModel<double>::load(dir.file("double.ekft")).input() == as_double.input());

    std::string bytes;
    {
        std::ifstream in(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    auto write = [&](const std::string& name, const std::string& content) {
        std::ofstream out(dir.file(name), std::ios::binary);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        return dir.file(name);
    };
    auto error_of = [](const std::string& p) -> std::string {
        try {
            (void)FastTextModel<float>::load(p);
        } catch (const io_error& e) {
            return e.what();
        }
        return "no error";
    };
    std::string wrong_magic = bytes;
    wrong_magic[0] = 'X';
    CHECK_THAT(error_of(write("magic", wrong_magic)), Catch::Contains("wrong magic"));
    std::string wrong_version = bytes;
    wrong_version[8] = 9;
    CHECK_THAT(error_of(write("version", wrong_version)), Catch::Contains("unsupported model version 9"));
    CHECK_THAT(error_of(write("truncated", bytes.substr(0, bytes.size() - 100))), Catch::Contains("truncated"));
    CHECK_THAT(error_of(write("header-only", bytes.substr(0, 30))), Catch::Contains("truncated"));
    std::string flipped = bytes;
    flipped[bytes.size() / 2] = static_cast<char>(flipped[bytes.size() / 2] ^ 0x10);
    CHECK_THAT(error_of(write("flipped", flipped)), Catch::Contains("checksum"));
    CHECK_THAT(error_of(write("trailing", bytes + "x")), Catch::Contains("after the checksum"));
    CHECK_THAT(error_of(dir.file("missing")), Catch::Contains("cannot open"));
    CHECK_THAT(error_of(path), Catch::Contains("no error"));
    // A header that announces 2e9 buckets of which 1.5e9 are stored fails as truncated before
    // anything is allocated for them (found by fuzzing: a 200-byte file asked for 6 GB).
    std::string lying = bytes;
    const std::int64_t buckets = 2'000'000'000;
    const std::int64_t stored = 1'500'000'000;
    std::memcpy(&lying[40], &buckets, sizeof buckets);  // little-endian hosts, as the format
    std::memcpy(&lying[49], &stored, sizeof stored);
    CHECK_THAT(error_of(write("lying", lying)), Catch::Contains("truncated"));
}

TEST_CASE("fasttext model save reports unwritable targets and keeps the previous file", "[fasttext][write_failure]") {
    const auto data = planted_inflected_topics(40, 5);
    const auto model = train_fasttext(data.first, data.second.view(), small_fasttext_options());
    embedkit::testing::check_unwritable_targets([&](const std::string& path) { model.save(path); });
}
