#pragma once

#include "embedkit/detail/loss_kernels.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace embedkit {

/// The distance of the triplet losses.
enum class TripletDistance {
    cosine,      ///< 1 - cos(u, v), with the norm floor eps (a zero vector is at distance 1)
    l2,          ///< |u - v|; its gradient at u == v is taken as 0
    squared_l2,  ///< |u - v|^2
};

/// How batch_triplet_loss picks triplets from a labelled batch (Hermans, Beyer and Leibe 2017,
/// "In Defense of the Triplet Loss for Person Re-Identification").
enum class TripletMining {
    batch_all,   ///< every valid triplet (a, p, n): label(p) == label(a), p != a, label(n) != label(a)
    batch_hard,  ///< per anchor: its farthest positive and its closest negative
};

[[nodiscard]] inline const char* to_string(TripletDistance d) noexcept {
    return d == TripletDistance::cosine ? "cosine" : d == TripletDistance::l2 ? "l2" : "squared-l2";
}
[[nodiscard]] inline const char* to_string(TripletMining m) noexcept {
    return m == TripletMining::batch_all ? "batch-all" : "batch-hard";
}

/// Parses "cosine", "l2" or "squared-l2"; invalid_argument otherwise.
[[nodiscard]] inline TripletDistance parse_triplet_distance(std::string_view text) {
    if (text == "cosine") return TripletDistance::cosine;
    if (text == "l2") return TripletDistance::l2;
    if (text == "squared-l2") return TripletDistance::squared_l2;
    throw invalid_argument("unknown triplet distance '" + std::string(text) + "' (expected cosine, l2 or squared-l2)");
}

/// Parses "batch-all" or "batch-hard"; invalid_argument otherwise.
[[nodiscard]] inline TripletMining parse_triplet_mining(std::string_view text) {
    if (text == "batch-all") return TripletMining::batch_all;
    if (text == "batch-hard") return TripletMining::batch_hard;
    throw invalid_argument("unknown triplet mining '" + std::string(text) + "' (expected batch-all or batch-hard)");
}

/// Options of the triplet losses. C++20: `{.margin = 0.5, .distance = TripletDistance::l2}`.
struct TripletOptions {
    /// Each triplet costs max(0, d(a, p) - d(a, n) + margin). Finite and >= 0.
    double margin = 0.2;
    TripletDistance distance = TripletDistance::cosine;
    /// batch_triplet_loss only.
    TripletMining mining = TripletMining::batch_hard;
    /// false: the loss is the mean over all triplets considered. true: the mean over the active
    /// ones (loss > 0), Hermans et al.'s "batch all != 0", which keeps the gradient from fading
    /// when most triplets are already satisfied. The loss is 0 when no triplet is active.
    bool average_active = false;
    /// Cosine only: a norm below eps counts as eps. Finite and > 0.
    double eps = 1e-8;
};

/// Throws invalid_options naming the field.
inline void validate(const TripletOptions& o) {
    detail::check_option(o.margin, "TripletOptions.margin", /*allow_zero=*/true);
    detail::check_option(o.eps, "TripletOptions.eps");
    if (o.distance != TripletDistance::cosine && o.distance != TripletDistance::l2 &&
        o.distance != TripletDistance::squared_l2) {
        throw invalid_options("TripletOptions.distance has an unknown value " +
                              std::to_string(static_cast<int>(o.distance)));
    }
    if (o.mining != TripletMining::batch_all && o.mining != TripletMining::batch_hard) {
        throw invalid_options("TripletOptions.mining has an unknown value " + std::to_string(static_cast<int>(o.mining)));
    }
}

/// Result of triplet_loss: the loss, the gradients shaped like the inputs, and counts.
template <class Scalar>
struct TripletResult {
    Scalar loss = 0;
    RowMatrix<Scalar> grad_anchors;
    RowMatrix<Scalar> grad_positives;
    RowMatrix<Scalar> grad_negatives;
    std::size_t triplets = 0;  ///< triplets in the loss (B * K)
    std::size_t active = 0;    ///< of which have a positive loss
    /// Buffers reused when the same result is filled again; empty in a result returned by value.
    detail::LossWorkspace<Scalar> workspace;
};

/// Result of batch_triplet_loss.
template <class Scalar>
struct BatchTripletResult {
    Scalar loss = 0;
    RowMatrix<Scalar> grad_embeddings;
    /// batch_all: valid triplets; batch_hard: anchors that have a positive and a negative.
    std::size_t triplets = 0;
    std::size_t active = 0;  ///< of which have a positive loss
    /// Buffers reused when the same result is filled again; empty in a result returned by value.
    detail::LossWorkspace<Scalar> workspace;
};

