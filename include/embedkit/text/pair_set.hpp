#pragma once

#include "embedkit/detail/rng.hpp"
#include "embedkit/detail/string_map.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/text/corpus.hpp"
#include "embedkit/text/subsampling.hpp"
#include "embedkit/text/vocab.hpp"
#include "embedkit/types.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <istream>
#include <limits>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace embedkit {

/// (anchor, positive) pairs of row ids, the training data of the pair trainer, with the key (the
/// name written to vector files) of every row. Anchors and positives share one key space (items
/// that co-occur, a word and its context) unless `separate_key_spaces` (users and items).
struct PairSet {
    std::vector<TokenId> anchors;    ///< anchors[i]: a row of anchor_keys
    std::vector<TokenId> positives;  ///< positives[i]: a row of positive_keys() (the same size as anchors)
    std::vector<std::string> anchor_keys;
    /// Keys of the positive rows; used only when separate_key_spaces.
    std::vector<std::string> positive_key_space;
    bool separate_key_spaces = false;

    [[nodiscard]] std::size_t size() const noexcept { return anchors.size(); }
    [[nodiscard]] bool empty() const noexcept { return anchors.empty(); }
    [[nodiscard]] std::size_t anchor_rows() const noexcept { return anchor_keys.size(); }
    [[nodiscard]] std::size_t positive_rows() const noexcept { return positive_keys().size(); }
    /// The keys of the rows positives index: positive_key_space or, when shared, anchor_keys.
    [[nodiscard]] const std::vector<std::string>& positive_keys() const noexcept {
        return separate_key_spaces ? positive_key_space : anchor_keys;
    }

    /// Pairs of numeric ids in one key space with `rows` rows named "0", "1", ... (rows = 0: the
    /// largest id + 1). Throws invalid_argument if the sizes differ or an id is negative or >= rows.
    [[nodiscard]] static PairSet from_ids(std::vector<TokenId> anchors, std::vector<TokenId> positives, TokenId rows = 0) {
        if (anchors.size() != positives.size()) {
            throw invalid_argument("PairSet::from_ids: " + std::to_string(anchors.size()) + " anchors but " +
                                   std::to_string(positives.size()) + " positives");
        }
        if (rows < 0) throw invalid_argument("PairSet::from_ids: rows must be >= 0, got " + std::to_string(rows));
        if (rows == 0) {
            TokenId max_id = -1;
            for (const TokenId id : anchors) max_id = std::max(max_id, id);
            for (const TokenId id : positives) max_id = std::max(max_id, id);
            if (max_id == std::numeric_limits<TokenId>::max()) {
                throw invalid_argument("PairSet::from_ids: id 2147483647 leaves no room for a row count");
            }
            rows = max_id + 1;
        }
        PairSet set;
        set.anchors = std::move(anchors);
        set.positives = std::move(positives);
        set.anchor_keys.reserve(static_cast<std::size_t>(rows));
        for (TokenId i = 0; i < rows; ++i) set.anchor_keys.push_back(std::to_string(i));
        set.check("PairSet::from_ids");
        return set;
    }

    /// Throws invalid_argument (prefixed with `where`) unless anchors and positives have the same
    /// size and every id is a row of its key space.
    void check(const char* where) const {
        if (anchors.size() != positives.size()) {
            throw invalid_argument(std::string(where) + ": " + std::to_string(anchors.size()) + " anchors but " +
                                   std::to_string(positives.size()) + " positives");
        }
        auto check_ids = [&](const std::vector<TokenId>& ids, std::size_t rows, const char* name) {
            for (std::size_t i = 0; i < ids.size(); ++i) {
                if (ids[i] < 0 || static_cast<std::size_t>(ids[i]) >= rows) {
                    throw invalid_argument(std::string(where) + ": " + name + "[" + std::to_string(i) + "] = " +
                                           std::to_string(ids[i]) + " is not a row of the " + std::to_string(rows) +
                                           " keys");
                }
            }
        };
        check_ids(anchors, anchor_rows(), "anchors");
        check_ids(positives, positive_rows(), "positives");
    }
};

/// How a pairs file names its rows.
enum class PairKeys {
    automatic,  ///< ids when every field is a small non-negative integer (see PairsFileOptions), tokens otherwise
    ids,        ///< every field is a row number 0 <= id < 2^31 - 1; rows are named by their number
    tokens,     ///< every field is a key (any text without spaces); rows in descending frequency
};

/// With PairKeys::ids the rows are 0..largest id, named by number, whether or not an id occurs:
/// the largest id may be at most kMaxPairIdSlack + 16 x (distinct ids). A file with sparse ids
/// (product numbers) would otherwise make billions of rows; read such files with tokens.
inline constexpr std::int64_t kMaxPairIdSlack = std::int64_t{1} << 22;

