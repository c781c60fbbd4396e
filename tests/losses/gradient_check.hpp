#pragma once

// Helpers of the loss tests: seeded random batches and central finite differences in double.

#include <embedkit/detail/rng.hpp>
#include <embedkit/types.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace embedkit_test {

using embedkit::RowMatrix;

/// rows x cols entries drawn from N(0, scale^2) with a seeded generator.
inline RowMatrix<double> random_matrix(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed, double scale = 1.0) {
    embedkit::detail::Rng rng(seed);
    RowMatrix<double> m(rows, cols);
    for (Eigen::Index i = 0; i < rows; ++i)
        for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = scale * rng.normal<double>();
    return m;
}

/// d f / d x by central differences, (f(x + h e_ij) - f(x - h e_ij)) / 2h for every entry of x.
/// `x` is perturbed in place and restored; `f()` must read it.
template <class F>
RowMatrix<double> numeric_gradient(RowMatrix<double>& x, F&& f, double h = 1e-6) {
    RowMatrix<double> g(x.rows(), x.cols());
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        for (Eigen::Index j = 0; j < x.cols(); ++j) {
            const double old = x(i, j);
            x(i, j) = old + h;
            const double up = f();
            x(i, j) = old - h;
            const double down = f();
            x(i, j) = old;
            g(i, j) = (up - down) / (2 * h);
        }
    }
    return g;
}

/// ||analytic - numeric|| / max(||analytic||, ||numeric||) (Frobenius norms); 0 when both are 0.
inline double relative_error(const RowMatrix<double>& analytic, const RowMatrix<double>& numeric) {
    const double scale = std::max(analytic.norm(), numeric.norm());
    return scale == 0 ? 0.0 : (analytic - numeric).norm() / scale;
}

}  // namespace embedkit_test
