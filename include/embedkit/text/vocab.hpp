#pragma once

#include "embedkit/detail/atomic_file.hpp"
#include "embedkit/detail/string_map.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/text/tokenizer.hpp"
#include "embedkit/types.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <istream>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace embedkit {

/// Options of vocabulary building. Aggregate: C++20 callers may write `{.min_count = 1}`.
struct VocabOptions {
    /// Words seen fewer times are dropped.
    std::int64_t min_count = 5;
    /// Keep at most this many words, the most frequent ones; 0 = no limit.
    std::size_t max_size = 0;
    /// While counting, when the table holds more than this many distinct words, words with a count
    /// <= a threshold are dropped (the threshold starts at 1 and grows by 1 per pruning, as in
    /// word2vec). Counts of words that were pruned and came back are then lower bounds. 0 = never.
    std::size_t prune_at = 10'000'000;
};

/// Throws invalid_options naming the offending field.
inline void validate(const VocabOptions& opts) {
    if (opts.min_count < 0) {
        throw invalid_options("VocabOptions.min_count must be >= 0 (got " + std::to_string(opts.min_count) + ")");
    }
    if (opts.max_size > static_cast<std::size_t>(std::numeric_limits<TokenId>::max())) {
        throw invalid_options("VocabOptions.max_size must be at most 2^31-1 (got " + std::to_string(opts.max_size) +
                              ")");
    }
}

class VocabCounter;

/// A vocabulary: words with their counts, ids 0..size()-1 in descending count (ties: byte-wise
/// ascending word). Lookups by word take a string_view and do not allocate.
class Vocab {
public:
    Vocab() = default;

    /// Counts the tokens of `in` (see Tokenizer) and keeps the words `opts` allows.
    [[nodiscard]] static Vocab build(std::istream& in, const VocabOptions& opts = {},
                                     const TokenizerOptions& tokenizer = {});
    /// As `build`, reading a file; io_error naming `path` if it cannot be opened or read.
    [[nodiscard]] static Vocab build_file(const std::string& path, const VocabOptions& opts = {},
                                          const TokenizerOptions& tokenizer = {});
    /// From (word, count) pairs; invalid_argument on an empty word, a word with ASCII whitespace,
    /// a negative count or a duplicate word. `opts.prune_at` is not used.
    [[nodiscard]] static Vocab from_counts(std::vector<std::pair<std::string, std::int64_t>> counts,
                                           const VocabOptions& opts = {});

    /// Writes "word count\n" per word in id order, atomically. io_error on failure.
    void save(const std::string& path) const {
        detail::AtomicFileWriter writer(path);
        std::string chunk;
        for (std::size_t i = 0; i < words_.size(); ++i) {
            chunk += words_[i];
            chunk += ' ';
            chunk += std::to_string(counts_[i]);
            chunk += '\n';
            if (chunk.size() >= (1u << 16)) {
                writer.stream().write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
                chunk.clear();
            }
        }
        writer.stream().write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        writer.commit();
    }

    /// Reads a file written by `save` (or word2vec's -save-vocab): one "word count" per line,
    /// separated by one space or tab; a trailing '\r' is ignored. Ids follow the file order and
    /// no word is dropped. `total_tokens_seen()` equals `total_count()` (the file has no more).
    /// io_error naming the file and line on a malformed line: an empty line, a missing,
    /// non-numeric, negative or out-of-range count, a word with other ASCII whitespace (\v \f
    /// \r inside it), or a duplicate word. An empty file is an empty vocabulary.
    [[nodiscard]] static Vocab load(const std::string& path);
    /// As `load(path)`, reading `in`; `source_name` names it in errors.
    [[nodiscard]] static Vocab load(std::istream& in, const std::string& source_name);

    [[nodiscard]] std::size_t size() const noexcept { return words_.size(); }
    [[nodiscard]] bool empty() const noexcept { return words_.empty(); }

