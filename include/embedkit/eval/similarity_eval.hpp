#pragma once

#include "embedkit/core/word_vectors.hpp"
#include "embedkit/detail/folded_vocab.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <istream>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace embedkit {

/// One line of a word-similarity data set: two words and a human similarity score.
struct WordPair {
    std::string first;
    std::string second;
    double score = 0;
};

/// Parses a word-similarity file (WordSim-353, SimLex, MEN ...): one pair per line,
/// "word1 word2 score", split on tabs when the line has one, else on whitespace. Blank lines and
/// lines starting with '#' are skipped, and so is a header: a first line whose score is not a
/// number. Throws io_error naming `source` and the line for any other malformed line.
[[nodiscard]] inline std::vector<WordPair> parse_word_pairs(std::istream& in, const std::string& source) {
    std::vector<WordPair> pairs;
    std::string line;
    std::uint64_t line_no = 0;
    bool seen_content = false;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') continue;
        std::vector<std::string> fields;
        if (line.find('\t') != std::string::npos) {
            std::size_t begin = 0;
            for (;;) {
                const auto tab = line.find('\t', begin);
                std::string field = line.substr(begin, tab == std::string::npos ? std::string::npos : tab - begin);
                const auto b = field.find_first_not_of(' ');
                const auto e = field.find_last_not_of(' ');
                fields.push_back(b == std::string::npos ? std::string() : field.substr(b, e - b + 1));
                if (tab == std::string::npos) break;
                begin = tab + 1;
            }
        } else {
            std::istringstream words(line);
            std::string word;
            while (words >> word) fields.push_back(word);
        }
        const bool first_content = !seen_content;
        seen_content = true;
        if (fields.size() != 3 || fields[0].empty() || fields[1].empty()) {
            throw io_error(source, line_no, "expected 'word1 word2 score', got " + std::to_string(fields.size()) +
                                                " fields");
        }
        const char* text = fields[2].c_str();
        char* end = nullptr;
        errno = 0;
        const double score = std::strtod(text, &end);
        const bool numeric = end != text && *end == '\0' && errno == 0 && std::isfinite(score);
        if (!numeric) {
            if (first_content) continue;  // a header such as "Word 1<TAB>Word 2<TAB>Human (mean)"
            throw io_error(source, line_no, "score '" + fields[2] + "' is not a finite number");
        }
        pairs.push_back({std::move(fields[0]), std::move(fields[1]), score});
    }
    if (in.bad()) throw io_error(source, line_no, "read error");
    return pairs;
}

/// Reads a word-similarity file; see parse_word_pairs(). Throws io_error if it cannot be opened.
[[nodiscard]] inline std::vector<WordPair> read_word_pairs(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw io_error(path, "cannot open word-similarity file");
    return parse_word_pairs(in, path);
}

/// 1-based ranks of `values` in ascending order; tied values all get the average of their ranks
/// (the "fractional" ranking Spearman's rho needs).
[[nodiscard]] inline std::vector<double> average_ranks(const std::vector<double>& values) {
    std::vector<std::size_t> order(values.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
    std::vector<double> ranks(values.size());
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i + 1;
        while (j < order.size() && values[order[j]] == values[order[i]]) ++j;
        const double rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;  // mean of i+1 .. j
        for (std::size_t t = i; t < j; ++t) ranks[order[t]] = rank;
        i = j;
    }
    return ranks;
}

