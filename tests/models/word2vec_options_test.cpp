#include <embedkit/models/fasttext.hpp>
#include <embedkit/models/word2vec_options.hpp>

#include <catch2/catch.hpp>

#include "support/field_count.hpp"

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