/// Options of read_pairs / parse_pairs. C++20: `{.keys = PairKeys::tokens}`.
struct PairsFileOptions {
    /// automatic picks ids when every field is an integer in [0, 2^31 - 1) and the largest is
    /// below 2 * (distinct ids) + 1024 (so sparse ids such as product numbers do not allocate a
    /// huge table); otherwise tokens.
    PairKeys keys = PairKeys::automatic;
    /// The two columns name different things (user -> item): each column gets its own rows.
    bool separate_key_spaces = false;
};

/// Throws invalid_options naming the field.
inline void validate(const PairsFileOptions& o) {
    if (o.keys != PairKeys::automatic && o.keys != PairKeys::ids && o.keys != PairKeys::tokens) {
        throw invalid_options("PairsFileOptions.keys has an unknown value " + std::to_string(static_cast<int>(o.keys)));
    }
}

namespace detail {

/// A non-negative decimal integer below 2^31 - 1 (so that id + 1 rows fit a TokenId), or -1.
[[nodiscard]] inline std::int64_t parse_pair_id(std::string_view s) noexcept {
    if (s.empty() || s.size() > 10) return -1;
    std::int64_t v = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    return v < std::numeric_limits<TokenId>::max() ? v : -1;
}

/// One key space while reading: keys in order of first appearance with their counts.
struct PairKeySpace {
    StringMap<TokenId> index;
    std::vector<std::int64_t> counts;
    bool all_ids = true;
    std::int64_t max_id = -1;
    std::uint64_t max_id_line = 0;

    TokenId add(std::string_view key, std::uint64_t line) {
        const auto [id, inserted] = index.try_emplace(key, static_cast<TokenId>(counts.size()));
        if (inserted) {
            if (counts.size() >= static_cast<std::size_t>(std::numeric_limits<TokenId>::max())) {
                throw invalid_argument("read_pairs: more than 2^31 - 1 distinct keys");
            }
            counts.push_back(0);
            const std::int64_t v = parse_pair_id(key);
            if (v < 0) all_ids = false;
            if (v > max_id) {
                max_id = v;
                max_id_line = line;
            }
        }
        const TokenId result = *id;
        ++counts[static_cast<std::size_t>(result)];
        return result;
    }

    /// Maps first-appearance indices to final rows and names the rows.
    void finish(bool as_ids, std::vector<TokenId>& remap, std::vector<std::string>& keys) const {
        const std::size_t n = counts.size();
        remap.assign(n, 0);
        keys.clear();
        if (as_ids) {
            for (std::size_t i = 0; i < n; ++i) remap[i] = static_cast<TokenId>(parse_pair_id(index.key(i)));
            const auto rows = static_cast<std::size_t>(max_id + 1);
            keys.reserve(rows);
            for (std::size_t i = 0; i < rows; ++i) keys.push_back(std::to_string(i));
            return;
        }
        std::vector<std::size_t> order(n);
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return counts[a] > counts[b]; });
        keys.reserve(n);
        for (std::size_t r = 0; r < n; ++r) {
            remap[order[r]] = static_cast<TokenId>(r);
            keys.emplace_back(index.key(order[r]));
        }
    }
};

}  // namespace detail

/// Reads pairs, one "anchor positive" per line: two fields separated by spaces or tabs, a
/// trailing '\r' ignored, blank lines skipped. With tokens, rows are ordered by descending count
/// (ties: first appearance). `source` names the input in errors. Throws io_error naming the
/// source and line on a line with another number of fields or, with PairKeys::ids, a field that
/// is not an id or an id too large for the number of distinct ids (see kMaxPairIdSlack).
[[nodiscard]] inline PairSet parse_pairs(std::istream& in, const std::string& source, const PairsFileOptions& options = {}) {
    validate(options);
    detail::PairKeySpace left, right_own;
    detail::PairKeySpace& right = options.separate_key_spaces ? right_own : left;
    std::vector<TokenId> anchors, positives;
    std::string line;
    std::uint64_t line_no = 0;
    std::string_view fields[2];
    while (std::getline(in, line)) {
        ++line_no;
        std::string_view rest(line);
        if (!rest.empty() && rest.back() == '\r') rest.remove_suffix(1);
        std::size_t count = 0;
        while (true) {
            const std::size_t begin = rest.find_first_not_of(" \t");
            if (begin == std::string_view::npos) break;
            rest.remove_prefix(begin);
            const std::size_t end = std::min(rest.find_first_of(" \t"), rest.size());
            if (count < 2) fields[count] = rest.substr(0, end);
            ++count;
            rest.remove_prefix(end);
        }
        if (count == 0) continue;
        if (count != 2) {
            throw io_error(source, line_no, "expected 2 fields 'anchor positive', got " + std::to_string(count));
        }
        if (options.keys == PairKeys::ids) {
            for (const std::string_view f : fields) {
                if (detail::parse_pair_id(f) < 0) {
                    throw io_error(source, line_no,
                                   "'" + std::string(f) + "' is not an id (an integer in [0, 2^31 - 1)); use token keys");
                }
            }
        }
        anchors.push_back(left.add(fields[0], line_no));
        positives.push_back(right.add(fields[1], line_no));
    }
    if (in.bad()) throw io_error(source, line_no, "read error");
    if (options.keys == PairKeys::ids) {
        for (const detail::PairKeySpace* space : {&left, &right}) {
            const auto distinct = static_cast<std::int64_t>(space->counts.size());
            if (space->max_id > kMaxPairIdSlack + 16 * distinct) {
                throw io_error(source, space->max_id_line,
                               "id " + std::to_string(space->max_id) + " would make " + std::to_string(space->max_id + 1) +
                                   " rows for " + std::to_string(distinct) + " distinct ids (at most 2^22 + 16 x " +
                                   "distinct ids are allowed); read sparse ids as tokens");
            }
        }
    }

    auto as_ids = [&](const detail::PairKeySpace& space) {
        if (options.keys != PairKeys::automatic) return options.keys == PairKeys::ids;
        return space.all_ids && space.max_id < 2 * static_cast<std::int64_t>(space.counts.size()) + 1024;
    };
    PairSet set;
    set.separate_key_spaces = options.separate_key_spaces;
    std::vector<TokenId> remap;
    left.finish(as_ids(left), remap, set.anchor_keys);
    for (TokenId& id : anchors) id = remap[static_cast<std::size_t>(id)];
    if (options.separate_key_spaces) {
        right_own.finish(as_ids(right_own), remap, set.positive_key_space);
    }
    for (TokenId& id : positives) id = remap[static_cast<std::size_t>(id)];
    set.anchors = std::move(anchors);
    set.positives = std::move(positives);
    return set;
}

