#pragma once

#include "embedkit/detail/loss_kernels.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

namespace embedkit {

/// Result of logistic_loss: the loss (mean over the anchors) and the gradients shaped like the inputs.
template <class Scalar>
struct LogisticResult {
    Scalar loss = 0;
    RowMatrix<Scalar> grad_anchors;
    RowMatrix<Scalar> grad_positives;
    RowMatrix<Scalar> grad_negatives;
};

/// Result of logistic_pair_loss: the loss (mean over the pairs) and the gradients.
template <class Scalar>
struct LogisticPairResult {
    Scalar loss = 0;
    RowMatrix<Scalar> grad_u;
    RowMatrix<Scalar> grad_v;
};

/// The negative-sampling objective of word2vec (Mikolov et al. 2013) on explicit negatives, into
/// `out` (its gradient matrices are reused). anchors and positives are B x D; negatives are
/// (B*K) x D, rows [i*K, (i+1)*K) being the K negatives of anchor i. The loss of anchor i is
///     -log sigmoid(a_i . p_i) - sum_k log sigmoid(-a_i . n_ik),
/// and out.loss is its mean over the anchors. Each term is a softplus computed without overflow
/// for any finite dot product. Throws invalid_argument on an empty batch or mismatched shapes.
template <class DA, class DP, class DN>
void logistic_loss(const Eigen::MatrixBase<DA>& anchors, const Eigen::MatrixBase<DP>& positives,
                   const Eigen::MatrixBase<DN>& negatives, LogisticResult<typename DA::Scalar>& out) {
    using S = typename DA::Scalar;
    static_assert(std::is_floating_point_v<S>, "logistic_loss needs a floating-point scalar");
    static_assert(detail::same_scalar_v<S, DP, DN>, "logistic_loss: all batches need the same scalar");
    constexpr const char* where = "logistic_loss";
    detail::check_nonempty(anchors, where, "anchors");
    detail::check_same_shape(anchors, "anchors", positives, "positives", where);
    detail::check_same_dim(anchors, "anchors", negatives, "negatives", where);
    const Eigen::Index batch = anchors.rows();
    const Eigen::Index k = detail::negatives_per_row(negatives, batch, where);
    const Eigen::Index dim = anchors.cols();
    // Row-major views (no copy for row-major inputs), so every row product is a plain dot / GEMV.
    const Eigen::Ref<const RowMatrix<S>> a(anchors);
    const Eigen::Ref<const RowMatrix<S>> p(positives);
    const Eigen::Ref<const RowMatrix<S>> n(negatives);
    const S inv_batch = S(1) / static_cast<S>(batch);

    out.grad_anchors.resize(batch, dim);
    out.grad_positives.resize(batch, dim);
    out.grad_negatives.resize(negatives.rows(), dim);
    double total = 0;
    for (Eigen::Index i = 0; i < batch; ++i) {
        // Positive: -log sigmoid(x) = softplus(-x); d/dx = -sigmoid(-x).
        const S x = a.row(i).dot(p.row(i));
        total += static_cast<double>(detail::softplus(-x));
        const S g_pos = -detail::sigmoid(-x) * inv_batch;
        out.grad_anchors.row(i) = g_pos * p.row(i);
        out.grad_positives.row(i) = g_pos * a.row(i);
        // Negatives: -log sigmoid(-y) = softplus(y); d/dy = sigmoid(y).
        for (Eigen::Index j = 0; j < k; ++j) {
            const S y = a.row(i).dot(n.row(i * k + j));
            total += static_cast<double>(detail::softplus(y));
            const S g = detail::sigmoid(y) * inv_batch;
            out.grad_anchors.row(i) += g * n.row(i * k + j);
            out.grad_negatives.row(i * k + j) = g * a.row(i);
        }
    }
    out.loss = static_cast<S>(total) * inv_batch;
}

/// The negative-sampling objective, returning a new result; see the overload above.
template <class DA, class DP, class DN>
[[nodiscard]] LogisticResult<typename DA::Scalar> logistic_loss(const Eigen::MatrixBase<DA>& anchors,
                                                                const Eigen::MatrixBase<DP>& positives,
                                                                const Eigen::MatrixBase<DN>& negatives) {
    LogisticResult<typename DA::Scalar> r;
    logistic_loss(anchors, positives, negatives, r);
    return r;
}

/// The logistic pair loss on labelled pairs: row i of u and v is a pair, labels[i] is 1 for a
/// positive pair and 0 for a negative one, and the pair costs -log sigmoid(u_i . v_i) (positive)
/// or -log sigmoid(-u_i . v_i) (negative). The loss is the mean over the pairs. Throws
/// invalid_argument on an empty batch, mismatched shapes, a label count that differs from the
/// rows, or a label other than 0 or 1 (the message names its index).
template <class DU, class DV, class Label>
[[nodiscard]] LogisticPairResult<typename DU::Scalar> logistic_pair_loss(const Eigen::MatrixBase<DU>& u,
                                                                         const Eigen::MatrixBase<DV>& v,
                                                                         const std::vector<Label>& labels) {
    using S = typename DU::Scalar;
    static_assert(std::is_floating_point_v<S>, "logistic_pair_loss needs a floating-point scalar");
    static_assert(detail::same_scalar_v<S, DV>, "logistic_pair_loss: u and v need the same scalar");
    constexpr const char* where = "logistic_pair_loss";
    detail::check_nonempty(u, where, "u");
    detail::check_same_shape(u, "u", v, "v", where);
    detail::check_labels(labels, u.rows(), where, "labels");
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] != Label(0) && labels[i] != Label(1)) {
            throw invalid_argument(std::string(where) + ": labels[" + std::to_string(i) + "] = " +
                                   std::to_string(labels[i]) + " (expected 1 for a positive pair or 0 for a negative)");
        }
    }
    const Eigen::Index rows = u.rows();
    const S inv_rows = S(1) / static_cast<S>(rows);
    LogisticPairResult<S> r;
    r.grad_u.resize(rows, u.cols());
    r.grad_v.resize(rows, u.cols());
    double total = 0;
    for (Eigen::Index i = 0; i < rows; ++i) {
        const S x = u.row(i).dot(v.row(i));
        // Signed margin: y = +x for a positive pair, -x for a negative; cost softplus(-y).
        const S sign = labels[static_cast<std::size_t>(i)] == Label(1) ? S(1) : S(-1);
        total += static_cast<double>(detail::softplus(-sign * x));
        const S g = -sign * detail::sigmoid(-sign * x) * inv_rows;
        r.grad_u.row(i) = g * v.row(i);
        r.grad_v.row(i) = g * u.row(i);
    }
    r.loss = static_cast<S>(total) * inv_rows;
    return r;
}

}  // namespace embedkit
