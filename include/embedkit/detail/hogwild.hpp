#pragma once

// The lock-free (Hogwild, Recht et al. 2011) parameter access of the trainers. Several threads
// read and update the same embedding rows without synchronisation; this is a data race by the C++
// memory model, and it is intended: the updates are sparse, collisions are rare, and a lost
// update costs nothing measurable in quality, while locks would serialise the training.
// Every racing access of the trainers goes through the functions in this file, and nothing else
// does, so ThreadSanitizer can be told to ignore exactly these (see .ci/tsan.supp).

#include <Eigen/Core>

#include <cstddef>
#include <type_traits>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace embedkit::detail {

#if defined(__SANITIZE_THREAD__)
#define EMBEDKIT_HOGWILD_INLINE __attribute__((noinline))
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define EMBEDKIT_HOGWILD_INLINE __attribute__((noinline))
#endif
#endif
#ifndef EMBEDKIT_HOGWILD_INLINE
#define EMBEDKIT_HOGWILD_INLINE inline
#endif

template <class S>
using ConstRowMap = Eigen::Map<const Eigen::Matrix<S, 1, Eigen::Dynamic>>;
template <class S>
using RowMap = Eigen::Map<Eigen::Matrix<S, 1, Eigen::Dynamic>>;

// The float kernels below take every row as unaligned (rows of 100 floats start at any multiple
// of 16 bytes) and finish a row with a masked step (AVX-512) or a short scalar loop (AVX2), where
// Eigen would peel scalar iterations up to the next 64-byte boundary first: with AVX-512 that
// peeling cost more than the wider vectors gained (benchmarks/bench_train.cpp). Without AVX2 and
// FMA, and for double, the Eigen expressions serve.
#if defined(__AVX512F__)
#define EMBEDKIT_HOGWILD_SIMD 1
inline constexpr int kHogwildLanes = 16;
#elif defined(__AVX2__) && defined(__FMA__)
#define EMBEDKIT_HOGWILD_SIMD 1
inline constexpr int kHogwildLanes = 8;
#endif

#if defined(EMBEDKIT_HOGWILD_SIMD)
namespace simd {
#if defined(__AVX512F__)
using Vec = __m512;
inline Vec load(const float* p) noexcept { return _mm512_loadu_ps(p); }
inline void store(float* p, Vec v) noexcept { _mm512_storeu_ps(p, v); }
inline Vec splat(float a) noexcept { return _mm512_set1_ps(a); }
inline Vec zero() noexcept { return _mm512_setzero_ps(); }
inline Vec fma(Vec a, Vec b, Vec c) noexcept { return _mm512_fmadd_ps(a, b, c); }
inline Vec add(Vec a, Vec b) noexcept { return _mm512_add_ps(a, b); }
inline float sum(Vec v) noexcept {
    // Through memory: GCC 12's 512-bit shuffles and _mm512_reduce_add_ps warn -Wmaybe-uninitialized.
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, v);
    __m256 h = _mm256_add_ps(_mm256_load_ps(lanes), _mm256_load_ps(lanes + 8));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
inline Vec load(const float* p) noexcept { return _mm256_loadu_ps(p); }
inline void store(float* p, Vec v) noexcept { _mm256_storeu_ps(p, v); }
inline Vec splat(float a) noexcept { return _mm256_set1_ps(a); }
inline Vec zero() noexcept { return _mm256_setzero_ps(); }
inline Vec fma(Vec a, Vec b, Vec c) noexcept { return _mm256_fmadd_ps(a, b, c); }
inline Vec add(Vec a, Vec b) noexcept { return _mm256_add_ps(a, b); }
inline float sum(Vec v) noexcept {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}
#endif

}  // namespace simd
#endif

/// x . y over n elements, where x or y may be a shared row that other threads update.
template <class S>
EMBEDKIT_HOGWILD_INLINE S hogwild_dot(const S* x, const S* y, int n) noexcept {
#if defined(EMBEDKIT_HOGWILD_SIMD)
    if constexpr (std::is_same_v<S, float>) {
        simd::Vec a = simd::zero();
        simd::Vec b = simd::zero();  // a second accumulator: two FMA chains in flight
        int i = 0;
        for (; i + 2 * kHogwildLanes <= n; i += 2 * kHogwildLanes) {
            a = simd::fma(simd::load(x + i), simd::load(y + i), a);
            b = simd::fma(simd::load(x + i + kHogwildLanes), simd::load(y + i + kHogwildLanes), b);
        }
        if (i + kHogwildLanes <= n) {
            a = simd::fma(simd::load(x + i), simd::load(y + i), a);
            i += kHogwildLanes;
        }
#if defined(__AVX512F__)
        if (i < n) {
            const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
            b = simd::fma(_mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i), b);
            i = n;
        }
#endif
        float r = simd::sum(simd::add(a, b));
        for (; i < n; ++i) r += x[i] * y[i];
        return r;
    } else