/// Reads a pairs file; see parse_pairs. Throws io_error naming `path` if it cannot be opened.
[[nodiscard]] inline PairSet read_pairs(const std::string& path, const PairsFileOptions& options = {}) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error(path, "cannot open the pairs file");
    return parse_pairs(in, path, options);
}

/// Options of window_pairs. C++20: `{.window = 2, .sample = 0}`.
struct WindowPairsOptions {
    /// Largest distance between a word and a context word. > 0.
    int window = 5;
    /// word2vec's dynamic window: for each word the window is drawn uniformly from 1..window, so
    /// near contexts are paired more often than far ones.
    bool dynamic_window = true;
    /// Subsampling threshold of frequent words (see text/subsampling.hpp); 0 keeps every word.
    double sample = 1e-3;
    std::uint64_t seed = 1;
};

/// Throws invalid_options naming the field.
inline void validate(const WindowPairsOptions& o) {
    if (o.window <= 0) throw invalid_options("WindowPairsOptions.window must be > 0, got " + std::to_string(o.window));
    if (!(o.sample >= 0) || !std::isfinite(o.sample)) {
        throw invalid_options("WindowPairsOptions.sample must be finite and >= 0, got " + std::to_string(o.sample));
    }
}

/// (word, context) pairs from a corpus of ids of `vocab`: after subsampling (as word2vec, a word is
/// dropped before windows are formed), every word is paired with each word at most `window` (or
/// its dynamic window) positions away in the same sentence. Anchors and positives share one key
/// space, the vocabulary's words. Deterministic for a given seed. Throws invalid_options, or
/// invalid_argument if an id is outside the vocabulary.
[[nodiscard]] inline PairSet window_pairs(const Vocab& vocab, CorpusView corpus, const WindowPairsOptions& options = {}) {
    validate(options);
    (void)detail::checked_token_count(corpus, vocab.size(), "window_pairs");
    PairSet set;
    set.anchor_keys = vocab.words();
    const Subsampler subsampler(vocab.counts(), options.sample);
    detail::Rng rng(detail::stream_seed(options.seed, 0x7061697273ULL));  // "pairs"
    std::vector<TokenId> sentence;
    const TokenId* p = corpus.begin();
    while (p != corpus.end()) {
        sentence.clear();
        for (; p != corpus.end() && *p != kSentenceEnd; ++p) {
            if (options.sample <= 0 || subsampler.keep(*p, rng)) sentence.push_back(*p);
        }
        if (p != corpus.end()) ++p;  // the sentence end
        const auto n = static_cast<std::ptrdiff_t>(sentence.size());
        for (std::ptrdiff_t i = 0; i < n; ++i) {
            const std::ptrdiff_t b = options.dynamic_window
                                         ? 1 + static_cast<std::ptrdiff_t>(rng.below(static_cast<std::uint64_t>(options.window)))
                                         : options.window;
            for (std::ptrdiff_t j = std::max<std::ptrdiff_t>(0, i - b); j <= std::min(n - 1, i + b); ++j) {
                if (j == i) continue;
                set.anchors.push_back(sentence[static_cast<std::size_t>(i)]);
                set.positives.push_back(sentence[static_cast<std::size_t>(j)]);
            }
        }
    }
    return set;
}

}  // namespace embedkit
