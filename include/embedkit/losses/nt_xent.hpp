#pragma once

#include "embedkit/detail/loss_kernels.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/losses/similarity.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <limits>
#include <string>
#include <type_traits>

namespace embedkit {

/// Options of nt_xent_loss (SimCLR, Chen et al. 2020). C++20: `{.temperature = 0.2}`.
struct NtXentOptions {
    /// Logits are similarity / temperature. Finite and > 0. SimCLR's default is 0.5.
    double temperature = 0.5;
    Similarity similarity = Similarity::cosine;
    /// Cosine only: a norm below eps counts as eps. Finite and > 0.
    double eps = 1e-8;
};

/// Throws invalid_options naming the field.
inline void validate(const NtXentOptions& o) {
    detail::check_option(o.temperature, "NtXentOptions.temperature");
    detail::check_option(o.eps, "NtXentOptions.eps");
    if (o.similarity != Similarity::dot && o.similarity != Similarity::cosine) {
        throw invalid_options("NtXentOptions.similarity has an unknown value " +
                              std::to_string(static_cast<int>(o.similarity)));
    }
}

/// The loss (mean over all 2B views) and its gradients, shaped like the inputs.
template <class Scalar>
struct NtXentResult {
    Scalar loss = 0;
    RowMatrix<Scalar> grad_first;   ///< d loss / d first_views
    RowMatrix<Scalar> grad_second;  ///< d loss / d second_views
    /// Buffers reused when the same result is filled again; empty in a result returned by value.
    detail::LossWorkspace<Scalar> workspace;
};

/// NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR, into `out` (its buffers are
/// reused). first_views and second_views are B x D: row i of each are two views of example i. The
/// 2B views z_1..z_2B are scored against each other (one 2B x 2B product), a view's similarity
/// with itself is masked out, and each view must pick out its partner among the other 2B - 1:
///     loss_k = -log( exp(s(z_k, z_partner(k))) / sum_{j != k} exp(s(z_k, z_j)) )
/// averaged over all 2B views, i.e. over both directions. B = 1 gives loss 0 (nothing to contrast).
/// Throws invalid_argument on an empty batch or shapes that differ, invalid_options on bad options.
template <class DA, class DB>
void nt_xent_loss(const Eigen::MatrixBase<DA>& first_views, const Eigen::MatrixBase<DB>& second_views,
                  const NtXentOptions& options, NtXentResult<typename DA::Scalar>& out) {
    using S = typename DA::Scalar;
    static_assert(std::is_floating_point_v<S>, "nt_xent_loss needs a floating-point scalar");
    static_assert(detail::same_scalar_v<S, DB>, "nt_xent_loss: both batches need the same scalar");
    constexpr const char* where = "nt_xent_loss";
    validate(options);
    detail::check_nonempty(first_views, where, "first_views");
    detail::check_same_shape(first_views, "first_views", second_views, "second_views", where);
    const Eigen::Index batch = first_views.rows();
    const Eigen::Index n = 2 * batch;
    const Eigen::Index dim = first_views.cols();
    const S eps = static_cast<S>(options.eps);
    const S inv_t = static_cast<S>(1.0 / options.temperature);
    const bool cosine = options.similarity == Similarity::cosine;

    detail::LossWorkspace<S>& w = out.workspace;
    w.first.prepare(first_views, cosine, eps);
    w.second.prepare(second_views, cosine, eps);
    RowMatrix<S>& z = w.stacked;
    z.resize(n, dim);
    z.topRows(batch) = w.first.rows;
    z.bottomRows(batch) = w.second.rows;

    RowMatrix<S>& logits = w.logits;
    logits.resize(n, n);
    logits.noalias() = z * z.transpose();
    logits.diagonal().setConstant(-std::numeric_limits<S>::infinity());
    const S inv_n = S(1) / static_cast<S>(n);
    const S loss_sum = detail::softmax_cross_entropy_rows(
        logits, [batch, n](Eigen::Index k) { return (k + batch) % n; }, inv_t * inv_n, true, inv_t);

    // logits(k, j) = s(z_k, z_j) is symmetric, so dL/dz = (G + G^T) z with G the logit gradient.
    RowMatrix<S>& g_sym = w.scratch;
    g_sym.resize(n, n);
    g_sym = logits + logits.transpose();
    RowMatrix<S>& grad_z = w.grad_stacked;
    grad_z.resize(n, dim);
    grad_z.noalias() = g_sym * z;

    out.loss = loss_sum * inv_n;
    out.grad_first = grad_z.topRows(batch);
    out.grad_second = grad_z.bottomRows(batch);
    w.first.backward(out.grad_first);
    w.second.backward(out.grad_second);
}

/// NT-Xent, returning a new result; see the overload above.
template <class DA, class DB>
[[nodiscard]] NtXentResult<typename DA::Scalar> nt_xent_loss(const Eigen::MatrixBase<DA>& first_views,
                                                             const Eigen::MatrixBase<DB>& second_views,
                                                             const NtXentOptions& options = {}) {
    NtXentResult<typename DA::Scalar> r;
    nt_xent_loss(first_views, second_views, options, r);
    r.workspace = {};
    return r;
}

}  // namespace embedkit
