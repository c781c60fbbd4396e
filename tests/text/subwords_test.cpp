#include <embedkit/text/subwords.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

using namespace embedkit;

// Golden values: computed independently with gensim 4.2's port of fastText's dictionary code
// (gensim.models.fasttext_inner.compute_ngrams_bytes and ft_hash_bytes), and checked against
// `fasttext print-ngrams` for the n-gram lists.

TEST_CASE("subwords: n-grams of an ASCII word in fastText's order", "[subwords]") {
    const std::vector<std::string> expected = {"<wh",  "<whe", "<wher", "<where", "whe", "wher", "where",
                                               "where>", "her", "here", "here>", "ere", "ere>", "re>"};
    CHECK(char_ngrams("where", {3, 6, 2'000'000}) == expected);
    // The whole "<word>" is an n-gram when it is short enough.
    CHECK(char_ngrams("a", {3, 6, 100}) == std::vector<std::string>{"<a>"});
    CHECK(char_ngrams("ab", {3, 6, 100}) == std::vector<std::string>{"<ab", "<ab>", "ab>"});
    CHECK(char_ngrams("where", {5, 5, 100}) == std::vector<std::string>{"<wher", "where", "here>"});
}

TEST_CASE("subwords: n-grams count UTF-8 characters, not bytes", "[subwords]") {
    CHECK(char_ngrams("naïve", {3, 6, 100}) ==
          std::vector<std::string>{"<na", "<na\xC3\xAF", "<na\xC3\xAFv", "<na\xC3\xAFve", "na\xC3\xAF",
                                   "na\xC3\xAFv", "na\xC3\xAFve", "na\xC3\xAFve>", "a\xC3\xAFv", "a\xC3\xAFve",
                                   "a\xC3\xAFve>", "\xC3\xAFve", "\xC3\xAFve>", "ve>"});
    // 日本語: three 3-byte characters.
    const std::string ni = "\xE6\x97\xA5", hon = "\xE6\x9C\xAC", go = "\xE8\xAA\x9E";
    CHECK(char_ngrams(ni + hon + go, {3, 6, 100}) ==
          std::vector<std::string>{"<" + ni + hon, "<" + ni + hon + go, "<" + ni + hon + go + ">", ni + hon + go,
                                   ni + hon + go + ">", hon + go + ">"});
    // With minn = maxn = 1 each character is one n-gram, never a byte of it.
    CHECK(char_ngrams(ni + "x", {1, 1, 100}) == std::vector<std::string>{ni, "x"});
}

TEST_CASE("subwords: fastText's special cases", "[subwords]") {
    // minn = 1 skips the lone "<" and ">".
    CHECK(char_ngrams("ab", {1, 2, 100}) == std::vector<std::string>{"<a", "a", "ab", "b", "b>"});
    // The end-of-sentence word has no n-grams; maxn = 0 turns them off.
    CHECK(char_ngrams("</s>", {3, 6, 100}).empty());
    CHECK(char_ngrams("where", {0, 0, 100}).empty());
    CHECK(char_ngrams("where", {3, 0, 0}).empty());  // maxn 0: minn and buckets are ignored
    // A word longer than maxn has no whole-word n-gram; the empty word has only "<>"'s n-grams.
    CHECK(char_ngrams("", {3, 6, 100}).empty());
    CHECK(char_ngrams("", {2, 6, 100}) == std::vector<std::string>{"<>"});
    // Repeated n-grams are kept (fastText does not deduplicate).
    const auto aaaa = char_ngrams("aaaaa", {3, 3, 100});
    CHECK(std::count(aaaa.begin(), aaaa.end(), "aaa") == 3);
}

TEST_CASE("subwords: fastText's FNV-1a hash, golden values", "[subwords]") {
    static_assert(fasttext_hash("") == 2166136261u);
    CHECK(fasttext_hash("") == 2166136261u);
    CHECK(fasttext_hash("a") == 3826002220u);
    CHECK(fasttext_hash("<wh") == 1048167652u);
    CHECK(fasttext_hash("whe") == 888420941u);
    CHECK(fasttext_hash("<where>") == 2319392596u);
    // Multi-byte: the sign extension of bytes >= 0x80 changes the result.
    CHECK(fasttext_hash("\xC3\xAF") == 1056599015u);                          // ï
    CHECK(fasttext_hash("na\xC3\xAF") == 3249590546u);                         // naï
    CHECK(fasttext_hash("<\xE6\x97\xA5\xE6\x9C\xAC") == 3018758587u);          // <日本
    CHECK(fasttext_hash("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E>") == 3224928923u);  // 日本語>
    CHECK(fasttext_hash("\xC3\xA9>") == 4247996781u);                          // é>
    CHECK(fasttext_hash("\xFF") == 4193493326u);
    CHECK(fasttext_hash("\x80" "A") == 2846004090u);
    // Plain FNV-1a (no sign extension) of "\xFF" would be (2166136261 ^ 0xFF) * 16777619 mod 2^32.
    CHECK(fasttext_hash("\xFF") != static_cast<std::uint32_t>((2166136261u ^ 0xFFu) * 16777619u));
}

TEST_CASE("subwords: buckets are the hash modulo the bucket count", "[subwords]") {
    CHECK(ngram_bucket("<wh", 2'000'000) == 167652);
    CHECK(ngram_bucket("<where>", 2'000'000) == 1392596);
    CHECK(ngram_bucket("\xC3\xA9>", 2'000'000) == 1996781);
    CHECK(ngram_bucket("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E>", 2'000'000) == 928923);
    const SubwordOptions o{3, 6, 2'000'000};
    const auto buckets = ngram_buckets("where", o);
    const auto grams = char_ngrams("where", o);
    REQUIRE(buckets.size() == grams.size());
    for (std::size_t i = 0; i < grams.size(); ++i) {
        CHECK(buckets[i] == static_cast<std::int32_t>(fasttext_hash(grams[i]) % 2'000'000u));
        CHECK(buckets[i] >= 0);
        CHECK(buckets[i] < 2'000'000);
    }
    CHECK(buckets[0] == 167652);
    // The largest bucket count keeps every bucket non-negative.
    for (std::int32_t b : ngram_buckets("\xFF\xFE\xFD", {1, 3, 2'147'483'647})) CHECK(b >= 0);
}

TEST_CASE("subwords: invalid options name the field", "[subwords]") {
    auto field_of = [](SubwordOptions o) -> std::string {
        try {
            validate(o);
        } catch (const invalid_options& e) {
            return e.what();
        }
        return "";
    };
    CHECK_THAT(field_of({3, -1, 100}), Catch::Contains("maxn"));
    CHECK_THAT(field_of({3, 1000, 100}), Catch::Contains("maxn"));
    CHECK_THAT(field_of({-1, 6, 100}), Catch::Contains("minn"));
    CHECK_THAT(field_of({7, 6, 100}), Catch::Contains("minn"));
    CHECK_THAT(field_of({3, 6, 0}), Catch::Contains("buckets"));
    CHECK_THAT(field_of({3, 6, std::int64_t{1} << 31}), Catch::Contains("buckets"));
    CHECK(field_of({3, 6, 1}).empty());
    CHECK(field_of({0, 0, 0}).empty());
    CHECK_THROWS_AS(char_ngrams("x", {7, 6, 100}), invalid_options);
    CHECK_THROWS_AS(ngram_buckets("x", {3, 6, 0}), invalid_options);
}
