#pragma once

// Truncated SVD by randomized subspace iteration (Halko, Martinsson and Tropp 2011, algorithms
// 4.4 and 5.1) for a matrix known only through its products with dense blocks, so that a large
// sparse matrix is never densified: a Gaussian test block, a few rounds of A and A^T products
// with re-orthonormalisation in between, and an exact SVD of the small projected problem.

#include "embedkit/detail/parallel.hpp"
#include "embedkit/detail/rng.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

namespace embedkit::detail {

/// A ~= U diag(S) V^T with orthonormal columns in U (m x k) and V (n x k), S descending.
struct TruncatedSvd {
    Eigen::MatrixXd U;
    Eigen::VectorXd S;
    Eigen::MatrixXd V;
};

/// Settings of randomized_svd.
struct RandomizedSvdOptions {
    int rank = 100;         ///< singular triplets wanted (k)
    int oversampling = 10;  ///< extra test vectors: the subspace has k + oversampling columns
    int iterations = 3;     ///< power (subspace) iterations; each costs one A and one A^T product
    std::uint64_t seed = 1;
    unsigned threads = 1;   ///< for drawing the test block
};

/// An orthonormal basis of the columns of `y` (m x l, l <= m), in column order: classical
/// Gram-Schmidt with a second orthogonalisation pass, which is as accurate as Householder QR
/// for this use and runs as matrix-vector products. A column that depends on the previous ones
/// is replaced by the first unit vector that does not.
[[nodiscard]] inline Eigen::MatrixXd orthonormal_basis(const Eigen::MatrixXd& y) {
    const Eigen::Index m = y.rows();
    const Eigen::Index l = y.cols();
    Eigen::MatrixXd q(m, l);
    Eigen::VectorXd v(m);
    Eigen::VectorXd h;
    Eigen::Index next_unit = 0;
    auto orthogonalise = [&](Eigen::Index j) {
        for (int pass = 0; pass < 2 && j > 0; ++pass) {
            h.noalias() = q.leftCols(j).transpose() * v;
            v.noalias() -= q.leftCols(j) * h;
        }
    };
    for (Eigen::Index j = 0; j < l; ++j) {
        v = y.col(j);
        const double before = v.norm();
        orthogonalise(j);
        double norm = v.norm();
        if (!(norm > 1e-10 * before && norm > 0)) {
            // Some unit vector keeps at least 1/sqrt(m) of its length outside the span so far;
            // a unit vector rejected here stays rejected for the later columns.
            const double enough = 1.0 / std::sqrt(2.0 * static_cast<double>(m));
            norm = 0;
            while (norm <= enough && next_unit < m) {
                v.setZero();
                v(next_unit++) = 1.0;
                orthogonalise(j);
                norm = v.norm();
            }
        }
        q.col(j) = v / norm;
    }
    return q;
}

/// Truncated SVD of an m x n matrix A. `multiply(X, Y)` must set Y = A X (X: n x l, Y: m x l)
/// and `multiply_transpose(X, Y)` Y = A^T X (X: m x l, Y: n x l), with Y already sized; both
/// are row-major blocks. `after_product()` is called after each product (for progress and
/// cancellation; it may throw). The result depends only on the seed, not on options.threads.
template <class Multiply, class MultiplyTranspose, class AfterProduct>
[[nodiscard]] TruncatedSvd randomized_svd(Eigen::Index m, Eigen::Index n, const RandomizedSvdOptions& options,
                                          Multiply&& multiply, MultiplyTranspose&& multiply_transpose,
                                          AfterProduct&& after_product) {
    if (m <= 0 || n <= 0) throw invalid_argument("randomized_svd: the matrix is empty");
    if (options.rank <= 0 || options.oversampling < 0 || options.iterations < 0) {
        throw invalid_argument("randomized_svd: need rank > 0, oversampling >= 0, iterations >= 0");
    }
    const Eigen::Index k = std::min<Eigen::Index>(options.rank, std::min(m, n));
    const Eigen::Index l = std::min<Eigen::Index>(k + options.oversampling, std::min(m, n));
    // Gaussian test block, row i from its own stream.
    RowMatrix<double> omega(n, l);
    parallel_for(static_cast<std::size_t>(n), options.threads, [&](std::size_t begin, std::size_t end, unsigned) {
        for (std::size_t i = begin; i < end; ++i) {
            Rng rng(stream_seed(options.seed, i));
            for (Eigen::Index c = 0; c < l; ++c) omega(static_cast<Eigen::Index>(i), c) = rng.normal<double>();
        }
    });
    RowMatrix<double> y(m, l);
    RowMatrix<double> z(n, l);
    multiply(omega, y);
    after_product();
    omega.resize(0, 0);
    Eigen::MatrixXd q = orthonormal_basis(y);
    for (int it = 0; it < options.iterations; ++it) {
        multiply_transpose(RowMatrix<double>(q), z);
        after_product();
        multiply(RowMatrix<double>(orthonormal_basis(z)), y);
        after_product();
        q = orthonormal_basis(y);
    }
    // B = Q^T A = Z^T with Z = A^T Q. With Z = Qz R: B = R^T Qz^T, and the SVD of the small
    // R^T = Ur S Vr^T gives A ~= Q B = (Q Ur) S (Qz Vr)^T.
    multiply_transpose(RowMatrix<double>(q), z);
    after_product();
    const Eigen::MatrixXd zc = z;
    const Eigen::MatrixXd qz = orthonormal_basis(zc);
    const Eigen::MatrixXd rt = zc.transpose() * qz;  // R^T, l x l
    const Eigen::JacobiSVD<Eigen::MatrixXd, Eigen::NoQRPreconditioner> svd(rt, Eigen::ComputeFullU | Eigen::ComputeFullV);
    TruncatedSvd out;
    out.S = svd.singularValues().head(k);
    out.U.noalias() = q * svd.matrixU().leftCols(k);
    out.V.noalias() = qz * svd.matrixV().leftCols(k);
    return out;
}

}  // namespace embedkit::detail
