#pragma once

#include "embedkit/detail/loss_kernels.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/losses/similarity.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace embedkit {

/// Options of the InfoNCE losses (van den Oord et al. 2018, "Representation Learning with
/// Contrastive Predictive Coding"). C++20 callers may write `{.temperature = 0.05}`.
struct InfoNceOptions {
    /// Logits are similarity / temperature. Finite and > 0.
    double temperature = 0.1;
    Similarity similarity = Similarity::cosine;
    /// Cosine only: a norm below eps counts as eps (zero vectors score 0). Finite and > 0.
    double eps = 1e-8;
};

/// Throws invalid_options naming the field.
inline void validate(const InfoNceOptions& o) {
    detail::check_option(o.temperature, "InfoNceOptions.temperature");
    detail::check_option(o.eps, "InfoNceOptions.eps");
    if (o.similarity != Similarity::dot && o.similarity != Similarity::cosine) {
        throw invalid_options("InfoNceOptions.similarity has an unknown value " +
                              std::to_string(static_cast<int>(o.similarity)));
    }
}

/// The loss (mean over the anchors) and its gradient with respect to every input batch; each
/// gradient has the shape of its input.
template <class Scalar>
struct InfoNceResult {
    Scalar loss = 0;
    RowMatrix<Scalar> grad_anchors;
    RowMatrix<Scalar> grad_positives;
    RowMatrix<Scalar> grad_negatives;  ///< empty for the in-batch loss
    /// Buffers reused when the same result is filled again (the overloads taking a result); empty
    /// in a result returned by value.
    detail::LossWorkspace<Scalar> workspace;
};

namespace detail {

/// The in-batch softmax shared by InfoNCE and MNRL, on prepared rows. Anchor i scores every
/// candidate j: logit_ij = inv_temperature * a_i . c_j; candidate i (one of the first B) is its
/// positive. With labels, candidate j < B, j != i, is left out of anchor i's softmax when
/// positive_labels[j] equals positive_labels[i] or anchor_labels[i] (a duplicate of the positive,
/// or the anchor itself, is not a negative). Writes the gradients of the mean loss with respect to
/// the prepared rows and returns the mean loss. `logits` is scratch.
template <class S, class Label>
S in_batch_softmax(const RowMatrix<S>& a, const RowMatrix<S>& c, S inv_temperature,
                   const std::vector<Label>* anchor_labels, const std::vector<Label>* positive_labels,
                   RowMatrix<S>& logits, RowMatrix<S>& grad_a, RowMatrix<S>& grad_c) {
    const Eigen::Index batch = a.rows();
    logits.resize(batch, c.rows());
    logits.noalias() = a * c.transpose();
    bool masked = false;
    if (positive_labels != nullptr) {
        constexpr S kMinusInf = -std::numeric_limits<S>::infinity();
        const std::vector<Label>& pl = *positive_labels;
        const bool have_anchor = anchor_labels != nullptr && !anchor_labels->empty();
        for (Eigen::Index i = 0; i < batch; ++i) {
            const Label own = pl[static_cast<std::size_t>(i)];
            const Label anchor = have_anchor ? (*anchor_labels)[static_cast<std::size_t>(i)] : own;
            for (Eigen::Index j = 0; j < batch; ++j) {
                const Label other = pl[static_cast<std::size_t>(j)];
                if (j != i && (other == own || other == anchor)) {
                    logits(i, j) = kMinusInf;
                    masked = true;
                }
            }
        }
    }
    const S inv_batch = S(1) / static_cast<S>(batch);
    // The loss takes logits / temperature; the rows become its gradient with respect to the raw
    // dot products (the chain rule's 1 / temperature folded into the scale).
    const S loss_sum = softmax_cross_entropy_rows(
        logits, [](Eigen::Index i) { return i; }, inv_temperature * inv_batch, masked, inv_temperature);
    grad_a.resize(a.rows(), a.cols());
    grad_c.resize(c.rows(), c.cols());
    grad_a.noalias() = logits * c;
    grad_c.noalias() = logits.transpose() * a;
    return loss_sum * inv_batch;
}

template <class S, class DA, class DP, class Label>
void infonce_in_batch(const Eigen::MatrixBase<DA>& anchors, const Eigen::MatrixBase<DP>& positives,
                      const std::vector<Label>* anchor_labels, const std::vector<Label>* positive_labels,
                      const InfoNceOptions& options, InfoNceResult<S>& r) {
    static_assert(std::is_floating_point_v<S>, "InfoNCE needs a floating-point scalar");
    constexpr const char* where = "infonce_in_batch_loss";
    validate(options);
    check_nonempty(anchors, where, "anchors");
    check_same_shape(anchors, "anchors", positives, "positives", where);
    if (positive_labels != nullptr) {
        check_labels(*positive_labels, anchors.rows(), where, "positive_labels");
        if (anchor_labels != nullptr && !anchor_labels->empty()) {
            check_labels(*anchor_labels, anchors.rows(), where, "anchor_labels");
        }
    }
    const bool cosine = options.similarity == Similarity::cosine;
    LossWorkspace<S>& w = r.workspace;
    w.first.prepare(anchors, cosine, static_cast<S>(options.eps));
    w.second.prepare(positives, cosine, static_cast<S>(options.eps));
    r.loss = in_batch_softmax(w.first.rows, w.second.rows, static_cast<S>(1.0 / options.temperature), anchor_labels,
                              positive_labels, w.logits, r.grad_anchors, r.grad_positives);
    r.grad_negatives.resize(0, anchors.cols());
    w.first.backward(r.grad_anchors);
    w.second.backward(r.grad_positives);
}

}  // namespace detail

