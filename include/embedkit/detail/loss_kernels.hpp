#pragma once

// Building blocks of the contrastive losses (embedkit/losses/): shape checks, numerically stable
// log-sum-exp / softplus / sigmoid, row-wise softmax cross-entropy with its gradient, and row
// normalisation with an epsilon floor together with its backward pass.

#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace embedkit::detail {

template <class S>
using ColVector = Eigen::Matrix<S, Eigen::Dynamic, 1>;

/// True when every Eigen type in `Ds` has scalar `S`.
template <class S, class... Ds>
inline constexpr bool same_scalar_v = (std::is_same_v<S, typename Ds::Scalar> && ...);

[[nodiscard]] inline std::string shape_string(Eigen::Index rows, Eigen::Index cols) {
    return std::to_string(rows) + " x " + std::to_string(cols);
}

/// Throws invalid_argument unless `x` has at least one row and one column.
template <class Derived>
void check_nonempty(const Eigen::MatrixBase<Derived>& x, const char* where, const char* name) {
    if (x.rows() == 0 || x.cols() == 0) {
        throw invalid_argument(std::string(where) + ": " + name + " is " + shape_string(x.rows(), x.cols()) +
                               "; a batch needs at least one row and one column");
    }
}

/// Throws invalid_argument unless `a` and `b` have the same shape.
template <class DA, class DB>
void check_same_shape(const Eigen::MatrixBase<DA>& a, const char* a_name, const Eigen::MatrixBase<DB>& b,
                      const char* b_name, const char* where) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) {
        throw invalid_argument(std::string(where) + ": " + a_name + " are " + shape_string(a.rows(), a.cols()) +
                               " but " + b_name + " are " + shape_string(b.rows(), b.cols()) +
                               " (they must have the same shape)");
    }
}

/// Throws invalid_argument unless `b` has as many columns as `a` (the embedding dimension).
template <class DA, class DB>
void check_same_dim(const Eigen::MatrixBase<DA>& a, const char* a_name, const Eigen::MatrixBase<DB>& b,
                    const char* b_name, const char* where) {
    if (a.cols() != b.cols()) {
        throw invalid_argument(std::string(where) + ": " + a_name + " have dimension " + std::to_string(a.cols()) +
                               " but " + b_name + " have dimension " + std::to_string(b.cols()));
    }
}

/// Throws invalid_argument unless `negatives` has K * batch rows for some K >= 1; returns K.
template <class DN>
Eigen::Index negatives_per_row(const Eigen::MatrixBase<DN>& negatives, Eigen::Index batch, const char* where) {
    if (negatives.rows() == 0 || negatives.rows() % batch != 0) {
        throw invalid_argument(std::string(where) + ": negatives have " + std::to_string(negatives.rows()) +
                               " rows, which is not a positive multiple of the " + std::to_string(batch) +
                               " anchors (rows [i*K, (i+1)*K) are the K negatives of anchor i)");
    }
    return negatives.rows() / batch;
}

/// Throws invalid_argument unless `labels` has `rows` entries.
template <class Label>
void check_labels(const std::vector<Label>& labels, Eigen::Index rows, const char* where, const char* name) {
    static_assert(std::is_integral_v<Label>, "labels must be integers");
    if (static_cast<Eigen::Index>(labels.size()) != rows) {
        throw invalid_argument(std::string(where) + ": " + name + " has " + std::to_string(labels.size()) +
                               " entries for " + std::to_string(rows) + " rows");
    }
}

/// Throws invalid_options "<field> must be finite and > 0" (or >= 0 when `allow_zero`).
inline void check_option(double value, const char* field, bool allow_zero = false) {
    const bool ok = std::isfinite(value) && (allow_zero ? value >= 0.0 : value > 0.0);
    if (!ok) {
        throw invalid_options(std::string(field) + (allow_zero ? " must be finite and >= 0" : " must be finite and > 0") +
                              ", got " + std::to_string(value));
    }
}

/// log(sum_i exp(x_i)), computed as m + log(sum_i exp(x_i - m)) with m = max x_i, so that it never
/// overflows. -inf for an empty vector or one whose entries are all -inf.
template <class Derived>
[[nodiscard]] typename Derived::Scalar log_sum_exp(const Eigen::MatrixBase<Derived>& x) {
    using S = typename Derived::Scalar;
    if (x.size() == 0) return -std::numeric_limits<S>::infinity();
    const S m = x.maxCoeff();
    if (m == -std::numeric_limits<S>::infinity()) return m;
    return m + std::log((x.array() - m).exp().sum());
}