namespace detail {

/// The pairwise distance matrix of the prepared rows `x` (normalised for cosine, a copy
/// otherwise) into `d` (n x n). The diagonal is exactly 0. L2 distances come from the Gram
/// matrix; where that would cancel badly (squared distance below 1% of |x_i|^2 + |x_j|^2) they are
/// recomputed from the difference.
template <class S>
void pairwise_distances(const RowMatrix<S>& x, TripletDistance distance, RowMatrix<S>& d) {
    const Eigen::Index n = x.rows();
    d.resize(n, n);
    d.noalias() = x * x.transpose();
    if (distance == TripletDistance::cosine) {
        d.array() = S(1) - d.array();
    } else {
        const ColVector<S> sq = d.diagonal();
        for (Eigen::Index i = 0; i < n; ++i) {
            for (Eigen::Index j = 0; j < n; ++j) {
                S v = sq(i) + sq(j) - S(2) * d(i, j);
                if (v < S(0.01) * (sq(i) + sq(j))) v = (x.row(i) - x.row(j)).squaredNorm();
                d(i, j) = v;
            }
        }
        if (distance == TripletDistance::l2) d.array() = d.array().sqrt();
    }
    d.diagonal().setZero();
}

/// dL/dx into `grad` from w(i, j) = dL/d dist(x_i, x_j) (overwritten), for the prepared rows x
/// and their distance matrix.
template <class S>
void distance_backward(RowMatrix<S>& w, const RowMatrix<S>& x, const RowMatrix<S>& dist, TripletDistance distance,
                       RowMatrix<S>& c, RowMatrix<S>& grad) {
    c = w + w.transpose();
    grad.resize(x.rows(), x.cols());
    if (distance == TripletDistance::cosine) {
        // dist = 1 - x x^T.
        grad.noalias() = -c * x;
        return;
    }
    if (distance == TripletDistance::squared_l2) {
        c *= S(2);
    } else {
        // d|x_i - x_j| / dx_i = (x_i - x_j) / |x_i - x_j|, taken as 0 where the distance is 0.
        c.array() = (dist.array() > S(0)).select(c.array() / dist.array(), S(0));
    }
    // sum_j c_ij (x_i - x_j) = (row sum of c)_i x_i - (c x)_i.
    grad.noalias() = -c * x;
    grad += c.rowwise().sum().asDiagonal() * x;
}

}  // namespace detail

