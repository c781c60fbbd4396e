#pragma once

#include "embedkit/detail/blocked_topk.hpp"
#include "embedkit/detail/fused_topk.hpp"
#include "embedkit/detail/kernels.hpp"
#include "embedkit/detail/parallel.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace embedkit {

/// How a TopKIndex scores a row x against a query q (higher score = better).
enum class Metric {
    cosine,  ///< x.q / (|x| |q|); rows are normalised once when the index is built; zero vectors score 0
    dot,     ///< x.q
    l2,      ///< Euclidean distance; the reported score is -|x - q| (best first = nearest)
};

[[nodiscard]] inline const char* to_string(Metric metric) noexcept {
    switch (metric) {
        case Metric::cosine: return "cosine";
        case Metric::dot: return "dot";
        case Metric::l2: return "l2";
    }
    return "unknown";
}

/// Per-call search options.
struct SearchOptions {
    /// Rows never returned, for every query (typically the query words themselves).
    /// Ids outside the index are ignored.
    std::vector<TokenId> exclude;
    /// Batch searches only: `exclude_per_query[i]` is excluded for query i, on top of `exclude`.
    /// Empty, or one list per query.
    std::vector<std::vector<TokenId>> exclude_per_query;
    /// Search only the first `restrict_rows` rows (the most frequent words); 0 = all rows.
    /// Values above the number of rows mean all rows.
    Eigen::Index restrict_rows = 0;
};

/// Throws invalid_options naming the field when `options` is unusable.
inline void validate(const SearchOptions& options) {
    if (options.restrict_rows < 0) {
        throw invalid_options("SearchOptions::restrict_rows must be >= 0 (0 = all rows), got " +
                              std::to_string(options.restrict_rows));
    }
}

/// Exact (brute-force) k-nearest-neighbour index over the rows of a matrix.
///
/// Results are best first, equal scores ordered by lower id; k larger than the candidate count
/// returns every candidate. Batches are scored block by block with matrix products (a block of
/// queries x a block of rows), each query keeping a bounded heap, in parallel over query blocks.
/// Queries are const and thread-safe. Scores from `topk` and `topk_batch` may differ in the last
/// bits (different summation order), never in more.
template <class Scalar = float>
class TopKIndex {
    static_assert(std::is_floating_point_v<Scalar>, "TopKIndex needs a floating-point scalar");

public:
    using Results = std::vector<Neighbor<Scalar>>;

    /// Builds the index over the rows of `vectors`, taken by value: pass an rvalue (std::move) to
    /// avoid a second copy. For Metric::cosine the rows are normalised in place. `threads` = 0
    /// uses every core. Throws invalid_argument if `vectors` holds NaN or Inf.
    explicit TopKIndex(RowMatrix<Scalar> vectors, Metric metric = Metric::cosine, unsigned threads = 0)
        : vectors_(std::move(vectors)), metric_(metric), threads_(threads) {
        if (!vectors_.allFinite()) {
            for (Eigen::Index i = 0; i < vectors_.rows(); ++i) {
                if (!vectors_.row(i).allFinite()) {
                    throw invalid_argument("TopKIndex: row " + std::to_string(i) + " contains NaN or Inf");
                }
            }
        }
        if (metric_ == Metric::cosine) detail::normalize_rows(vectors_);
        if (metric_ == Metric::l2) {
            sqnorms_ = vectors_.rowwise().squaredNorm();
            if constexpr (std::is_same_v<Scalar, float> && detail::kHaveFusedTopK) neg_sqnorms_ = -sqnorms_;
        }
    }

    [[nodiscard]] Eigen::Index rows() const noexcept { return vectors_.rows(); }
    [[nodiscard]] Eigen::Index dim() const noexcept { return vectors_.cols(); }
    [[nodiscard]] Metric metric() const noexcept { return metric_; }
    /// Threads used by searches (0 = every core).
    [[nodiscard]] unsigned threads() const noexcept { return threads_; }
    void set_threads(unsigned threads) noexcept { threads_ = threads; }
    /// The indexed rows (unit-normalised for Metric::cosine).
    [[nodiscard]] const RowMatrix<Scalar>& vectors() const noexcept { return vectors_; }

    /// The k best rows for one query. Throws invalid_argument if k <= 0, the query's size is not
    /// dim(), or it holds NaN/Inf; invalid_options if `options` is invalid.
    [[nodiscard]] Results topk(const Eigen::Ref<const RowVector<Scalar>>& query, Eigen::Index k,
                               const SearchOptions& options = {}) const {
        if (options.exclude_per_query.size() > 1) {
            throw invalid_argument("TopKIndex::topk: exclude_per_query has " +
                                   std::to_string(options.exclude_per_query.size()) + " lists for 1 query");
        }
        return std::move(search(query, k, options).front());
    }

    /// The k best rows for each row of `queries`, in query order. Same errors as topk(), plus
    /// invalid_argument if `exclude_per_query` is neither empty nor one list per query.
    [[nodiscard]] std::vector<Results> topk_batch(const Eigen::Ref<const RowMatrix<Scalar>>& queries, Eigen::Index k,
                                                  const SearchOptions& options = {}) const {
        if (!options.exclude_per_query.empty() &&
            static_cast<Eigen::Index>(options.exclude_per_query.size()) != queries.rows()) {
            throw invalid_argument("TopKIndex::topk_batch: exclude_per_query has " +
                                   std::to_string(options.exclude_per_query.size()) + " lists for " +
                                   std::to_string(queries.rows()) + " queries");
        }
        return search(queries, k, options);
    }

private:
    // Scores one block of queries against blocks of rows; one per worker thread.
    class Scorer {
    public:
        Scorer(const TopKIndex& index, const Eigen::Ref<const RowMatrix<Scalar>>& queries)
            : index_(index), queries_(queries) {}