/// InfoNCE with explicit negatives, into `out` (its buffers are reused: no allocation once the
/// shapes repeat). anchors and positives are B x D (row i of positives is the positive of anchor
/// i); negatives are (B*K) x D, rows [i*K, (i+1)*K) being the K negatives of anchor i. With
/// s(u, v) the similarity over the temperature, the loss of anchor i is
///     -log( exp(s(a_i, p_i)) / (exp(s(a_i, p_i)) + sum_k exp(s(a_i, n_ik))) )
/// and out.loss is its mean over the anchors, with the gradients for all three batches. Stable for
/// any finite inputs (log-sum-exp). Throws invalid_argument on an empty batch or mismatched
/// shapes, invalid_options on bad options.
template <class DA, class DP, class DN>
void infonce_loss(const Eigen::MatrixBase<DA>& anchors, const Eigen::MatrixBase<DP>& positives,
                  const Eigen::MatrixBase<DN>& negatives, const InfoNceOptions& options,
                  InfoNceResult<typename DA::Scalar>& out) {
    using S = typename DA::Scalar;
    static_assert(std::is_floating_point_v<S>, "infonce_loss needs a floating-point scalar");
    static_assert(detail::same_scalar_v<S, DP, DN>, "infonce_loss: all batches need the same scalar");
    constexpr const char* where = "infonce_loss";
    validate(options);
    detail::check_nonempty(anchors, where, "anchors");
    detail::check_same_shape(anchors, "anchors", positives, "positives", where);
    detail::check_same_dim(anchors, "anchors", negatives, "negatives", where);
    const Eigen::Index batch = anchors.rows();
    const Eigen::Index dim = anchors.cols();
    const Eigen::Index k = detail::negatives_per_row(negatives, batch, where);

    const bool cosine = options.similarity == Similarity::cosine;
    const S eps = static_cast<S>(options.eps);
    const S inv_t = static_cast<S>(1.0 / options.temperature);
    detail::LossWorkspace<S>& w = out.workspace;
    w.first.prepare(anchors, cosine, eps);
    w.second.prepare(positives, cosine, eps);
    w.third.prepare(negatives, cosine, eps);
    const RowMatrix<S>& a = w.first.rows;
    const RowMatrix<S>& p = w.second.rows;
    const RowMatrix<S>& n = w.third.rows;

    // Column 0: the positive; columns 1..K: the negatives. Every anchor has its own negatives, so
    // these are B * (K + 1) row dot products rather than one matrix product.
    RowMatrix<S>& logits = w.logits;
    logits.resize(batch, k + 1);
    for (Eigen::Index i = 0; i < batch; ++i) {
        logits(i, 0) = a.row(i).dot(p.row(i));
        for (Eigen::Index j = 0; j < k; ++j) logits(i, 1 + j) = a.row(i).dot(n.row(i * k + j));
    }
    const S inv_batch = S(1) / static_cast<S>(batch);
    const S loss_sum = detail::softmax_cross_entropy_rows(
        logits, [](Eigen::Index) { return Eigen::Index{0}; }, inv_t * inv_batch, false, inv_t);

    out.loss = loss_sum * inv_batch;
    out.grad_anchors.resize(batch, dim);
    out.grad_positives.resize(batch, dim);
    out.grad_negatives.resize(negatives.rows(), dim);
    for (Eigen::Index i = 0; i < batch; ++i) {
        const S g_pos = logits(i, 0);
        out.grad_anchors.row(i) = g_pos * p.row(i);
        out.grad_positives.row(i) = g_pos * a.row(i);
        for (Eigen::Index j = 0; j < k; ++j) {
            const S g = logits(i, 1 + j);
            out.grad_anchors.row(i) += g * n.row(i * k + j);
            out.grad_negatives.row(i * k + j) = g * a.row(i);
        }
    }
    w.first.backward(out.grad_anchors);
    w.second.backward(out.grad_positives);
    w.third.backward(out.grad_negatives);
}

