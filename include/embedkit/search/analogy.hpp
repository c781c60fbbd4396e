#pragma once

#include "embedkit/core/word_vectors.hpp"
#include "embedkit/detail/blocked_topk.hpp"
#include "embedkit/detail/folded_vocab.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/search/topk_index.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace embedkit {

/// How an analogy a : b :: c : ? is answered (Levy and Goldberg 2014), over unit vectors.
enum class AnalogyMethod {
    cos_add,  ///< 3CosAdd: argmax_x cos(x, b - a + c) (word2vec, gensim)
    cos_mul,  ///< 3CosMul: argmax_x cos'(x,b) cos'(x,c) / (cos'(x,a) + eps), cos' = (cos + 1) / 2
};

[[nodiscard]] inline const char* to_string(AnalogyMethod method) noexcept {
    return method == AnalogyMethod::cos_add ? "3CosAdd" : "3CosMul";
}

/// One question a : b :: c : ?, by row ids.
struct AnalogyQuestion {
    TokenId a = 0;
    TokenId b = 0;
    TokenId c = 0;
};

struct AnalogyOptions {
    AnalogyMethod method = AnalogyMethod::cos_add;
    /// Answers only among the first `restrict_rows` rows of the solver; 0 = all of them.
    Eigen::Index restrict_rows = 0;
    /// The epsilon of 3CosMul that keeps the division finite (0.001 in the paper).
    double mul_epsilon = 0.001;
};

/// Throws invalid_options naming the field when `options` is unusable.
inline void validate(const AnalogyOptions& options) {
    if (options.restrict_rows < 0) {
        throw invalid_options("AnalogyOptions::restrict_rows must be >= 0 (0 = all rows), got " +
                              std::to_string(options.restrict_rows));
    }
    if (!(options.mul_epsilon > 0) || !std::isfinite(options.mul_epsilon)) {
        throw invalid_options("AnalogyOptions::mul_epsilon must be positive and finite, got " +
                              std::to_string(options.mul_epsilon));
    }
}

/// Solves word analogies over (the first rows of) a WordVectors, one question or many at once.
///
/// Holds a unit-normalised copy of the rows it covers (a cosine TopKIndex) and a reference to
/// the WordVectors for word lookups: keep that alive while the solver is used. The question
/// words are never returned as answers. Batches are scored with blocked matrix products.
template <class Scalar = float>
class AnalogySolver {
public:
    using Results = std::vector<Neighbor<Scalar>>;

    /// Covers the first `max_rows` rows of `vectors` (0 = all); only those are copied.
    explicit AnalogySolver(const WordVectors<Scalar>& vectors, Eigen::Index max_rows = 0, unsigned threads = 0)
        : vectors_(&vectors),
          index_(RowMatrix<Scalar>(vectors.matrix().topRows(covered_rows(vectors, max_rows))), Metric::cosine,
                 threads) {}

    /// Rows covered: questions and answers are ids below this.
    [[nodiscard]] Eigen::Index rows() const noexcept { return index_.rows(); }
    [[nodiscard]] const TopKIndex<Scalar>& index() const noexcept { return index_; }
    [[nodiscard]] const WordVectors<Scalar>& vectors() const noexcept { return *vectors_; }

    /// The id of `word`: an exact match, else its ASCII lower-case form. Throws invalid_argument
    /// when neither is known or the word lies outside the covered rows.
    [[nodiscard]] TokenId word_id(std::string_view word) const {
        auto id = vectors_->find(word);
        if (!id) id = vectors_->find(detail::ascii_lower(word));
        if (!id) throw invalid_argument("word not in vocabulary: '" + std::string(word) + "'");
        if (*id >= rows()) {
            throw invalid_argument("word '" + std::string(word) + "' is not among the first " +
                                   std::to_string(rows()) + " words");
        }
        return *id;
    }

    /// The k best answers to a : b :: c : ? (b - a + c), best first.
    [[nodiscard]] Results solve(TokenId a, TokenId b, TokenId c, Eigen::Index k, const AnalogyOptions& options = {}) const {
        return std::move(solve_batch({AnalogyQuestion{a, b, c}}, k, options).front());
    }

    [[nodiscard]] Results solve(std::string_view a, std::string_view b, std::string_view c, Eigen::Index k,
                                const AnalogyOptions& options = {}) const {
        return solve(word_id(a), word_id(b), word_id(c), k, options);
    }

