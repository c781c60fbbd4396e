#pragma once

// fastText's subwords (Bojanowski et al. 2017): the character n-grams of "<word>" and the hash
// that maps each n-gram to one of `buckets` rows. Both reproduce fastText's dictionary.cc byte
// for byte, quirks included, so that the same word and bucket count give the same rows as
// fastText (and as models read from its .bin files):
// - a "character" is a byte that is not a UTF-8 continuation byte (10xxxxxx) together with the
//   continuation bytes that follow it; n counts such characters, never bytes;
// - the 1-character n-grams "<" and ">" are skipped (they only occur with minn = 1);
// - the hash is 32-bit FNV-1a in which every byte is sign-extended to 32 bits before the xor
//   (fastText casts through int8_t), which changes the result for bytes >= 0x80;
// - the end-of-sentence word "</s>" has no n-grams.

#include "embedkit/errors.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace embedkit {

/// Which character n-grams make up a word. Aggregate: `{.minn = 3, .maxn = 6}`.
struct SubwordOptions {
    int minn = 3;  ///< shortest n-gram, in characters
    int maxn = 6;  ///< longest n-gram; 0 turns subwords off (then minn is ignored)
    std::int64_t buckets = 2'000'000;  ///< rows the n-grams hash into (used only when maxn > 0)

    /// True when words have n-grams at all (maxn > 0).
    [[nodiscard]] bool enabled() const noexcept { return maxn > 0; }
};

/// Largest n-gram length accepted (fastText has no limit; longer ones are almost surely a mistake).
inline constexpr int kMaxNgramLength = 256;

/// Throws invalid_options naming the first bad field.
inline void validate(const SubwordOptions& o) {
    auto fail = [](const std::string& field, const std::string& why) {
        throw invalid_options("SubwordOptions." + field + " " + why);
    };
    if (o.maxn < 0 || o.maxn > kMaxNgramLength) {
        fail("maxn", "must be in [0, " + std::to_string(kMaxNgramLength) + "] (got " + std::to_string(o.maxn) + ")");
    }
    if (!o.enabled()) return;
    if (o.minn < 0) fail("minn", "must be >= 0 (got " + std::to_string(o.minn) + ")");
    if (o.minn > o.maxn) {
        fail("minn", "must be <= maxn (got minn " + std::to_string(o.minn) + ", maxn " + std::to_string(o.maxn) + ")");
    }
    if (o.buckets <= 0 || o.buckets > std::numeric_limits<std::int32_t>::max()) {
        fail("buckets", "must be in [1, 2^31-1] when maxn > 0 (got " + std::to_string(o.buckets) + ")");
    }
}

/// The word fastText adds at every line end; it gets no n-grams.
inline constexpr std::string_view kEndOfSentenceWord = "</s>";

/// fastText's n-gram hash: 32-bit FNV-1a over the bytes of `s`, each byte sign-extended first.
[[nodiscard]] constexpr std::uint32_t fasttext_hash(std::string_view s) noexcept {
    std::uint32_t h = 2166136261u;
    for (const char c : s) {
        h ^= static_cast<std::uint32_t>(static_cast<std::int32_t>(static_cast<std::int8_t>(c)));
        h *= 16777619u;
    }
    return h;
}

/// The bucket of n-gram `ngram` among `buckets` (> 0): fasttext_hash(ngram) % buckets.
[[nodiscard]] constexpr std::int32_t ngram_bucket(std::string_view ngram, std::int64_t buckets) noexcept {
    return static_cast<std::int32_t>(static_cast<std::uint64_t>(fasttext_hash(ngram)) % static_cast<std::uint64_t>(buckets));
}

namespace detail {

[[nodiscard]] constexpr bool is_utf8_continuation(char c) noexcept {
    return (static_cast<unsigned char>(c) & 0xC0u) == 0x80u;
}

}  // namespace detail

/// Calls `f(std::string_view ngram)` for every n-gram of "<word>" with minn..maxn characters, in
/// fastText's order (by start, then by length). A view is valid only during its call. Nothing is
/// called when maxn is 0 or `word` is "</s>". `options` must be valid (not checked here).
template <class F>
void for_each_char_ngram(std::string_view word, const SubwordOptions& options, F&& f) {
    if (!options.enabled() || word == kEndOfSentenceWord) return;
    std::string wrapped;
    wrapped.reserve(word.size() + 2);
    wrapped += '<';
    wrapped += word;
    wrapped += '>';
    const std::size_t size = wrapped.size();
    const auto maxn = static_cast<std::size_t>(options.maxn);
    const auto minn = static_cast<std::size_t>(options.minn);
    for (std::size_t i = 0; i < size; ++i) {
        if (detail::is_utf8_continuation(wrapped[i])) continue;
        std::size_t j = i;
        for (std::size_t n = 1; j < size && n <= maxn; ++n) {
            ++j;
            while (j < size && detail::is_utf8_continuation(wrapped[j])) ++j;
            if (n >= minn && !(n == 1 && (i == 0 || j == size))) f(std::string_view(wrapped).substr(i, j - i));
        }
    }
}

/// The n-grams of "<word>" as strings (see for_each_char_ngram). Throws invalid_options for
/// invalid `options`.
[[nodiscard]] inline std::vector<std::string> char_ngrams(std::string_view word, const SubwordOptions& options = {}) {
    validate(options);
    std::vector<std::string> out;
    for_each_char_ngram(word, options, [&](std::string_view g) { out.emplace_back(g); });
    return out;
}

/// Appends the bucket (0..buckets-1) of every n-gram of "<word>" to `out`, in n-gram order;
/// repeated n-grams give repeated buckets, as in fastText. `options` must be valid.
inline void append_ngram_buckets(std::string_view word, const SubwordOptions& options, std::vector<std::int32_t>& out) {
    for_each_char_ngram(word, options, [&](std::string_view g) { out.push_back(ngram_bucket(g, options.buckets)); });
}

/// The buckets of the n-grams of "<word>" (see append_ngram_buckets). Throws invalid_options for
/// invalid `options`.
[[nodiscard]] inline std::vector<std::int32_t> ngram_buckets(std::string_view word, const SubwordOptions& options = {}) {
    validate(options);
    std::vector<std::int32_t> out;
    append_ngram_buckets(word, options, out);
    return out;
}

}  // namespace embedkit
