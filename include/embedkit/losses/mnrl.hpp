#pragma once

#include "embedkit/detail/loss_kernels.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/losses/infonce.hpp"
#include "embedkit/losses/similarity.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <type_traits>
#include <utility>
#include <vector>

namespace embedkit {

/// Options of mnrl_loss. C++20: `{.scale = 30}`.
struct MnrlOptions {
    /// Logits are scale * cosine. Finite and > 0 (sentence-transformers' default is 20).
    double scale = 20.0;
    /// A norm below eps counts as eps (zero vectors score 0). Finite and > 0.
    double eps = 1e-8;
};

/// Throws invalid_options naming the field.
inline void validate(const MnrlOptions& o) {
    detail::check_option(o.scale, "MnrlOptions.scale");
    detail::check_option(o.eps, "MnrlOptions.eps");
}

/// The loss (mean over the anchors) and the gradients; grad_negatives is empty without hard
/// negatives.
template <class Scalar>
using MnrlResult = InfoNceResult<Scalar>;

namespace detail {

template <class S, class DA, class DP, class DN, class Label>
void mnrl(const Eigen::MatrixBase<DA>& anchors, const Eigen::MatrixBase<DP>& positives,
          const Eigen::MatrixBase<DN>* hard_negatives, const std::vector<Label>* anchor_labels,
          const std::vector<Label>* positive_labels, const MnrlOptions& options, MnrlResult<S>& r) {
    static_assert(std::is_floating_point_v<S>, "mnrl_loss needs a floating-point scalar");
    constexpr const char* where = "mnrl_loss";
    validate(options);
    check_nonempty(anchors, where, "anchors");
    check_same_shape(anchors, "anchors", positives, "positives", where);
    const bool with_negatives = hard_negatives != nullptr && hard_negatives->rows() > 0;
    if (with_negatives) check_same_dim(anchors, "anchors", *hard_negatives, "hard_negatives", where);
    if (positive_labels != nullptr) {
        check_labels(*positive_labels, anchors.rows(), where, "positive_labels");
        if (anchor_labels != nullptr && !anchor_labels->empty()) {
            check_labels(*anchor_labels, anchors.rows(), where, "anchor_labels");
        }
    }
    const Eigen::Index batch = anchors.rows();
    const Eigen::Index dim = anchors.cols();
    const S eps = static_cast<S>(options.eps);
    LossWorkspace<S>& w = r.workspace;
    w.first.prepare(anchors, true, eps);
    // Candidates: the B positives, then the hard negatives (shared by every anchor).
    if (with_negatives) {
        const Eigen::Index m = hard_negatives->rows();
        w.stacked.resize(batch + m, dim);
        w.stacked.topRows(batch) = positives;
        w.stacked.bottomRows(m) = *hard_negatives;
        w.second.prepare(w.stacked, true, eps);
    } else {
        w.second.prepare(positives, true, eps);
    }
    RowMatrix<S>& grad_c = with_negatives ? w.grad_stacked : r.grad_positives;
    r.loss = in_batch_softmax(w.first.rows, w.second.rows, static_cast<S>(options.scale), anchor_labels,
                              positive_labels, w.logits, r.grad_anchors, grad_c);
    w.first.backward(r.grad_anchors);
    w.second.backward(grad_c);
    if (with_negatives) {
        r.grad_positives = grad_c.topRows(batch);
        r.grad_negatives = grad_c.bottomRows(hard_negatives->rows());
    } else {
        r.grad_negatives.resize(0, dim);
    }
}

template <class S>
MnrlResult<S> without_workspace(MnrlResult<S>&& r) {
    r.workspace = {};
    return std::move(r);
}

}  // namespace detail

/// Multiple-negatives ranking loss (Henderson et al. 2017; sentence-transformers'
/// MultipleNegativesRankingLoss), into `out` (its buffers are reused): anchors and positives are
/// B x D, every anchor is scored against every positive with scale * cosine (one B x B product),
/// and cross-entropy asks anchor i to pick positive i. Equal to in-batch InfoNCE with cosine
/// similarity and temperature 1 / scale. Throws invalid_argument on an empty batch or mismatched
/// shapes, invalid_options on bad options.
template <class DA, class DP>
void mnrl_loss(const Eigen::MatrixBase<DA>& anchors, const Eigen::MatrixBase<DP>& positives, const MnrlOptions& options,
               MnrlResult<typename DA::Scalar>& out) {
    using S = typename DA::Scalar;
    static_assert(detail::same_scalar_v<S, DP>, "mnrl_loss: all batches need the same scalar");
    detail::mnrl<S>(anchors, positives, static_cast<const Eigen::MatrixBase<DP>*>(nullptr),
                    static_cast<const std::vector<int>*>(nullptr), static_cast<const std::vector<int>*>(nullptr), options,
                    out);
}

/// MNRL, returning a new result; see the overload above.
template <class DA, class DP>
[[nodiscard]] MnrlResult<typename DA::Scalar> mnrl_loss(const Eigen::MatrixBase<DA>& anchors,
                                                        const Eigen::MatrixBase<DP>& positives,
                                                        const MnrlOptions& options = {}) {
    MnrlResult<typename DA::Scalar> r;
    mnrl_loss(anchors, positives, options, r);
    return detail::without_workspace(std::move(r));
}

/// MNRL with hard negatives, into `out`: `hard_negatives` (M x D, M >= 0) are extra candidates
/// that every anchor must rank below its positive, as sentence-transformers does with (anchor,
/// positive, negative) triplets. Candidates are [positives; hard_negatives], a B x (B + M) product.
template <class DA, class DP, class DN>
void mnrl_loss(const Eigen::MatrixBase<DA>& anchors, const Eigen::MatrixBase<DP>& positives,
               const Eigen::MatrixBase<DN>& hard_negatives, const MnrlOptions& options,
               MnrlResult<typename DA::Scalar>& out) {
    using S = typename DA::Scalar;
    static_assert(detail::same_scalar_v<S, DP, DN>, "mnrl_loss: all batches need the same scalar");
    detail::mnrl<S>(anchors, positives, &hard_negatives, static_cast<const std::vector<int>*>(nullptr),
                    static_cast<const std::vector<int>*>(nullptr), options, out);
}

/// MNRL with hard negatives, returning a new result; see the overload above.
template <class DA, class DP, class DN>
[[nodiscard]] MnrlResult<typename DA::Scalar> mnrl_loss(const Eigen::MatrixBase<DA>& anchors,
                                                        const Eigen::MatrixBase<DP>& positives,
                                                        const Eigen::MatrixBase<DN>& hard_negatives,
                                                        const MnrlOptions& options = {}) {
    MnrlResult<typename DA::Scalar> r;
    mnrl_loss(anchors, positives, hard_negatives, options, r);
    return detail::without_workspace(std::move(r));
}

/// MNRL that knows which rows are the same item, into `out`: positive j (j != i) is left out of
/// anchor i's softmax when positive_labels[j] equals positive_labels[i] or anchor_labels[i] (see
/// infonce_in_batch_loss). `anchor_labels` may be empty; hard negatives (M >= 0 rows) are never
/// left out.
template <class DA, class DP, class DN, class Label>
void mnrl_loss(const Eigen::MatrixBase<DA>& anchors, const Eigen::MatrixBase<DP>& positives,
               const Eigen::MatrixBase<DN>& hard_negatives, const std::vector<Label>& anchor_labels,
               const std::vector<Label>& positive_labels, const MnrlOptions& options,
               MnrlResult<typename DA::Scalar>& out) {
    using S = typename DA::Scalar;
    static_assert(detail::same_scalar_v<S, DP, DN>, "mnrl_loss: all batches need the same scalar");
    detail::mnrl<S>(anchors, positives, &hard_negatives, &anchor_labels, &positive_labels, options, out);
}

/// MNRL with labels, returning a new result; see the overload above.
template <class DA, class DP, class DN, class Label>
[[nodiscard]] MnrlResult<typename DA::Scalar> mnrl_loss(const Eigen::MatrixBase<DA>& anchors,
                                                        const Eigen::MatrixBase<DP>& positives,
                                                        const Eigen::MatrixBase<DN>& hard_negatives,
                                                        const std::vector<Label>& anchor_labels,
                                                        const std::vector<Label>& positive_labels,
                                                        const MnrlOptions& options = {}) {
    MnrlResult<typename DA::Scalar> r;
    mnrl_loss(anchors, positives, hard_negatives, anchor_labels, positive_labels, options, r);
    return detail::without_workspace(std::move(r));
}

}  // namespace embedkit