/// Triplet loss on explicit triplets, into `out` (its buffers are reused). anchors and positives
/// are B x D; negatives are (B*K) x D, rows [i*K, (i+1)*K) being the negatives of anchor i (K = 1
/// for classic triplets). Each (a_i, p_i, n_ik) costs max(0, d(a_i, p_i) - d(a_i, n_ik) + margin);
/// the loss is the mean over the B*K triplets (or over the active ones, see
/// TripletOptions::average_active). At a hinge of exactly 0 the gradient is taken as 0. Throws
/// invalid_argument on an empty batch or mismatched shapes, invalid_options on bad options.
template <class DA, class DP, class DN>
void triplet_loss(const Eigen::MatrixBase<DA>& anchors, const Eigen::MatrixBase<DP>& positives,
                  const Eigen::MatrixBase<DN>& negatives, const TripletOptions& options,
                  TripletResult<typename DA::Scalar>& out) {
    using S = typename DA::Scalar;
    static_assert(std::is_floating_point_v<S>, "triplet_loss needs a floating-point scalar");
    static_assert(detail::same_scalar_v<S, DP, DN>, "triplet_loss: all batches need the same scalar");
    constexpr const char* where = "triplet_loss";
    validate(options);
    detail::check_nonempty(anchors, where, "anchors");
    detail::check_same_shape(anchors, "anchors", positives, "positives", where);
    detail::check_same_dim(anchors, "anchors", negatives, "negatives", where);
    const Eigen::Index batch = anchors.rows();
    const Eigen::Index k = detail::negatives_per_row(negatives, batch, where);
    const Eigen::Index dim = anchors.cols();
    const S eps = static_cast<S>(options.eps);
    const S margin = static_cast<S>(options.margin);
    const bool cosine = options.distance == TripletDistance::cosine;
    const bool squared = options.distance == TripletDistance::squared_l2;
    detail::LossWorkspace<S>& w = out.workspace;
    w.first.prepare(anchors, cosine, eps);
    w.second.prepare(positives, cosine, eps);
    w.third.prepare(negatives, cosine, eps);
    const RowMatrix<S>& a = w.first.rows;
    const RowMatrix<S>& p = w.second.rows;
    const RowMatrix<S>& n = w.third.rows;

    auto distance = [&](Eigen::Index i, const RowMatrix<S>& y, Eigen::Index j) -> S {
        if (cosine) return S(1) - a.row(i).dot(y.row(j));
        const S sq = (a.row(i) - y.row(j)).squaredNorm();
        return squared ? sq : std::sqrt(sq);
    };
    // Adds s * d dist(a_i, y_j) / d a_i to grad_a.row(i) and s * d dist / d y_j to grad_y.row(j).
    auto accumulate = [&](Eigen::Index i, const RowMatrix<S>& y, Eigen::Index j, S dist, S s, RowMatrix<S>& grad_y) {
        if (cosine) {
            out.grad_anchors.row(i) -= s * y.row(j);
            grad_y.row(j) -= s * a.row(i);
            return;
        }
        S factor = S(2);
        if (!squared) {
            if (!(dist > S(0))) return;
            factor = S(1) / dist;
        }
        w.row = (s * factor) * (a.row(i) - y.row(j));
        out.grad_anchors.row(i) += w.row;
        grad_y.row(j) -= w.row;
    };

    // values: d(a_i, p_i) for each i, then d(a_i, n_ik) for each triplet.
    std::vector<S>& d = w.values;
    d.resize(static_cast<std::size_t>(batch + batch * k));
    out.triplets = static_cast<std::size_t>(batch * k);
    out.active = 0;
    double total = 0;
    for (Eigen::Index i = 0; i < batch; ++i) {
        const S d_ap = d[static_cast<std::size_t>(i)] = distance(i, p, i);
        for (Eigen::Index j = 0; j < k; ++j) {
            const S d_an = d[static_cast<std::size_t>(batch + i * k + j)] = distance(i, n, i * k + j);
            const S hinge = d_ap - d_an + margin;
            if (hinge > S(0)) {
                ++out.active;
                total += static_cast<double>(hinge);
            }
        }
    }
    const std::size_t count = options.average_active ? out.active : out.triplets;
    out.loss = count == 0 ? S(0) : static_cast<S>(total / static_cast<double>(count));
    out.grad_anchors.setZero(batch, dim);
    out.grad_positives.setZero(batch, dim);
    out.grad_negatives.setZero(negatives.rows(), dim);
    if (count == 0) return;
    const S weight = S(1) / static_cast<S>(count);
    for (Eigen::Index i = 0; i < batch; ++i) {
        const S d_ap = d[static_cast<std::size_t>(i)];
        for (Eigen::Index j = 0; j < k; ++j) {
            const S d_an = d[static_cast<std::size_t>(batch + i * k + j)];
            if (!(d_ap - d_an + margin > S(0))) continue;
            accumulate(i, p, i, d_ap, weight, out.grad_positives);
            accumulate(i, n, i * k + j, d_an, -weight, out.grad_negatives);
        }
    }
    w.first.backward(out.grad_anchors);
    w.second.backward(out.grad_positives);
    w.third.backward(out.grad_negatives);
}

/// Triplet loss on explicit triplets, returning a new result; see the overload above.
template <class DA, class DP, class DN>
[[nodiscard]] TripletResult<typename DA::Scalar> triplet_loss(const Eigen::MatrixBase<DA>& anchors,
                                                              const Eigen::MatrixBase<DP>& positives,
                                                              const Eigen::MatrixBase<DN>& negatives,
                                                              const TripletOptions& options = {}) {
    TripletResult<typename DA::Scalar> r;
    triplet_loss(anchors, positives, negatives, options, r);
    r.workspace = {};
    return r;
}