/// InfoNCE with explicit negatives, returning a new result; see the overload above.
template <class DA, class DP, class DN>
[[nodiscard]] InfoNceResult<typename DA::Scalar> infonce_loss(const Eigen::MatrixBase<DA>& anchors,
                                                              const Eigen::MatrixBase<DP>& positives,
                                                              const Eigen::MatrixBase<DN>& negatives,
                                                              const InfoNceOptions& options = {}) {
    InfoNceResult<typename DA::Scalar> r;
    infonce_loss(anchors, positives, negatives, options, r);
    r.workspace = {};
    return r;
}

/// InfoNCE with in-batch negatives, into `out` (buffers reused). anchors and positives are B x D,
/// and anchor i is scored against all B positives (one B x B matrix product), positive i being
/// the right one:
///     loss_i = -log( exp(s(a_i, p_i)) / sum_j exp(s(a_i, p_j)) ),  mean over i.
/// grad_negatives is empty. Throws like infonce_loss.
template <class DA, class DP>
void infonce_in_batch_loss(const Eigen::MatrixBase<DA>& anchors, const Eigen::MatrixBase<DP>& positives,
                           const InfoNceOptions& options, InfoNceResult<typename DA::Scalar>& out) {
    using S = typename DA::Scalar;
    static_assert(detail::same_scalar_v<S, DP>, "infonce_in_batch_loss: both batches need the same scalar");
    detail::infonce_in_batch<S>(anchors, positives, static_cast<const std::vector<int>*>(nullptr),
                                static_cast<const std::vector<int>*>(nullptr), options, out);
}

/// In-batch InfoNCE, returning a new result; see the overload above.
template <class DA, class DP>
[[nodiscard]] InfoNceResult<typename DA::Scalar> infonce_in_batch_loss(const Eigen::MatrixBase<DA>& anchors,
                                                                       const Eigen::MatrixBase<DP>& positives,
                                                                       const InfoNceOptions& options = {}) {
    InfoNceResult<typename DA::Scalar> r;
    infonce_in_batch_loss(anchors, positives, options, r);
    r.workspace = {};
    return r;
}

/// In-batch InfoNCE that knows which rows are the same item, into `out`. Positive j (j != i) is
/// left out of anchor i's softmax when positive_labels[j] == positive_labels[i] (the same positive
/// twice in the batch) or positive_labels[j] == anchor_labels[i] (the anchor itself, when anchors
/// and positives share one id space). `anchor_labels` may be empty (anchors and positives in
/// different id spaces); otherwise both have B entries. invalid_argument on a size mismatch.
template <class DA, class DP, class Label>
void infonce_in_batch_loss(const Eigen::MatrixBase<DA>& anchors, const Eigen::MatrixBase<DP>& positives,
                           const std::vector<Label>& anchor_labels, const std::vector<Label>& positive_labels,
                           const InfoNceOptions& options, InfoNceResult<typename DA::Scalar>& out) {
    using S = typename DA::Scalar;
    static_assert(detail::same_scalar_v<S, DP>, "infonce_in_batch_loss: both batches need the same scalar");
    detail::infonce_in_batch<S>(anchors, positives, &anchor_labels, &positive_labels, options, out);
}

/// In-batch InfoNCE with labels, returning a new result; see the overload above.
template <class DA, class DP, class Label>
[[nodiscard]] InfoNceResult<typename DA::Scalar> infonce_in_batch_loss(const Eigen::MatrixBase<DA>& anchors,
                                                                       const Eigen::MatrixBase<DP>& positives,
                                                                       const std::vector<Label>& anchor_labels,
                                                                       const std::vector<Label>& positive_labels,
                                                                       const InfoNceOptions& options = {}) {
    InfoNceResult<typename DA::Scalar> r;
    infonce_in_batch_loss(anchors, positives, anchor_labels, positive_labels, options, r);
    r.workspace = {};
    return r;
}

}  // namespace embedkit
