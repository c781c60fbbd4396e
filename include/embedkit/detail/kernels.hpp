#pragma once

// Small vector kernels shared by search and evaluation: dot product, squared L2 distance, norm
// and row normalisation, for float and double. The portable versions are Eigen expressions, which
// vectorise with whatever SIMD the consumer compiles for. When the consumer compiles with AVX2 and
// FMA (e.g. -march=native), contiguous vectors go through the hand-written loops below instead:
// four independent accumulators hide the FMA latency that Eigen's reduction leaves exposed;
// benchmarks/bench_search.cpp (BM_*_kernel against BM_*_eigen) measured dot and squared L2 up to
// 10-17% faster at dimensions 100 and 300, the double norm 25% faster at 300, the float norm
// level (within noise). Batched search does not use these: it runs on matrix products
// (detail/blocked_topk.hpp, detail/fused_topk.hpp).

#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <cmath>
#include <type_traits>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace embedkit::detail {

#if defined(__AVX2__) && defined(__FMA__)
inline constexpr bool kHaveAvx2Kernels = true;

[[nodiscard]] inline float hsum(__m256 v) noexcept {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

[[nodiscard]] inline double hsum(__m256d v) noexcept {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
    return _mm_cvtsd_f64(s);
}

// Sum over i of f(a[i], b[i]) with f = a*b (Square = false) or (a-b)^2 (Square = true).
template <bool Square>
[[nodiscard]] inline float avx2_reduce(const float* a, const float* b, Eigen::Index n) noexcept {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    Eigen::Index i = 0;
    auto step = [&](int lane, Eigen::Index at) {
        __m256 x = _mm256_loadu_ps(a + at);
        __m256 y = _mm256_loadu_ps(b + at);
        if constexpr (Square) {
            x = _mm256_sub_ps(x, y);
            y = x;
        }
        acc[lane] = _mm256_fmadd_ps(x, y, acc[lane]);
    };
    for (; i + 32 <= n; i += 32) {
        step(0, i);
        step(1, i + 8);
        step(2, i + 16);
        step(3, i + 24);
    }
    for (; i + 8 <= n; i += 8) step(0, i);
    float r = hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    for (; i < n; ++i) r += Square ? (a[i] - b[i]) * (a[i] - b[i]) : a[i] * b[i];
    return r;
}

template <bool Square>
[[nodiscard]] inline double avx2_reduce(const double* a, const double* b, Eigen::Index n) noexcept {
    __m256d acc[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
    Eigen::Index i = 0;
    auto step = [&](int lane, Eigen::Index at) {
        __m256d x = _mm256_loadu_pd(a + at);
        __m256d y = _mm256_loadu_pd(b + at);
        if constexpr (Square) {
            x = _mm256_sub_pd(x, y);
            y = x;
        }
        acc[lane] = _mm256_fmadd_pd(x, y, acc[lane]);
    };
    for (; i + 16 <= n; i += 16) {
        step(0, i);
        step(1, i + 4);
        step(2, i + 8);
        step(3, i + 12);
    }
    for (; i + 4 <= n; i += 4) step(0, i);
    double r = hsum(_mm256_add_pd(_mm256_add_pd(acc[0], acc[1]), _mm256_add_pd(acc[2], acc[3])));
    for (; i < n; ++i) r += Square ? (a[i] - b[i]) * (a[i] - b[i]) : a[i] * b[i];
    return r;
}
#else
inline constexpr bool kHaveAvx2Kernels = false;
#endif

/// Pointer forms: n contiguous values each.
template <class Scalar>
[[nodiscard]] Scalar dot(const Scalar* a, const Scalar* b, Eigen::Index n) {
#if defined(__AVX2__) && defined(__FMA__)
    if constexpr (std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>) return avx2_reduce<false>(a, b, n);
#endif
    using Map = Eigen::Map<const RowVector<Scalar>>;
    return Map(a, n).dot(Map(b, n));
}

template <class Scalar>
[[nodiscard]] Scalar squared_l2(const Scalar* a, const Scalar* b, Eigen::Index n) {
#if defined(__AVX2__) && defined(__FMA__)
    if constexpr (std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>) return avx2_reduce<true>(a, b, n);
#endif
    using Map = Eigen::Map<const RowVector<Scalar>>;
    return (Map(a, n) - Map(b, n)).squaredNorm();
}

template <class Scalar>
[[nodiscard]] Scalar norm(const Scalar* a, Eigen::Index n) {
    return std::sqrt(dot(a, a, n));
}

// True when the kernels can take `Derived`'s data pointer: stored, contiguous, float or double.
template <class Derived>
inline constexpr bool is_contiguous_v = kHaveAvx2Kernels && bool(Derived::Flags & Eigen::DirectAccessBit) &&
                                        Derived::InnerStrideAtCompileTime == 1 && Derived::IsVectorAtCompileTime &&
                                        (std::is_same_v<typename Derived::Scalar, float> ||
                                         std::is_same_v<typename Derived::Scalar, double>);

/// Dot product of two vectors of the same size (rows or columns, any Eigen expression).
template <class DerivedA, class DerivedB>
[[nodiscard]] typename DerivedA::Scalar dot(const Eigen::MatrixBase<DerivedA>& a,
                                            const Eigen::MatrixBase<DerivedB>& b) {
    static_assert(std::is_same_v<typename DerivedA::Scalar, typename DerivedB::Scalar>,
                  "dot: both operands need the same scalar");
    if constexpr (is_contiguous_v<DerivedA> && is_contiguous_v<DerivedB>) {
        eigen_assert(a.size() == b.size());
        return dot(a.derived().data(), b.derived().data(), a.size());
    } else {
        return a.dot(b);
    }
}

/// Squared Euclidean distance between two vectors of the same size.
template <class DerivedA, class DerivedB>
[[nodiscard]] typename DerivedA::Scalar squared_l2(const Eigen::MatrixBase<DerivedA>& a,
                                                   const Eigen::MatrixBase<DerivedB>& b) {
    static_assert(std::is_same_v<typename DerivedA::Scalar, typename DerivedB::Scalar>,
                  "squared_l2: both operands need the same scalar");
    if constexpr (is_contiguous_v<DerivedA> && is_contiguous_v<DerivedB>) {
        eigen_assert(a.size() == b.size());
        return squared_l2(a.derived().data(), b.derived().data(), a.size());
    } else {
        return (a - b).squaredNorm();
    }
}

/// Euclidean norm of a vector.
template <class Derived>
[[nodiscard]] typename Derived::Scalar norm(const Eigen::MatrixBase<Derived>& a) {
    if constexpr (is_contiguous_v<Derived>) {
        return norm(a.derived().data(), a.size());
    } else {
        return a.norm();
    }
}

/// Scales every row to unit Euclidean norm. Rows whose norm is zero stay zero (so a cosine
/// against them is 0, never NaN).
template <class Derived>
void normalize_rows(Eigen::MatrixBase<Derived>& m) {
    using Scalar = typename Derived::Scalar;
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
        const Scalar n = norm(m.row(i));
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
    const Scalar na = norm(a);
    const Scalar nb = norm(b);
    if (!(na > Scalar(0)) || !(nb > Scalar(0))) return Scalar(0);
    return dot(a, b) / (na * nb);
}

}  // namespace embedkit::detail