namespace detail {

/// Mined triplet loss over the rows of `embeddings` for an arbitrary relation, into `r`:
/// relation(i, j) (i != j) returns 1 when row j is a positive of anchor i, -1 when it is a
/// negative and 0 when it is neither (ignored). batch_triplet_loss is this with "same label" /
/// "different label". Shapes and options must have been checked.
template <class DX, class Relation>
void mined_triplet_loss(const Eigen::MatrixBase<DX>& embeddings, Relation&& relation, const TripletOptions& options,
                        BatchTripletResult<typename DX::Scalar>& r) {
    using S = typename DX::Scalar;
    static_assert(std::is_floating_point_v<S>, "batch_triplet_loss needs a floating-point scalar");
    const Eigen::Index n = embeddings.rows();
    const S margin = static_cast<S>(options.margin);
    LossWorkspace<S>& ws = r.workspace;
    ws.first.prepare(embeddings, options.distance == TripletDistance::cosine, static_cast<S>(options.eps));
    const RowMatrix<S>& x = ws.first.rows;
    RowMatrix<S>& dist = ws.logits;
    pairwise_distances(x, options.distance, dist);

    RowMatrix<S>& w = ws.stacked;
    w.setZero(n, n);
    r.triplets = 0;
    r.active = 0;
    double total = 0;
    std::vector<Eigen::Index>& pos = ws.positives;
    std::vector<Eigen::Index>& neg = ws.negatives;
    for (Eigen::Index i = 0; i < n; ++i) {
        pos.clear();
        neg.clear();
        for (Eigen::Index j = 0; j < n; ++j) {
            if (j == i) continue;
            const int rel = relation(i, j);
            if (rel > 0) {
                pos.push_back(j);
            } else if (rel < 0) {
                neg.push_back(j);
            }
        }
        if (pos.empty() || neg.empty()) continue;
        if (options.mining == TripletMining::batch_hard) {
            Eigen::Index hp = pos.front(), hn = neg.front();
            for (const Eigen::Index j : pos) {
                if (dist(i, j) > dist(i, hp)) hp = j;
            }
            for (const Eigen::Index j : neg) {
                if (dist(i, j) < dist(i, hn)) hn = j;
            }
            ++r.triplets;
            const S h = dist(i, hp) - dist(i, hn) + margin;
            if (h > S(0)) {
                ++r.active;
                total += static_cast<double>(h);
                w(i, hp) += S(1);
                w(i, hn) -= S(1);
            }
        } else {
            for (const Eigen::Index p : pos) {
                const S base = dist(i, p) + margin;
                r.triplets += neg.size();
                for (const Eigen::Index q : neg) {
                    const S h = base - dist(i, q);
                    if (h > S(0)) {
                        ++r.active;
                        total += static_cast<double>(h);
                        w(i, p) += S(1);
                        w(i, q) -= S(1);
                    }
                }
            }
        }
    }
    const std::size_t count = options.average_active ? r.active : r.triplets;
    if (count == 0) {
        r.loss = 0;
        r.grad_embeddings.setZero(n, embeddings.cols());
        return;
    }
    r.loss = static_cast<S>(total / static_cast<double>(count));
    w /= static_cast<S>(count);
    distance_backward(w, x, dist, options.distance, ws.scratch, r.grad_embeddings);
    ws.first.backward(r.grad_embeddings);
}

}  // namespace detail

/// Triplet loss with triplets mined from labels, into `out` (its buffers are reused).
/// `embeddings` is N x D and labels[i] is the class of row i. The N x N distance matrix is one
/// matrix product; options.mining picks the triplets: batch_all takes every valid (a, p, n),
/// batch_hard takes for each anchor its farthest positive and its closest negative (anchors
/// without a positive or a negative are skipped). Each triplet costs
/// max(0, d(a, p) - d(a, n) + margin); the loss is their mean (or the mean over active ones).
/// Throws invalid_argument on an empty batch or a label count that differs from N.
template <class DX, class Label>
void batch_triplet_loss(const Eigen::MatrixBase<DX>& embeddings, const std::vector<Label>& labels,
                        const TripletOptions& options, BatchTripletResult<typename DX::Scalar>& out) {
    constexpr const char* where = "batch_triplet_loss";
    validate(options);
    detail::check_nonempty(embeddings, where, "embeddings");
    detail::check_labels(labels, embeddings.rows(), where, "labels");
    detail::mined_triplet_loss(
        embeddings,
        [&labels](Eigen::Index i, Eigen::Index j) {
            return labels[static_cast<std::size_t>(i)] == labels[static_cast<std::size_t>(j)] ? 1 : -1;
        },
        options, out);
}

/// Mined triplet loss, returning a new result; see the overload above.
template <class DX, class Label>
[[nodiscard]] BatchTripletResult<typename DX::Scalar> batch_triplet_loss(const Eigen::MatrixBase<DX>& embeddings,
                                                                         const std::vector<Label>& labels,
                                                                         const TripletOptions& options = {}) {
    BatchTripletResult<typename DX::Scalar> r;
    batch_triplet_loss(embeddings, labels, options, r);
    r.workspace = {};
    return r;
}

}  // namespace embedkit