    [[nodiscard]] std::optional<TokenId> find(std::string_view word) const noexcept {
        if (const TokenId* id = index_.find(word)) return *id;
        return std::nullopt;
    }
    /// Throws invalid_argument naming the word when it is unknown.
    [[nodiscard]] TokenId at(std::string_view word) const {
        if (const TokenId* id = index_.find(word)) return *id;
        throw invalid_argument("word not in vocabulary: '" + std::string(word) + "'");
    }
    [[nodiscard]] bool contains(std::string_view word) const noexcept { return index_.find(word) != nullptr; }

    /// Throws invalid_argument if `id` is not in [0, size()).
    [[nodiscard]] const std::string& word(TokenId id) const { return words_[checked(id)]; }
    [[nodiscard]] std::int64_t count(TokenId id) const { return counts_[checked(id)]; }
    [[nodiscard]] const std::vector<std::string>& words() const noexcept { return words_; }
    [[nodiscard]] const std::vector<std::int64_t>& counts() const noexcept { return counts_; }

    /// Sum of the counts of the kept words (the number of tokens a corpus encoded with it has).
    [[nodiscard]] std::int64_t total_count() const noexcept { return total_count_; }
    /// Every token counted, including those of dropped words.
    [[nodiscard]] std::int64_t total_tokens_seen() const noexcept { return total_seen_; }

private:
    friend class VocabCounter;

    [[nodiscard]] std::size_t checked(TokenId id) const {
        if (id < 0 || static_cast<std::size_t>(id) >= words_.size()) {
            throw invalid_argument("Vocab: id " + std::to_string(id) + " is out of range [0, " +
                                   std::to_string(words_.size()) + ")");
        }
        return static_cast<std::size_t>(id);
    }

    [[nodiscard]] static bool has_ascii_space(std::string_view word) noexcept {
        for (const char c : word) {
            if (c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r') return true;
        }
        return false;
    }

    static void check_word(std::string_view word) {
        if (word.empty()) throw invalid_argument("Vocab: empty word");
        if (has_ascii_space(word)) {
            throw invalid_argument("Vocab: word contains ASCII whitespace: '" + std::string(word) + "'");
        }
    }

    void add_word(std::string_view word, std::int64_t count) {
        index_.try_emplace(word, static_cast<TokenId>(words_.size()));
        words_.emplace_back(word);
        counts_.push_back(count);
        total_count_ += count;
    }

    // Keeps the candidates `opts` allows, ordered by count desc then word asc.
    template <class WordAt, class CountAt>
    static Vocab select(std::size_t n, WordAt word_at, CountAt count_at, std::int64_t total_seen,
                        const VocabOptions& opts) {
        std::vector<std::size_t> order;
        for (std::size_t i = 0; i < n; ++i) {
            if (count_at(i) >= opts.min_count) order.push_back(i);
        }
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            const std::int64_t ca = count_at(a);
            const std::int64_t cb = count_at(b);
            if (ca != cb) return ca > cb;
            return word_at(a) < word_at(b);  // char_traits<char>::compare is byte-wise (unsigned)
        });
        if (opts.max_size > 0 && order.size() > opts.max_size) order.resize(opts.max_size);
        if (order.size() > static_cast<std::size_t>(std::numeric_limits<TokenId>::max())) {
            throw invalid_argument("Vocab: more than 2^31-1 words; set VocabOptions.max_size");
        }
        Vocab v;
        v.words_.reserve(order.size());
        v.counts_.reserve(order.size());
        v.index_.reserve(order.size());
        for (const std::size_t i : order) {
            const std::string_view w = word_at(i);
            check_word(w);
            v.add_word(w, count_at(i));
        }
        v.total_seen_ = total_seen;
        return v;
    }

    std::vector<std::string> words_;
    std::vector<std::int64_t> counts_;
    detail::StringMap<TokenId> index_;
    std::int64_t total_count_ = 0;
    std::int64_t total_seen_ = 0;
};

/// Counts words with bounded memory (see VocabOptions::prune_at), then builds a Vocab.
///
///     VocabCounter counter({.min_count = 2});
///     for (auto w : words) counter.add(w);
///     Vocab vocab = std::move(counter).finish();
class VocabCounter {
public:
    explicit VocabCounter(const VocabOptions& opts = {}) : opts_(opts) { validate(opts_); }

