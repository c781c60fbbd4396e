#pragma once

// Exact re-ranking of a shortlist: compressed vectors (int8, PQ) find candidates with approximate
// scores, then the float rows rescore them. The float rows are any Eigen::Ref, e.g. a Map over a
// memory-mapped file, so only the shortlist's rows are read.

#include "embedkit/detail/kernels.hpp"
#include "embedkit/detail/topk_heap.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/search/topk_index.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace embedkit {

/// The k best of `shortlist` by the exact `metric` score (TopKIndex's: cosine, dot, -|x - q|)
/// against the float rows `originals`, best first. Throws invalid_argument when an id is outside
/// `originals` or the query's size differs from theirs.
template <class Scalar>
[[nodiscard]] std::vector<Neighbor<Scalar>> rerank_exact(const Eigen::Ref<const RowVector<Scalar>>& query,
                                                         const std::vector<Neighbor<Scalar>>& shortlist,
                                                         const Eigen::Ref<const RowMatrix<Scalar>>& originals,
                                                         Metric metric, Eigen::Index k) {
    if (query.size() != originals.cols()) {
        throw invalid_argument("rerank_exact: query dimension " + std::to_string(query.size()) + ", rows have " +
                               std::to_string(originals.cols()));
    }
    const Scalar qnorm = query.norm();
    std::vector<Neighbor<Scalar>> out;
    out.reserve(shortlist.size());
    for (const auto& n : shortlist) {
        if (n.id < 0 || n.id >= originals.rows()) {
            throw invalid_argument("rerank_exact: id " + std::to_string(n.id) + " is outside the " +
                                   std::to_string(originals.rows()) + " float rows");
        }
        const auto x = originals.row(n.id);
        Scalar score = 0;
        if (metric == Metric::l2) {
            score = -std::sqrt(std::max(Scalar(0), (x - query).squaredNorm()));
        } else {
            score = x.dot(query);
            if (metric == Metric::cosine) {
                const Scalar d = x.norm() * qnorm;
                score = d > Scalar(0) ? score / d : Scalar(0);
            }
        }
        out.push_back({n.id, score});
    }
    std::sort(out.begin(), out.end(), detail::better<Scalar>);
    if (static_cast<Eigen::Index>(out.size()) > k) out.resize(static_cast<std::size_t>(std::max<Eigen::Index>(k, 0)));
    return out;
}

namespace detail {

// Throws invalid_argument naming the problem when a compressed index cannot take the query.
inline void check_compressed_query(const char* who, const Eigen::Ref<const RowVector<float>>& query, Eigen::Index dim,
                                   Eigen::Index k) {
    if (k <= 0) throw invalid_argument(std::string(who) + ": k must be positive, got " + std::to_string(k));
    if (query.size() != dim) {
        throw invalid_argument(std::string(who) + ": query dimension " + std::to_string(query.size()) +
                               " does not match the index dimension " + std::to_string(dim));
    }
    for (Eigen::Index j = 0; j < query.size(); ++j) {
        if (!std::isfinite(query(j))) {
            throw invalid_argument(std::string(who) + ": the query has NaN or Inf at column " + std::to_string(j));
        }
    }
}

}  // namespace detail
}  // namespace embedkit
