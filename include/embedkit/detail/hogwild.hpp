#pragma once

// The lock-free (Hogwild, Recht et al. 2011) parameter access of the trainers. Several threads
// read and update the same embedding rows without synchronisation; this is a data race by the C++
// memory model, and it is intended: the updates are sparse, collisions are rare, and a lost
// update costs nothing measurable in quality, while locks would serialise the training.
// Every racing access of the trainers goes through the functions in this file, and nothing else
// does, so ThreadSanitizer can be told to ignore exactly these (see .ci/tsan.supp).

#include <Eigen/Core>

#include <cstddef>

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

/// x . y over n elements, where x or y may be a shared row that other threads update.
template <class S>
EMBEDKIT_HOGWILD_INLINE S hogwild_dot(const S* x, const S* y, int n) noexcept {
    return ConstRowMap<S>(x, n).dot(ConstRowMap<S>(y, n));
}

/// y += a * x over n elements, where y (and maybe x) is a shared row.
template <class S>
EMBEDKIT_HOGWILD_INLINE void hogwild_axpy(S a, const S* x, S* y, int n) noexcept {
    RowMap<S>(y, n) += a * ConstRowMap<S>(x, n);
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