    /// The k best answers to every question, in order. `extra_exclude` is empty or one list per
    /// question of further ids never to return (evaluation passes case variants of a, b, c).
    /// Throws invalid_argument for k <= 0 or an id outside the covered rows.
    [[nodiscard]] std::vector<Results> solve_batch(const std::vector<AnalogyQuestion>& questions, Eigen::Index k,
                                                   const AnalogyOptions& options = {},
                                                   const std::vector<std::vector<TokenId>>& extra_exclude = {}) const {
        validate(options);
        if (k <= 0) throw invalid_argument("AnalogySolver: k must be positive, got " + std::to_string(k));
        if (!extra_exclude.empty() && extra_exclude.size() != questions.size()) {
            throw invalid_argument("AnalogySolver: extra_exclude has " + std::to_string(extra_exclude.size()) +
                                   " lists for " + std::to_string(questions.size()) + " questions");
        }
        for (std::size_t i = 0; i < questions.size(); ++i) {
            for (TokenId id : {questions[i].a, questions[i].b, questions[i].c}) {
                if (id < 0 || id >= rows()) {
                    throw invalid_argument("AnalogySolver: question " + std::to_string(i) + " has id " +
                                           std::to_string(id) + " outside [0, " + std::to_string(rows()) + ")");
                }
            }
        }
        std::vector<std::vector<TokenId>> exclude(questions.size());
        for (std::size_t i = 0; i < questions.size(); ++i) {
            exclude[i] = {questions[i].a, questions[i].b, questions[i].c};
            if (!extra_exclude.empty()) exclude[i].insert(exclude[i].end(), extra_exclude[i].begin(), extra_exclude[i].end());
        }
        if (options.method == AnalogyMethod::cos_add) return solve_add(questions, k, options, std::move(exclude));
        return solve_mul(questions, k, options, exclude);
    }

private:
    static Eigen::Index covered_rows(const WordVectors<Scalar>& vectors, Eigen::Index max_rows) {
        if (max_rows < 0) throw invalid_argument("AnalogySolver: max_rows must be >= 0, got " + std::to_string(max_rows));
        const auto all = static_cast<Eigen::Index>(vectors.size());
        return max_rows == 0 ? all : std::min(max_rows, all);
    }

    // 3CosAdd: one cosine search per question for the query b^ - a^ + c^.
    std::vector<Results> solve_add(const std::vector<AnalogyQuestion>& questions, Eigen::Index k,
                                   const AnalogyOptions& options, std::vector<std::vector<TokenId>> exclude) const {
        const auto& unit = index_.vectors();
        RowMatrix<Scalar> queries(static_cast<Eigen::Index>(questions.size()), unit.cols());
        for (std::size_t i = 0; i < questions.size(); ++i) {
            const auto& q = questions[i];
            queries.row(static_cast<Eigen::Index>(i)) = unit.row(q.b) - unit.row(q.a) + unit.row(q.c);
        }
        SearchOptions search;
        search.restrict_rows = options.restrict_rows;
        search.exclude_per_query = std::move(exclude);
        return index_.topk_batch(queries, k, search);
    }

    // 3CosMul: three cosine blocks per block of rows, combined element-wise.
    class MulScorer {
    public:
        MulScorer(const AnalogySolver& solver, const std::vector<AnalogyQuestion>& questions, Scalar epsilon)
            : unit_(solver.index_.vectors()), questions_(questions), epsilon_(epsilon) {}

        void set_queries(Eigen::Index first, Eigen::Index count) {
            a_.resize(count, unit_.cols());
            b_.resize(count, unit_.cols());
            c_.resize(count, unit_.cols());
            for (Eigen::Index i = 0; i < count; ++i) {
                const auto& q = questions_[static_cast<std::size_t>(first + i)];
                a_.row(i) = unit_.row(q.a);
                b_.row(i) = unit_.row(q.b);
                c_.row(i) = unit_.row(q.c);
            }
        }

        void score(Eigen::Index first_row, Eigen::Index count, RowMatrix<Scalar>& out) {
            sa_.noalias() = a_ * unit_.middleRows(first_row, count).transpose();
            sb_.noalias() = b_ * unit_.middleRows(first_row, count).transpose();
            out.noalias() = c_ * unit_.middleRows(first_row, count).transpose();
            const Scalar half(0.5);
            out.array() = ((sb_.array() + Scalar(1)) * half) * ((out.array() + Scalar(1)) * half) /
                          ((sa_.array() + Scalar(1)) * half + epsilon_);
        }

        void finish(Eigen::Index, Results&) const {}

    private:
        const RowMatrix<Scalar>& unit_;
        const std::vector<AnalogyQuestion>& questions_;
        Scalar epsilon_;
        RowMatrix<Scalar> a_, b_, c_, sa_, sb_;
    };

    std::vector<Results> solve_mul(const std::vector<AnalogyQuestion>& questions, Eigen::Index k,
                                   const AnalogyOptions& options,
                                   const std::vector<std::vector<TokenId>>& exclude) const {
        const Eigen::Index candidates =
            options.restrict_rows > 0 ? std::min(options.restrict_rows, rows()) : rows();
        detail::Exclusions exclusions;
        exclusions.per_query.reserve(exclude.size());
        for (const auto& ids : exclude) exclusions.per_query.push_back(detail::sorted_unique_ids(ids, candidates));
        const auto nq = static_cast<Eigen::Index>(questions.size());
        const unsigned threads = detail::threads_for_work(3 * nq, candidates, index_.dim(), index_.threads());
        const auto epsilon = static_cast<Scalar>(options.mul_epsilon);
        return detail::blocked_topk<Scalar>(nq, candidates, k, exclusions, threads,
                                            [&] { return MulScorer(*this, questions, epsilon); });
    }

    const WordVectors<Scalar>* vectors_;
    TopKIndex<Scalar> index_;
};

}  // namespace embedkit
