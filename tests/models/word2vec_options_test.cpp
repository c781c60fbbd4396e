#include <embedkit/models/fasttext.hpp>
#include <embedkit/models/word2vec_options.hpp>

#include <catch2/catch.hpp>

#include "support/field_count.hpp"

#include <cstdint>
#include <iterator>
#include <set>
#include <string>

using namespace embedkit;

namespace {

std::set<std::string> word2vec_setting_names() {
    std::set<std::string> names;
    Word2VecOptions o;
    detail::for_each_word2vec_setting(o, [&names](const char* key, auto&) { names.insert(key); });
    return names;
}

}  // namespace

TEST_CASE("every Word2VecOptions field is a checkpoint setting or a documented run field", "[word2vec][options]") {
    // A field appended to Word2VecOptions must be listed in for_each_word2vec_setting (so that
    // checkpoints keep it and a resumed run uses it) or in kWord2VecRunFields.
    const std::size_t settings = word2vec_setting_names().size();
    const std::size_t run_fields = std::size(detail::kWord2VecRunFields);
    CHECK(testing::aggregate_field_count<Word2VecOptions>() == settings + run_fields);
    CHECK(settings == detail::word2vec_settings(Word2VecOptions{}).size());
}

TEST_CASE("every FastTextOptions field is a checkpoint setting", "[fasttext][options]") {
    std::size_t own = 0;
    FastTextOptions o;
    detail::for_each_fasttext_setting(o, [&own](const char*, auto&) { ++own; });
    // The nested Word2VecOptions is one field; the rest are fastText's own settings.
    CHECK(testing::aggregate_field_count<FastTextOptions>() == 1 + own);
    CHECK(detail::fasttext_settings(o).size() == word2vec_setting_names().size() + own);
}

TEST_CASE("the field counter counts fields", "[options]") {
    struct Three {
        int a = 0;
        std::optional<double> b;
        std::string c;
    };
    CHECK(testing::aggregate_field_count<Three>() == 3);
}

TEST_CASE("settings written from options read back to the same options", "[word2vec][options]") {
    FastTextOptions o;
    o.word2vec.architecture = Word2VecArchitecture::cbow;
    o.word2vec.dim = 37;
    o.word2vec.sample = 3e-5;
    o.word2vec.lr = 0.0123;
    o.word2vec.shared_negatives = false;
    o.word2vec.threads = 3;
    o.word2vec.seed = 99;
    o.minn = 2;
    o.buckets = 12345;
    o.update_per_prediction = true;
    const Settings written = detail::fasttext_settings(o);
    const FastTextOptions back = detail::fasttext_options_from(detail::SettingsReader(written, "<memory>"));
    CHECK(detail::fasttext_settings(back) == written);
    CHECK(back.word2vec.architecture == Word2VecArchitecture::cbow);
    CHECK(back.word2vec.dim == 37);
    CHECK(back.word2vec.lr == 0.0123);
    CHECK(back.word2vec.negative_power == 0.5);  // fastText's resolved default
    CHECK(back.buckets == 12345);
    CHECK(back.update_per_prediction);
}

TEST_CASE("a checkpoint setting with a bad value names the file and the setting", "[word2vec][options]") {
    Settings written = detail::word2vec_settings(Word2VecOptions{});
    for (auto& [key, value] : written) {
        if (key == "architecture") value = "glove";
    }
    CHECK_THROWS_WITH(detail::word2vec_options_from(detail::SettingsReader(written, "ck.bin")),
                      Catch::Contains("ck.bin") && Catch::Contains("'architecture'") && Catch::Contains("'glove'"));
}

TEST_CASE("the default learning rate is word2vec.c's on large corpora and higher on small ones", "[word2vec][options]") {
    using A = Word2VecArchitecture;
    for (const std::int64_t large : {kLargeCorpusTokens, std::int64_t{100'000'000}}) {
        CHECK(default_lr(A::skipgram, large) == 0.025);
        CHECK(default_lr(A::cbow, large) == 0.05);
    }
    // Never lower for a smaller corpus; a corpus of a million tokens starts clearly higher.
    for (const A a : {A::skipgram, A::cbow}) {
        double previous = default_lr(a, kLargeCorpusTokens);
        for (std::int64_t tokens = kLargeCorpusTokens / 2; tokens >= 1000; tokens /= 2) {
            CAPTURE(tokens);
            CHECK(default_lr(a, tokens) >= previous);
            previous = default_lr(a, tokens);
        }
        CHECK(default_lr(a, 1'000'000) > 1.5 * default_lr(a, kLargeCorpusTokens));
        CHECK(default_lr(a, kSmallCorpusTokens) == Approx(kSmallCorpusLrFactor * default_lr(a, kLargeCorpusTokens)));
        CHECK(default_lr(a, 1) == default_lr(a, kSmallCorpusTokens));
    }
    // An explicit rate always wins; resolved options carry the chosen one.
    Word2VecOptions o;
    CHECK(o.initial_lr(1'000'000) == default_lr(A::skipgram, 1'000'000));
    CHECK(detail::resolved(o, 0.75, 1'000'000).lr == default_lr(A::skipgram, 1'000'000));
    CHECK(detail::resolved(o, 0.75).lr == 0.025);  // size unknown: the large-corpus rate
    o.lr = 0.01;
    CHECK(o.initial_lr(1'000'000) == 0.01);
    CHECK(detail::resolved(o, 0.75, 1'000'000).lr == 0.01);
}

TEST_CASE("fastText's sampler power and input scale follow the corpus size unless set", "[fasttext][options]") {
    FastTextOptions o;
    const FastTextOptions small = detail::fasttext_resolved(o, kFastTextSmallCorpusTokens - 1);
    CHECK(small.word2vec.negative_power == 0.75);
    CHECK(small.gensim_input_scale == true);
    const FastTextOptions large = detail::fasttext_resolved(o, kFastTextSmallCorpusTokens);
    CHECK(large.word2vec.negative_power == 0.5);
    CHECK(large.gensim_input_scale == false);
    CHECK(detail::fasttext_resolved(o).word2vec.negative_power == 0.5);  // size unknown: large
    // The learning rate follows Word2Vec's rule.
    CHECK(small.word2vec.lr == default_lr(Word2VecArchitecture::skipgram, kFastTextSmallCorpusTokens - 1));
    // Explicit values win at any size, and checkpoints record what the run used.
    o.word2vec.negative_power = 0.5;
    o.gensim_input_scale = false;
    const FastTextOptions fixed = detail::fasttext_resolved(o, 1000);
    CHECK(fixed.word2vec.negative_power == 0.5);
    CHECK(fixed.gensim_input_scale == false);
    const Settings written = detail::fasttext_settings(FastTextOptions{}, 1000);
    const FastTextOptions back = detail::fasttext_options_from(detail::SettingsReader(written, "<memory>"));
    CHECK(back.word2vec.negative_power == 0.75);
    CHECK(back.gensim_input_scale == true);
    CHECK(back.word2vec.lr == default_lr(Word2VecArchitecture::skipgram, 1000));
}