    /// Counts one occurrence of `word`; invalid_argument if it is empty.
    void add(std::string_view word) {
        if (word.empty()) throw invalid_argument("VocabCounter::add: empty word");
        ++seen_;
        const auto [count, inserted] = table_.try_emplace(word, 0);
        ++*count;
        if (inserted) {
            peak_words_ = std::max(peak_words_, table_.size());
            peak_bytes_ = std::max(peak_bytes_, table_.memory_bytes());
            if (opts_.prune_at > 0 && table_.size() > opts_.prune_at) prune();
        }
    }

    void add_sentence(const std::vector<std::string_view>& words) {
        for (const std::string_view w : words) add(w);
    }

    /// Counts every token of `in` (see Tokenizer); `source_name` appears in error messages.
    void add_stream(std::istream& in, const TokenizerOptions& tokenizer = {}, std::string source_name = "<stream>") {
        Tokenizer tok(in, tokenizer, std::move(source_name));
        std::vector<std::string_view> words;
        while (tok.next_sentence(words)) add_sentence(words);
    }

    /// Distinct words in the counting table now (at most prune_at, when prune_at > 0).
    [[nodiscard]] std::size_t distinct_words() const noexcept { return table_.size(); }
    /// The most distinct words the table has held at once: at most prune_at + 1 (pruning starts
    /// when a word beyond prune_at arrives), when prune_at > 0.
    [[nodiscard]] std::size_t peak_distinct_words() const noexcept { return peak_words_; }
    /// Bytes the counting table holds now (slots, entries, word bytes; capacities, not sizes).
    [[nodiscard]] std::size_t memory_bytes() const noexcept { return table_.memory_bytes(); }
    /// The most bytes the table has held so far; never more than memory_cap(prune_at, longest word).
    [[nodiscard]] std::size_t peak_memory_bytes() const noexcept { return peak_bytes_; }

    /// The documented bound of peak_memory_bytes() with `prune_at` > 0 when no word is longer than
    /// `max_word_bytes` (the tokenizer's max_token_bytes, 100 by default): about
    /// (prune_at + 1) x (80 + 2 x max_word_bytes) bytes. See docs/text.md.
    [[nodiscard]] static constexpr std::size_t memory_cap(std::size_t prune_at, std::size_t max_word_bytes) noexcept {
        return detail::StringMap<std::int64_t>::memory_bound(prune_at + 1, (prune_at + 1) * max_word_bytes);
    }
    /// Tokens counted so far, including those of pruned words.
    [[nodiscard]] std::int64_t tokens_seen() const noexcept { return seen_; }
    /// Times the table was pruned.
    [[nodiscard]] std::size_t prunes() const noexcept { return prunes_; }
    /// The count at or below which the last pruning dropped words (0 before any pruning).
    [[nodiscard]] std::int64_t prune_threshold() const noexcept { return threshold_; }
    /// Current count of `word` (0 if absent).
    [[nodiscard]] std::int64_t count(std::string_view word) const noexcept {
        const std::int64_t* c = table_.find(word);
        return c ? *c : 0;
    }

    /// The vocabulary with the constructor's min_count and max_size.
    [[nodiscard]] Vocab finish() && { return std::move(*this).finish(opts_); }
    /// The vocabulary with `opts.min_count` and `opts.max_size`.
    [[nodiscard]] Vocab finish(const VocabOptions& opts) && {
        validate(opts);
        Vocab v = Vocab::select(
            table_.size(), [this](std::size_t i) { return table_.key(i); },
            [this](std::size_t i) { return table_.value(i); }, seen_, opts);
        table_.clear();
        return v;
    }

private:
    void prune() {
        // Repeat until the table fits: one pass may drop nothing when every count is high.
        do {
            ++threshold_;
            ++prunes_;
            const std::int64_t t = threshold_;
            table_.erase_if([t](std::string_view, std::int64_t c) { return c <= t; });
        } while (table_.size() > opts_.prune_at);
    }