/// Pearson's correlation coefficient. NaN when there are fewer than two values or either side is
/// constant (as scipy). Throws invalid_argument if the sizes differ.
[[nodiscard]] inline double pearson(const std::vector<double>& x, const std::vector<double>& y) {
    if (x.size() != y.size()) {
        throw invalid_argument("pearson: " + std::to_string(x.size()) + " values against " + std::to_string(y.size()));
    }
    const auto n = static_cast<double>(x.size());
    if (x.size() < 2) return std::numeric_limits<double>::quiet_NaN();
    const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
    const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if (!(sxx > 0) || !(syy > 0)) return std::numeric_limits<double>::quiet_NaN();
    return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

/// Spearman's rank correlation: Pearson's correlation of the average ranks (ties averaged).
/// NaN when there are fewer than two values or either side is constant.
[[nodiscard]] inline double spearman(const std::vector<double>& x, const std::vector<double>& y) {
    if (x.size() != y.size()) {
        throw invalid_argument("spearman: " + std::to_string(x.size()) + " values against " + std::to_string(y.size()));
    }
    return pearson(average_ranks(x), average_ranks(y));
}

struct SimilarityEvalOptions {
    /// Only the first `restrict_vocab` words count; 0 = every word. 300,000 is gensim's default.
    Eigen::Index restrict_vocab = 300000;
    /// Match words ignoring ASCII case; case variants stand for the first (most frequent) one.
    bool case_insensitive = true;
};

/// Throws invalid_options naming the field when `options` is unusable.
inline void validate(const SimilarityEvalOptions& options) {
    if (options.restrict_vocab < 0) {
        throw invalid_options("SimilarityEvalOptions::restrict_vocab must be >= 0 (0 = all words), got " +
                              std::to_string(options.restrict_vocab));
    }
}

struct SimilarityEvalResult {
    /// Spearman's rho between the cosine similarities and the human scores over the found pairs.
    double spearman = std::numeric_limits<double>::quiet_NaN();
    /// Pearson's r over the same pairs (gensim reports it too).
    double pearson = std::numeric_limits<double>::quiet_NaN();
    /// Pairs whose two words are both in the (restricted) vocabulary.
    std::size_t found = 0;
    std::size_t total = 0;

    /// found / total (0 for an empty data set).
    [[nodiscard]] double coverage() const noexcept {
        return total == 0 ? 0.0 : static_cast<double>(found) / static_cast<double>(total);
    }
};

/// Correlation between the cosine similarity of each pair's vectors and its human score, over the
/// pairs whose two words are found; pairs with an unknown word only lower the coverage. Matches
/// gensim's KeyedVectors.evaluate_word_pairs with the same restrict_vocab and case_insensitive.
/// Cosines are computed in double; a zero vector has cosine 0 with everything.
template <class Scalar>
[[nodiscard]] SimilarityEvalResult evaluate_word_pairs(const WordVectors<Scalar>& vectors,
                                                       const std::vector<WordPair>& pairs,
                                                       const SimilarityEvalOptions& options = {}) {
    validate(options);
    const detail::FoldedVocab vocab(vectors.words(), static_cast<std::size_t>(options.restrict_vocab),
                                    options.case_insensitive);
    SimilarityEvalResult result;
    result.total = pairs.size();
    std::vector<double> human, model;
    for (const auto& pair : pairs) {
        const auto a = vocab.find(pair.first);
        const auto b = vocab.find(pair.second);
        if (!a || !b) continue;
        const RowVector<double> va = vectors.matrix().row(*a).template cast<double>();
        const RowVector<double> vb = vectors.matrix().row(*b).template cast<double>();
        const double na = va.norm(), nb = vb.norm();
        const double cosine = (na > 0 && nb > 0) ? va.dot(vb) / (na * nb) : 0.0;
        human.push_back(pair.score);
        model.push_back(cosine);
    }
    result.found = human.size();
    result.spearman = spearman(human, model);
    result.pearson = pearson(human, model);
    return result;
}

/// Reads `path` and evaluates; see the overload above.
template <class Scalar>
[[nodiscard]] SimilarityEvalResult evaluate_word_pairs(const WordVectors<Scalar>& vectors, const std::string& path,
                                                       const SimilarityEvalOptions& options = {}) {
    return evaluate_word_pairs(vectors, read_word_pairs(path), options);
}

}  // namespace embedkit
