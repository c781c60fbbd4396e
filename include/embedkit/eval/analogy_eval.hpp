#pragma once

#include "embedkit/core/word_vectors.hpp"
#include "embedkit/detail/folded_vocab.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/search/analogy.hpp"
#include "embedkit/types.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <istream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace embedkit {

/// One section of an analogy file: its name and its questions "a b c d" (a : b :: c : d).
struct AnalogySection {
    std::string name;
    std::vector<std::array<std::string, 4>> questions;
};

/// Parses the questions-words format (word2vec's compute-accuracy, gensim): a line ": name"
/// starts a section, every other non-blank line holds four whitespace-separated words.
/// Throws io_error naming `source` and the line for a line with another word count or a question
/// before the first section header.
[[nodiscard]] inline std::vector<AnalogySection> parse_analogy_questions(std::istream& in, const std::string& source) {
    std::vector<AnalogySection> sections;
    std::string line;
    std::uint64_t line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos) continue;  // blank
        if (line[first] == ':') {
            const auto name_begin = line.find_first_not_of(" \t", first + 1);
            const auto name_end = line.find_last_not_of(" \t");
            AnalogySection section;
            if (name_begin != std::string::npos) section.name = line.substr(name_begin, name_end - name_begin + 1);
            sections.push_back(std::move(section));
            continue;
        }
        if (sections.empty()) throw io_error(source, line_no, "question before the first ': section' header");
        std::istringstream words(line);
        std::array<std::string, 4> q;
        std::size_t n = 0;
        std::string word;
        while (words >> word) {
            if (n < 4) q[n] = word;
            ++n;
        }
        if (n != 4) {
            throw io_error(source, line_no, "expected 4 words 'a b c d', got " + std::to_string(n));
        }
        sections.back().questions.push_back(std::move(q));
    }
    if (in.bad()) throw io_error(source, line_no, "read error");
    return sections;
}

/// Reads an analogy file; see parse_analogy_questions(). Throws io_error if it cannot be opened.
[[nodiscard]] inline std::vector<AnalogySection> read_analogy_questions(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw io_error(path, "cannot open analogy file");
    return parse_analogy_questions(in, path);
}

struct AnalogyEvalOptions {
    /// Only the first `restrict_vocab` words (the most frequent) count: a question with a word
    /// outside them is skipped, and answers come from them. 0 = every word. 30,000 is what
    /// word2vec's compute-accuracy uses.
    Eigen::Index restrict_vocab = 30000;
    /// Match question words to vocabulary words ignoring ASCII case; several case variants of a
    /// word stand for the first (most frequent) of them, as in gensim.
    bool case_insensitive = true;
    AnalogyMethod method = AnalogyMethod::cos_add;
    /// The first this many sections are "semantic", the rest "syntactic" (5 for questions-words).
    std::size_t semantic_sections = 5;
    /// 0 = every core.
    unsigned threads = 0;
};

/// Throws invalid_options naming the field when `options` is unusable.
inline void validate(const AnalogyEvalOptions& options) {
    if (options.restrict_vocab < 0) {
        throw invalid_options("AnalogyEvalOptions::restrict_vocab must be >= 0 (0 = all words), got " +
                              std::to_string(options.restrict_vocab));
    }
}

/// Counts for one section or a group of sections.
struct AnalogyScore {
    std::string name;
    std::size_t correct = 0;
    /// Questions whose four words are all in the (restricted) vocabulary.
    std::size_t answered = 0;
    /// Questions with at least one word outside it (not counted in the accuracy).
    std::size_t skipped = 0;

    /// correct / answered, 0 when nothing was answered.
    [[nodiscard]] double accuracy() const noexcept {
        return answered == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(answered);
    }
    [[nodiscard]] std::size_t questions() const noexcept { return answered + skipped; }

    void add(const AnalogyScore& other) noexcept {
        correct += other.correct;
        answered += other.answered;
        skipped += other.skipped;
    }
};

struct AnalogyEvalResult {
    std::vector<AnalogyScore> sections;
    AnalogyScore semantic{"semantic"};
    AnalogyScore syntactic{"syntactic"};
    AnalogyScore overall{"overall"};
};

/// Analogy accuracy of `vectors` on `sections`: for each question a : b :: c : d whose words are
/// all among the first `restrict_vocab` words, the best answer among those words (a, b and c
/// excluded) must be d. Matches gensim's KeyedVectors.evaluate_word_analogies with the same
/// restrict_vocab and case_insensitive. Questions are answered in one batch.
template <class Scalar>
[[nodiscard]] AnalogyEvalResult evaluate_analogies(const WordVectors<Scalar>& vectors,
                                                   const std::vector<AnalogySection>& sections,
                                                   const AnalogyEvalOptions& options = {}) {
    validate(options);
    const detail::FoldedVocab vocab(vectors.words(), static_cast<std::size_t>(options.restrict_vocab),
                                    options.case_insensitive);
    const AnalogySolver<Scalar> solver(vectors, static_cast<Eigen::Index>(vocab.size()), options.threads);

    AnalogyEvalResult result;
    std::vector<AnalogyQuestion> batch;
    std::vector<TokenId> expected;
    std::vector<std::size_t> section_of;
    std::vector<std::vector<TokenId>> extra_exclude;
    bool any_variants = false;
    for (std::size_t s = 0; s < sections.size(); ++s) {
        AnalogyScore score;
        score.name = sections[s].name;
        for (const auto& q : sections[s].questions) {
            std::array<TokenId, 4> ids{};
            bool known = true;
            for (std::size_t w = 0; w < 4 && known; ++w) {
                const auto id = vocab.find(q[w]);
                if (id) {
                    ids[w] = *id;
                } else {
                    known = false;
                }
            }
            if (!known) {
                ++score.skipped;
                continue;
            }
            ++score.answered;
            batch.push_back({ids[0], ids[1], ids[2]});
            expected.push_back(ids[3]);
            section_of.push_back(s);
            // Other case variants of a, b and c are question words too (gensim ignores them).
            std::vector<TokenId> variants;
            for (std::size_t w = 0; w < 3; ++w) {
                const auto& group = vocab.variants(ids[w]);
                variants.insert(variants.end(), group.begin(), group.end());
            }
            any_variants = any_variants || !variants.empty();
            extra_exclude.push_back(std::move(variants));
        }
        result.sections.push_back(std::move(score));
    }
    if (!any_variants) extra_exclude.clear();

    AnalogyOptions solve_options;
    solve_options.method = options.method;
    const auto answers = solver.solve_batch(batch, 1, solve_options, extra_exclude);
    for (std::size_t i = 0; i < answers.size(); ++i) {
        // A case variant of d counts as d.
        if (!answers[i].empty() && vocab.canonical(answers[i].front().id) == expected[i]) {
            ++result.sections[section_of[i]].correct;
        }
    }
    for (std::size_t s = 0; s < result.sections.size(); ++s) {
        (s < options.semantic_sections ? result.semantic : result.syntactic).add(result.sections[s]);
        result.overall.add(result.sections[s]);
    }
    return result;
}

/// Reads `path` (questions-words format) and evaluates; see the overload above.
template <class Scalar>
[[nodiscard]] AnalogyEvalResult evaluate_analogies(const WordVectors<Scalar>& vectors, const std::string& path,
                                                   const AnalogyEvalOptions& options = {}) {
    return evaluate_analogies(vectors, read_analogy_questions(path), options);
}

}  // namespace embedkit
