#pragma once

// k-means clustering of the rows of a matrix (Lloyd's iterations from a k-means++ start, Arthur
// and Vassilvitskii 2007), on Eigen. Product quantisation trains its codebooks with it, and word
// clusters can too. Results depend on the seed only, never on the thread count.

#include "embedkit/detail/parallel.hpp"
#include "embedkit/detail/rng.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace embedkit {

/// Options of kmeans(). Aggregate; fields are only ever appended.
struct KMeansOptions {
    int clusters = 256;
    /// Lloyd iterations at most; it stops earlier when no row changes cluster.
    int iterations = 25;
    std::uint64_t seed = 1;
    /// Threads of the assignment step; 0 = every core. The result does not depend on it.
    unsigned threads = 0;
};

/// Throws invalid_options naming the field.
inline void validate(const KMeansOptions& o) {
    if (o.clusters < 1) throw invalid_options("KMeansOptions::clusters must be positive, got " + std::to_string(o.clusters));
    if (o.iterations < 0) throw invalid_options("KMeansOptions::iterations must be >= 0, got " + std::to_string(o.iterations));
}

template <class Scalar>
struct KMeansResult {
    RowMatrix<Scalar> centroids;          ///< clusters x dim
    std::vector<std::int32_t> assignment;  ///< the cluster of each row
    double inertia = 0;                    ///< sum of squared distances of the rows to their centroids
    int iterations = 0;                    ///< Lloyd iterations run
};

namespace detail {

// The nearest centroid of every row (lowest index on ties) and its squared distance.
template <class Scalar>
void assign_to_centroids(const Eigen::Ref<const RowMatrix<Scalar>>& data, const RowMatrix<Scalar>& centroids,
                         unsigned threads, std::vector<std::int32_t>& assignment, std::vector<double>& distance) {
    const Eigen::Matrix<Scalar, Eigen::Dynamic, 1> norms = centroids.rowwise().squaredNorm();
    const auto n = static_cast<std::size_t>(data.rows());
    assignment.resize(n);
    distance.resize(n);
    // Blocks of 256 rows fixed in advance, so that no score depends on the thread count.
    constexpr std::size_t kBlock = 256;
    parallel_for((n + kBlock - 1) / kBlock, threads, [&](std::size_t first_block, std::size_t end_block, unsigned) {
        RowMatrix<Scalar> scores;
        for (std::size_t b = first_block * kBlock; b < std::min(n, end_block * kBlock); b += kBlock) {
            const auto rows = static_cast<Eigen::Index>(std::min(kBlock, n - b));
            const auto first = static_cast<Eigen::Index>(b);
            // |x - c|^2 = |x|^2 - 2 x.c + |c|^2: rank by |c|^2 - 2 x.c.
            scores.noalias() = data.middleRows(first, rows) * centroids.transpose();
            for (Eigen::Index i = 0; i < rows; ++i) {
                Eigen::Index best = 0;
                Scalar best_score = std::numeric_limits<Scalar>::infinity();
                for (Eigen::Index c = 0; c < centroids.rows(); ++c) {
                    const Scalar s = norms(c) - Scalar(2) * scores(i, c);
                    if (s < best_score) {
                        best_score = s;
                        best = c;
                    }
                }
                const auto r = static_cast<std::size_t>(first + i);
                assignment[r] = static_cast<std::int32_t>(best);
                distance[r] = std::max(0.0, static_cast<double>((data.row(first + i) - centroids.row(best)).squaredNorm()));
            }
        }
    });
}

}  // namespace detail

/// Clusters the rows of `data` into options.clusters groups. Fewer distinct rows than clusters
/// leave duplicate centroids. Throws invalid_argument when data has fewer rows than clusters or
/// holds NaN/Inf (naming the row), invalid_options on bad options.
template <class Scalar>
[[nodiscard]] KMeansResult<Scalar> kmeans(const Eigen::Ref<const RowMatrix<Scalar>>& data, const KMeansOptions& options) {
    static_assert(std::is_floating_point_v<Scalar>, "kmeans needs floating-point rows");
    validate(options);
    const Eigen::Index n = data.rows();
    const Eigen::Index k = options.clusters;
    if (n < k) {
        throw invalid_argument("kmeans: " + std::to_string(n) + " rows cannot make " + std::to_string(k) + " clusters");
    }
    for (Eigen::Index i = 0; i < n; ++i) {
        if (!data.row(i).allFinite()) throw invalid_argument("kmeans: row " + std::to_string(i) + " contains NaN or Inf");
    }
    const unsigned threads = detail::resolve_threads(options.threads);
    detail::Rng rng(options.seed);
    KMeansResult<Scalar> result;
    result.centroids.resize(k, data.cols());

    // k-means++: each next centroid is a row drawn with probability proportional to its squared
    // distance to the nearest centroid so far.
    std::vector<double> nearest(static_cast<std::size_t>(n), std::numeric_limits<double>::infinity());
    result.centroids.row(0) = data.row(static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(n))));
    for (Eigen::Index c = 1; c < k; ++c) {
        double total = 0;
        for (Eigen::Index i = 0; i < n; ++i) {
            const double d = static_cast<double>((data.row(i) - result.centroids.row(c - 1)).squaredNorm());
            auto& best = nearest[static_cast<std::size_t>(i)];
            best = std::min(best, d);
            total += best;
        }
        Eigen::Index pick = 0;
        if (total > 0) {
            double target = rng.uniform<double>() * total;
            for (pick = 0; pick < n - 1; ++pick) {
                target -= nearest[static_cast<std::size_t>(pick)];
                if (target < 0) break;
            }
        } else {
            pick = static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(n)));  // every row is a centroid already
        }
        result.centroids.row(c) = data.row(pick);
    }

    std::vector<double> distance;
    std::vector<std::int32_t> previous;
    detail::assign_to_centroids<Scalar>(data, result.centroids, threads, result.assignment, distance);
    for (int it = 0; it < options.iterations; ++it) {
        // Update: each centroid the mean of its rows, summed in double in row order.
        Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(k, data.cols());
        std::vector<std::int64_t> counts(static_cast<std::size_t>(k), 0);
        for (Eigen::Index i = 0; i < n; ++i) {
            const auto c = result.assignment[static_cast<std::size_t>(i)];
            sums.row(c) += data.row(i).template cast<double>();
            ++counts[static_cast<std::size_t>(c)];
        }
        for (Eigen::Index c = 0; c < k; ++c) {
            if (counts[static_cast<std::size_t>(c)] > 0) {
                result.centroids.row(c) = (sums.row(c) / static_cast<double>(counts[static_cast<std::size_t>(c)])).template cast<Scalar>();
            } else {
                // An empty cluster takes the row farthest from its centroid (lowest index on ties).
                const auto far = std::max_element(distance.begin(), distance.end()) - distance.begin();
                result.centroids.row(c) = data.row(static_cast<Eigen::Index>(far));
                distance[static_cast<std::size_t>(far)] = 0;
            }
        }
        previous = result.assignment;
        detail::assign_to_centroids<Scalar>(data, result.centroids, threads, result.assignment, distance);
        result.iterations = it + 1;
        if (previous == result.assignment) break;
    }
    result.inertia = 0;
    for (const double d : distance) result.inertia += d;
    return result;
}

}  // namespace embedkit
