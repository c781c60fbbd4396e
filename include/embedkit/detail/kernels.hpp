#pragma once

// Small vector kernels shared by search and evaluation: dot product, squared L2 distance, norm
// and row normalisation. They are Eigen expressions, so they vectorise with whatever SIMD the
// consumer compiles for (SSE2 by default, AVX2/FMA or AVX-512 with -march=native).
// benchmarks/bench_search.cpp compares them with hand-written AVX2 loops: at the dimensions
// embeddings use (50-300) the difference is within noise, so no intrinsics live here.

#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <cmath>
#include <type_traits>

namespace embedkit::detail {

/// Dot product of two vectors of the same size (rows or columns, any Eigen expression).
template <class DerivedA, class DerivedB>
[[nodiscard]] typename DerivedA::Scalar dot(const Eigen::MatrixBase<DerivedA>& a,
                                            const Eigen::MatrixBase<DerivedB>& b) {
    static_assert(std::is_same_v<typename DerivedA::Scalar, typename DerivedB::Scalar>,
                  "dot: both operands need the same scalar");
    return a.dot(b);
}

/// Squared Euclidean distance between two vectors of the same size.
template <class DerivedA, class DerivedB>
[[nodiscard]] typename DerivedA::Scalar squared_l2(const Eigen::MatrixBase<DerivedA>& a,
                                                   const Eigen::MatrixBase<DerivedB>& b) {
    static_assert(std::is_same_v<typename DerivedA::Scalar, typename DerivedB::Scalar>,
                  "squared_l2: both operands need the same scalar");
    return (a - b).squaredNorm();
}

/// Euclidean norm of a vector.
template <class Derived>
[[nodiscard]] typename Derived::Scalar norm(const Eigen::MatrixBase<Derived>& a) {
    return a.norm();
}

/// Pointer forms of the kernels above, for code that holds raw rows.
template <class Scalar>
[[nodiscard]] Scalar dot(const Scalar* a, const Scalar* b, Eigen::Index n) {
    using Map = Eigen::Map<const RowVector<Scalar>>;
    return Map(a, n).cwiseProduct(Map(b, n)).sum();
}

template <class Scalar>
[[nodiscard]] Scalar squared_l2(const Scalar* a, const Scalar* b, Eigen::Index n) {
    using Map = Eigen::Map<const RowVector<Scalar>>;
    return (Map(a, n) - Map(b, n)).squaredNorm();
}

template <class Scalar>
[[nodiscard]] Scalar norm(const Scalar* a, Eigen::Index n) {
    return Eigen::Map<const RowVector<Scalar>>(a, n).norm();
}

/// Scales every row to unit Euclidean norm. Rows whose norm is zero stay zero (so a cosine
/// against them is 0, never NaN).
template <class Derived>
void normalize_rows(Eigen::MatrixBase<Derived>& m) {
    using Scalar = typename Derived::Scalar;
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
        const Scalar n = m.row(i).norm();
        if (n > Scalar(0)) m.row(i) /= n;
    }
}

/// Overload for temporaries such as `m.middleRows(a, b)`.
template <class Derived>
void normalize_rows(Eigen::MatrixBase<Derived>&& m) {
    normalize_rows(m);
}

/// Cosine similarity of two vectors; 0 when either is zero.
template <class DerivedA, class DerivedB>
[[nodiscard]] typename DerivedA::Scalar cosine(const Eigen::MatrixBase<DerivedA>& a,
                                               const Eigen::MatrixBase<DerivedB>& b) {
    using Scalar = typename DerivedA::Scalar;
    const Scalar na = a.norm();
    const Scalar nb = b.norm();
    if (!(na > Scalar(0)) || !(nb > Scalar(0))) return Scalar(0);
    return dot(a, b) / (na * nb);
}

}  // namespace embedkit::detail