/// log(1 + exp(x)) without overflow or cancellation; -log(sigmoid(-x)).
template <class S>
[[nodiscard]] S softplus(S x) noexcept {
    return x > S(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

/// 1 / (1 + exp(-x)) without overflow.
template <class S>
[[nodiscard]] S sigmoid(S x) noexcept {
    if (x >= S(0)) return S(1) / (S(1) + std::exp(-x));
    const S e = std::exp(x);
    return e / (S(1) + e);
}

/// Row-wise softmax cross-entropy, in place. For each row i of `logits`, with t = target(i) and
/// l = input_scale * row (input_scale > 0): loss_i = log(sum_j exp(l_j)) - l_t over the entries
/// that are not masked (a masked entry is -inf and gets probability exactly 0 when `has_masked`;
/// the target must never be masked). The row is replaced by scale * (softmax(l) - onehot(t)), the
/// gradient of scale * sum_i loss_i with respect to l. Returns sum_i loss_i. Stable for any finite
/// logits: the row maximum is subtracted before exp, so every exp is <= 1 and the sum is >= 1.
template <class S, class Target>
S softmax_cross_entropy_rows(RowMatrix<S>& logits, Target&& target, S scale, bool has_masked, S input_scale = S(1)) {
    constexpr S kMinusInf = -std::numeric_limits<S>::infinity();
    double total = 0;
    for (Eigen::Index i = 0; i < logits.rows(); ++i) {
        typename RowMatrix<S>::RowXpr row = logits.row(i);
        const Eigen::Index t = target(i);
        const S m = row.maxCoeff();
        const S shifted_target = input_scale * (row(t) - m);
        if (has_masked) {
            // Eigen's select() is not vectorised and would turn exp into a scalar libm call per
            // entry; instead note the masked entries of each block of 64 in a bit mask, take the
            // vectorised exp of the block and zero the masked ones.
            constexpr Eigen::Index kBlock = 64;
            for (Eigen::Index c0 = 0; c0 < row.size(); c0 += kBlock) {
                const Eigen::Index len = std::min(kBlock, row.size() - c0);
                std::uint64_t mask = 0;
                for (Eigen::Index j = 0; j < len; ++j) {
                    mask |= static_cast<std::uint64_t>(row(c0 + j) == kMinusInf) << j;
                }
                typename RowMatrix<S>::RowXpr::SegmentReturnType block = row.segment(c0, len);
                block.array() = ((block.array() - m) * input_scale).exp();
                for (Eigen::Index j = 0; mask != 0; ++j, mask >>= 1) {
                    if ((mask & 1U) != 0) block(j) = S(0);
                }
            }
        } else {
            row.array() = ((row.array() - m) * input_scale).exp();
        }
        const S sum = row.sum();
        total += static_cast<double>(std::log(sum) - shifted_target);
        row *= scale / sum;
        row(t) -= scale;
    }
    return static_cast<S>(total);
}

/// Row normalisation with an epsilon floor: xhat_i = x_i / max(|x_i|, eps). Writes the rows to
/// `xhat` and the Euclidean norms |x_i| (before the floor) to `norms`. A zero row stays zero, so a
/// cosine against it is 0, never NaN.
template <class Derived>
void normalize_rows_floor(const Eigen::MatrixBase<Derived>& x, typename Derived::Scalar eps,
                          RowMatrix<typename Derived::Scalar>& xhat, ColVector<typename Derived::Scalar>& norms) {
    using S = typename Derived::Scalar;
    xhat = x;
    norms.resize(x.rows());
    for (Eigen::Index i = 0; i < xhat.rows(); ++i) {
        const S n = xhat.row(i).norm();
        norms(i) = n;
        xhat.row(i) /= (n > eps ? n : eps);
    }
}

/// Backward pass of normalize_rows_floor, in place: `grad` holds dL/dxhat on entry and dL/dx on
/// exit. Where |x_i| > eps, dL/dx_i = (g_i - (g_i . xhat_i) xhat_i) / |x_i|; otherwise g_i / eps.
template <class S>
void normalize_rows_floor_backward(RowMatrix<S>& grad, const RowMatrix<S>& xhat, const ColVector<S>& norms, S eps) {
    for (Eigen::Index i = 0; i < grad.rows(); ++i) {
        const S n = norms(i);
        if (n > eps) {
            const S along = grad.row(i).dot(xhat.row(i));
            grad.row(i) -= along * xhat.row(i);
            grad.row(i) /= n;
        } else {
            grad.row(i) /= eps;
        }
    }
}

/// The rows of a batch as a similarity sees them: a copy (dot) or the rows normalised with the
/// epsilon floor (cosine), plus what the backward pass needs. Buffers are reused across calls.
template <class S>
struct PreparedRows {
    RowMatrix<S> rows;
    ColVector<S> norms;  ///< cosine only
    bool cosine = false;
    S eps = 0;

    template <class Derived>
    void prepare(const Eigen::MatrixBase<Derived>& x, bool use_cosine, S floor) {
        cosine = use_cosine;
        eps = floor;
        if (cosine) {
            normalize_rows_floor(x, eps, rows, norms);
        } else {
            rows = x;
        }
    }

    /// Turns dL/d(prepared rows) into dL/d(input rows), in place.
    void backward(RowMatrix<S>& grad) const {
        if (cosine) normalize_rows_floor_backward(grad, rows, norms, eps);
    }
};

/// Scratch space of the losses: prepared rows and intermediate matrices. A result object carries
/// one, so that computing a loss into the same result again allocates nothing (fresh buffers of a
/// few hundred KB cost page faults comparable to the matrix products themselves).
template <class S>
struct LossWorkspace {
    PreparedRows<S> first, second, third;
    RowMatrix<S> logits;
    RowMatrix<S> scratch;
    RowMatrix<S> stacked;
    RowMatrix<S> grad_stacked;
    RowVector<S> row;
    std::vector<Eigen::Index> positives, negatives;
    std::vector<S> values;
};

}  // namespace embedkit::detail
