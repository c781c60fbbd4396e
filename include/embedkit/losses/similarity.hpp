#pragma once

#include "embedkit/detail/loss_kernels.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <cmath>
#include <string>
#include <string_view>
#include <type_traits>

namespace embedkit {

/// How the contrastive losses score a pair of vectors.
enum class Similarity {
    dot,     ///< u . v
    cosine,  ///< u . v / (max(|u|, eps) * max(|v|, eps)): a zero vector scores 0, never NaN
};

/// "dot" or "cosine".
[[nodiscard]] inline const char* to_string(Similarity s) noexcept {
    return s == Similarity::dot ? "dot" : "cosine";
}

/// Parses "dot" or "cosine"; throws invalid_argument naming the text otherwise.
[[nodiscard]] inline Similarity parse_similarity(std::string_view text) {
    if (text == "dot") return Similarity::dot;
    if (text == "cosine") return Similarity::cosine;
    throw invalid_argument("unknown similarity '" + std::string(text) + "' (expected dot or cosine)");
}

/// All pairwise similarities: result(i, j) = sim(x_i, y_j), an x.rows() x y.rows() matrix (one
/// matrix product). `eps` is the norm floor of the cosine. Throws invalid_argument if the
/// dimensions differ or eps is not finite and > 0.
template <class DX, class DY>
[[nodiscard]] RowMatrix<typename DX::Scalar> similarity_matrix(const Eigen::MatrixBase<DX>& x,
                                                               const Eigen::MatrixBase<DY>& y,
                                                               Similarity similarity = Similarity::cosine,
                                                               double eps = 1e-8) {
    using S = typename DX::Scalar;
    static_assert(std::is_floating_point_v<S>, "similarity_matrix needs a floating-point scalar");
    static_assert(std::is_same_v<S, typename DY::Scalar>, "similarity_matrix: x and y need the same scalar");
    detail::check_same_dim(x, "x rows", y, "y rows", "similarity_matrix");
    if (!(eps > 0) || !std::isfinite(eps)) {
        throw invalid_argument("similarity_matrix: eps must be finite and > 0, got " + std::to_string(eps));
    }
    detail::PreparedRows<S> px, py;
    px.prepare(x, similarity == Similarity::cosine, static_cast<S>(eps));
    py.prepare(y, similarity == Similarity::cosine, static_cast<S>(eps));
    RowMatrix<S> out(x.rows(), y.rows());
    out.noalias() = px.rows * py.rows.transpose();
    return out;
}

}  // namespace embedkit
