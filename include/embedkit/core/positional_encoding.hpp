#pragma once

#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <cmath>
#include <string>
#include <type_traits>

namespace embedkit {

/// Sinusoidal positional encodings (Vaswani et al. 2017, "Attention is all you need"):
/// a positions x dim matrix whose row p, for column pairs i = 0, 1, ..., holds
///   PE(p, 2i)     = sin(p / base^(2i / dim))
///   PE(p, 2i + 1) = cos(p / base^(2i / dim))
/// with base = 10000 by default. For an odd dim the last column is the sine of the last pair
/// (its cosine partner is dropped); dim in the exponent is the requested dim either way.
/// Computed in double, then cast to Scalar.
/// Throws invalid_argument if positions < 0, dim <= 0, or base is not finite and > 0.
template <class Scalar = float>
[[nodiscard]] RowMatrix<Scalar> sinusoidal_positional_encoding(Eigen::Index positions, Eigen::Index dim,
                                                               double base = 10000.0) {
    static_assert(std::is_floating_point_v<Scalar>, "positional encodings need a floating-point scalar");
    if (positions < 0) {
        throw invalid_argument("sinusoidal_positional_encoding: positions must be >= 0, got " +
                               std::to_string(positions));
    }
    if (dim <= 0) throw invalid_argument("sinusoidal_positional_encoding: dim must be > 0, got " + std::to_string(dim));
    if (!(base > 0.0) || !std::isfinite(base)) {
        throw invalid_argument("sinusoidal_positional_encoding: base must be finite and > 0, got " +
                               std::to_string(base));
    }
    RowMatrix<Scalar> pe(positions, dim);
    const double log_base = std::log(base);
    for (Eigen::Index j = 0; j < dim; j += 2) {
        // base^(-2i/dim) with 2i = j, computed once per column pair.
        const double inv_freq = std::exp(-log_base * static_cast<double>(j) / static_cast<double>(dim));
        for (Eigen::Index p = 0; p < positions; ++p) {
            const double angle = static_cast<double>(p) * inv_freq;
            pe(p, j) = static_cast<Scalar>(std::sin(angle));
            if (j + 1 < dim) pe(p, j + 1) = static_cast<Scalar>(std::cos(angle));
        }
    }
    return pe;
}

}  // namespace embedkit
