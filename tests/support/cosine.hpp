// The cosine of two vectors, for tests that check what training learned (the models tests share
// one compile unit, so one definition serves them all).
#pragma once

#include <Eigen/Core>

namespace embedkit::testing {

/// cos(a, b) of two Eigen vectors of the same shape (rows of a matrix, or vectors), in double;
/// 0 for a zero vector.
template <class A, class B>
double cosine(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    const auto x = a.template cast<double>();
    const auto y = b.template cast<double>();
    return x.dot(y) / (x.norm() * y.norm() + 1e-12);
}

}  // namespace embedkit::testing