    VocabOptions opts_;
    detail::StringMap<std::int64_t> table_;
    std::int64_t seen_ = 0;
    std::int64_t threshold_ = 0;
    std::size_t prunes_ = 0;
    std::size_t peak_words_ = 0;
    std::size_t peak_bytes_ = 0;
};

inline Vocab Vocab::build(std::istream& in, const VocabOptions& opts, const TokenizerOptions& tokenizer) {
    VocabCounter counter(opts);
    counter.add_stream(in, tokenizer);
    return std::move(counter).finish();
}

inline Vocab Vocab::build_file(const std::string& path, const VocabOptions& opts, const TokenizerOptions& tokenizer) {
    validate(opts);
    validate(tokenizer);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error(path, "cannot open for reading");
    VocabCounter counter(opts);
    counter.add_stream(in, tokenizer, path);
    return std::move(counter).finish();
}

inline Vocab Vocab::from_counts(std::vector<std::pair<std::string, std::int64_t>> counts, const VocabOptions& opts) {
    validate(opts);
    detail::StringMap<char> seen;
    seen.reserve(counts.size());
    std::int64_t total = 0;
    for (const auto& [word, count] : counts) {
        check_word(word);
        if (count < 0) {
            throw invalid_argument("Vocab::from_counts: negative count " + std::to_string(count) + " for '" + word + "'");
        }
        if (!seen.try_emplace(word, 0).second) throw invalid_argument("Vocab::from_counts: duplicate word '" + word + "'");
        if (count > std::numeric_limits<std::int64_t>::max() - total) {
            throw invalid_argument("Vocab::from_counts: total count overflows int64");
        }
        total += count;
    }
    return select(
        counts.size(), [&counts](std::size_t i) { return std::string_view(counts[i].first); },
        [&counts](std::size_t i) { return counts[i].second; }, total, opts);
}

inline Vocab Vocab::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error(path, "cannot open for reading");
    return load(in, path);
}

inline Vocab Vocab::load(std::istream& in, const std::string& path) {
    Vocab v;
    std::string line;
    std::uint64_t line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) throw io_error(path, line_no, "empty line");
        const std::size_t sep = line.find_first_of(" \t");
        if (sep == std::string::npos) throw io_error(path, line_no, "missing count after the word");
        if (sep == 0) throw io_error(path, line_no, "empty word");
        const std::string_view word(line.data(), sep);
        if (has_ascii_space(word)) throw io_error(path, line_no, "the word contains ASCII whitespace (\\v, \\f or \\r)");
        const std::string_view text = std::string_view(line).substr(sep + 1);
        if (text.empty()) throw io_error(path, line_no, "missing count after the word");
        if (text.front() == '-') throw io_error(path, line_no, "negative count '" + std::string(text) + "'");
        std::int64_t count = 0;
        for (const char c : text) {
            if (c < '0' || c > '9') {
                throw io_error(path, line_no, "count is not a non-negative integer: '" + std::string(text) + "'");
            }
            const int digit = c - '0';
            if (count > (std::numeric_limits<std::int64_t>::max() - digit) / 10) {
                throw io_error(path, line_no, "count out of range: '" + std::string(text) + "'");
            }
            count = count * 10 + digit;
        }
        if (v.contains(word)) {
            throw io_error(path, line_no,
                           "duplicate word '" + std::string(word) + "' (first on line " +
                               std::to_string(static_cast<std::uint64_t>(v.at(word)) + 1) + ")");
        }
        if (v.size() >= static_cast<std::size_t>(std::numeric_limits<TokenId>::max())) {
            throw io_error(path, line_no, "more than 2^31-1 words");
        }
        if (count > std::numeric_limits<std::int64_t>::max() - v.total_count_) {
            throw io_error(path, line_no, "total count overflows int64");
        }
        v.add_word(word, count);
    }
    if (in.bad()) throw io_error(path, "read error");
    v.total_seen_ = v.total_count_;
    return v;
}

}  // namespace embedkit