#endif
    {
        return ConstRowMap<S>(x, n).dot(ConstRowMap<S>(y, n));
    }
}

/// y += a * x over n elements, where y (and maybe x) is a shared row.
template <class S>
EMBEDKIT_HOGWILD_INLINE void hogwild_axpy(S a, const S* x, S* y, int n) noexcept {
#if defined(EMBEDKIT_HOGWILD_SIMD)
    if constexpr (std::is_same_v<S, float>) {
        const simd::Vec va = simd::splat(a);
        int i = 0;
        for (; i + kHogwildLanes <= n; i += kHogwildLanes) simd::store(y + i, simd::fma(va, simd::load(x + i), simd::load(y + i)));
#if defined(__AVX512F__)
        if (i < n) {
            const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
            _mm512_mask_storeu_ps(y + i, m, simd::fma(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
            i = n;
        }
#endif
        for (; i < n; ++i) y[i] += a * x[i];
    } else
#endif
    {
        RowMap<S>(y, n) += a * ConstRowMap<S>(x, n);
    }
}

/// One output row's step of a prediction: gradient += g * out (with out as it was), then
/// out += g * hidden, in one pass over the shared row `out`.
template <class S>
EMBEDKIT_HOGWILD_INLINE void hogwild_output_step(S g, const S* hidden, S* out, S* gradient, int n) noexcept {
#if defined(EMBEDKIT_HOGWILD_SIMD)
    if constexpr (std::is_same_v<S, float>) {
        const simd::Vec vg = simd::splat(g);
        int i = 0;
        for (; i + kHogwildLanes <= n; i += kHogwildLanes) {
            const simd::Vec o = simd::load(out + i);
            simd::store(gradient + i, simd::fma(vg, o, simd::load(gradient + i)));
            simd::store(out + i, simd::fma(vg, simd::load(hidden + i), o));
        }
#if defined(__AVX512F__)
        if (i < n) {
            const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
            const __m512 o = _mm512_maskz_loadu_ps(m, out + i);
            _mm512_mask_storeu_ps(gradient + i, m, simd::fma(vg, o, _mm512_maskz_loadu_ps(m, gradient + i)));
            _mm512_mask_storeu_ps(out + i, m, simd::fma(vg, _mm512_maskz_loadu_ps(m, hidden + i), o));
            i = n;
        }
#endif
        for (; i < n; ++i) {
            const float o = out[i];
            gradient[i] += g * o;
            out[i] = o + g * hidden[i];
        }
    } else
#endif
    {
        RowMap<S> o(out, n);
        RowMap<S>(gradient, n) += g * o;
        o += g * ConstRowMap<S>(hidden, n);
    }
}

/// y = x over n elements, reading a shared row into private memory.
template <class S>
EMBEDKIT_HOGWILD_INLINE void hogwild_copy(const S* x, S* y, int n) noexcept {
    RowMap<S>(y, n) = ConstRowMap<S>(x, n);
}

/// AdaGrad step as GloVe's reference implementation (glove.c) takes it, on a shared row w with
/// its shared accumulator row, from a private step u = lr * gradient: w -= u / sqrt(acc), then
/// acc += u^2, element-wise over n elements. (Accumulating the squared step rather than the
/// squared gradient amounts to AdaGrad with step size 1 and accumulators starting at 1 / lr^2.)
/// The inverse square root is Eigen's vectorised rsqrt (a hardware estimate refined by one Newton
/// step); the accumulator must be > 0.
template <class S>
EMBEDKIT_HOGWILD_INLINE void hogwild_adagrad_step(const S* u, S* w, S* acc, int n) noexcept {
    using Array = Eigen::Map<Eigen::Array<S, 1, Eigen::Dynamic>>;
    using ConstArray = Eigen::Map<const Eigen::Array<S, 1, Eigen::Dynamic>>;
    const ConstArray step(u, n);
    Array a(acc, n);
    Array(w, n) -= step * a.rsqrt();
    a += step.square();
}

/// AdaGrad on a shared row w with its shared accumulator row G, element-wise:
/// G += g^2; w -= lr * g / (sqrt(G) + eps). The same arithmetic as adagrad_row_update.
template <class S>
EMBEDKIT_HOGWILD_INLINE void hogwild_adagrad(const S* g, S* w, S* accumulator, S lr, S eps, int n) noexcept {
    const auto grad = ConstRowMap<S>(g, n).array();
    RowMap<S>(accumulator, n).array() += grad.square();
    RowMap<S>(w, n).array() -= lr * grad / (ConstRowMap<S>(accumulator, n).array().sqrt() + eps);
}

}  // namespace embedkit::detail