        void set_queries(Eigen::Index first, Eigen::Index count) {
            block_ = queries_.middleRows(first, count);
            if (index_.metric_ == Metric::cosine) detail::normalize_rows(block_);
            // L2 ranks by 2 x.q - |x|^2 (= -|x - q|^2 + |q|^2); doubling is exact.
            if (index_.metric_ == Metric::l2) block_ *= Scalar(2);
        }

        void score(Eigen::Index first_row, Eigen::Index count, RowMatrix<Scalar>& out) const {
            out.noalias() = block_ * index_.vectors_.middleRows(first_row, count).transpose();
            if (index_.metric_ == Metric::l2) {
                out.rowwise() -= index_.sqnorms_.segment(first_row, count).transpose();
            }
        }

        void finish(Eigen::Index query, Results& best) const { index_.finish(queries_, query, best); }

    private:
        const TopKIndex& index_;
        const Eigen::Ref<const RowMatrix<Scalar>>& queries_;
        RowMatrix<Scalar> block_;
    };

    // For L2, replace the ranking score by the exact distance, computed directly.
    void finish(const Eigen::Ref<const RowMatrix<Scalar>>& queries, Eigen::Index query, Results& best) const {
        if (metric_ != Metric::l2) return;
        for (auto& n : best) {
            const Scalar d2 = detail::squared_l2(vectors_.row(n.id), queries.row(query));
            n.score = -std::sqrt(std::max(d2, Scalar(0)));
        }
        std::sort(best.begin(), best.end(), detail::better<Scalar>);
    }

    // Float batches on AVX2/FMA builds: the fused kernel, score = scale * q.x + bias(x).
    std::vector<Results> search_fused(const Eigen::Ref<const RowMatrix<Scalar>>& queries, Eigen::Index k,
                                      Eigen::Index candidates, const detail::Exclusions& exclusions,
                                      unsigned threads) const {
        std::vector<Scalar> scale(static_cast<std::size_t>(queries.rows()), Scalar(1));
        if (metric_ == Metric::cosine) {
            for (Eigen::Index i = 0; i < queries.rows(); ++i) {
                const Scalar n = queries.row(i).norm();
                scale[static_cast<std::size_t>(i)] = n > Scalar(0) ? Scalar(1) / n : Scalar(0);
            }
        } else if (metric_ == Metric::l2) {
            std::fill(scale.begin(), scale.end(), Scalar(2));  // 2 q.x - |x|^2
        }
        auto results = detail::fused_topk(queries.data(), queries.outerStride(), queries.rows(), scale.data(),
                                          vectors_.data(), vectors_.cols(), candidates, dim(),
                                          metric_ == Metric::l2 ? neg_sqnorms_.data() : nullptr, k, exclusions,
                                          threads);
        for (Eigen::Index q = 0; q < queries.rows(); ++q) finish(queries, q, results[static_cast<std::size_t>(q)]);
        return results;
    }

    std::vector<Results> search(const Eigen::Ref<const RowMatrix<Scalar>>& queries, Eigen::Index k,
                                const SearchOptions& options) const {
        validate(options);
        if (k <= 0) throw invalid_argument("TopKIndex: k must be positive, got " + std::to_string(k));
        if (queries.cols() != dim()) {
            throw invalid_argument("TopKIndex: query dimension " + std::to_string(queries.cols()) +
                                   " does not match the index dimension " + std::to_string(dim()));
        }
        if (!queries.allFinite()) {
            for (Eigen::Index i = 0; i < queries.rows(); ++i) {
                for (Eigen::Index j = 0; j < queries.cols(); ++j) {
                    if (!std::isfinite(queries(i, j))) {
                        throw invalid_argument("TopKIndex: query " + std::to_string(i) + " has NaN or Inf at column " +
                                               std::to_string(j));
                    }
                }
            }
        }
        const Eigen::Index candidates =
            options.restrict_rows > 0 ? std::min(options.restrict_rows, rows()) : rows();

        detail::Exclusions exclusions;
        exclusions.shared = detail::sorted_unique_ids(options.exclude, candidates);
        if (!options.exclude_per_query.empty()) {
            exclusions.per_query.reserve(options.exclude_per_query.size());
            for (const auto& ids : options.exclude_per_query) {
                exclusions.per_query.push_back(detail::sorted_unique_ids(ids, candidates));
            }
        }
        const unsigned threads = detail::threads_for_work(queries.rows(), candidates, dim(), threads_);

        if constexpr (std::is_same_v<Scalar, float> && detail::kHaveFusedTopK) {
            // Below 16 queries, matrix-vector products stream the rows once without repacking.
            if (queries.rows() >= 16 && dim() > 0) return search_fused(queries, k, candidates, exclusions, threads);
        }
        detail::BlockShape shape;
        if (queries.rows() < 8) shape.rows = 4096;  // matrix-vector products: longer blocks, fewer calls
        return detail::blocked_topk<Scalar>(queries.rows(), candidates, k, exclusions, threads,
                                            [&] { return Scorer(*this, queries); }, shape);
    }

    RowMatrix<Scalar> vectors_;
    Eigen::Matrix<Scalar, Eigen::Dynamic, 1> sqnorms_;
    Eigen::Matrix<Scalar, Eigen::Dynamic, 1> neg_sqnorms_;  // the fused kernel's bias (float, AVX2 only)
    Metric metric_;
    unsigned threads_;
};

}  // namespace embedkit
