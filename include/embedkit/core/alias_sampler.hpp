#pragma once

#include "embedkit/detail/rng.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace embedkit {

/// Draws index i with probability weights[i] / sum(weights) in O(1), by Vose's alias method
/// (M. D. Vose, "A linear algorithm for generating random numbers with a given distribution",
/// IEEE TSE 1991).
///
/// Each draw uses one 64-bit random number: the high 32 bits pick a column c (multiply-shift,
/// uniform up to a relative bias below size() / 2^32, i.e. 2.3e-4 for a million items) and the
/// low 32 bits are the coin, compared with c's threshold: below it the draw is c, otherwise
/// c's alias. A column's threshold and alias sit together in one 8-byte entry, so a draw
/// touches one cache line of the table. Thresholds are quantised to 2^-32. An item of weight
/// zero is never drawn.
///
/// Immutable after construction: one sampler may be shared by any number of threads, each with
/// its own detail::Rng.
class AliasSampler {
public:
    /// One column of the table.
    struct Column {
        std::uint32_t threshold;  ///< keep the column when the coin (low 32 bits) is below this
        std::int32_t alias;       ///< otherwise draw this index
    };

    /// Throws invalid_argument if `weights` is empty, longer than a TokenId can index, holds a
    /// negative, NaN or infinite weight (the message names the index), or is all zero.
    explicit AliasSampler(const std::vector<double>& weights) { build(weights); }

    [[nodiscard]] std::size_t size() const noexcept { return table_.size(); }

    /// The probability of drawing `i` (its weight over the sum of weights).
    /// Throws invalid_argument when i is outside [0, size()).
    [[nodiscard]] double probability(TokenId i) const {
        if (i < 0 || static_cast<std::size_t>(i) >= probabilities_.size()) {
            throw invalid_argument("AliasSampler::probability: index " + std::to_string(i) + " is out of range [0, " +
                                   std::to_string(probabilities_.size()) + ")");
        }
        return probabilities_[static_cast<std::size_t>(i)];
    }

    /// All probabilities, indexed like the weights.
    [[nodiscard]] const std::vector<double>& probabilities() const noexcept { return probabilities_; }

    /// The packed table (for inspection and tests).
    [[nodiscard]] const std::vector<Column>& table() const noexcept { return table_; }

    /// One draw, consuming exactly one rng.next().
    [[nodiscard]] TokenId sample(detail::Rng& rng) const noexcept { return sample_from_bits(rng.next()); }

    /// The draw that the 64 random bits `bits` select (what sample() does with rng.next()).
    [[nodiscard]] TokenId sample_from_bits(std::uint64_t bits) const noexcept {
        const std::uint64_t column = ((bits >> 32) * size_) >> 32;
        const Column c = table_[column];
        return static_cast<std::uint32_t>(bits) < c.threshold ? static_cast<TokenId>(column) : c.alias;
    }

private:
    void build(const std::vector<double>& weights) {
        const std::size_t n = weights.size();
        if (n == 0) throw invalid_argument("AliasSampler: weights are empty");
        if (n > static_cast<std::size_t>(std::numeric_limits<TokenId>::max())) {
            throw invalid_argument("AliasSampler: " + std::to_string(n) + " weights are more than a TokenId can index");
        }
        double max_weight = 0.0;
        std::size_t max_index = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double w = weights[i];
            if (!(w >= 0.0) || !std::isfinite(w)) {
                throw invalid_argument("AliasSampler: weights[" + std::to_string(i) + "] = " + std::to_string(w) +
                                       " is not a finite non-negative number");
            }
            if (w > max_weight) {
                max_weight = w;
                max_index = i;
            }
        }
        if (max_weight == 0.0) throw invalid_argument("AliasSampler: all weights are zero");

        // Scale by the largest weight first so that the sum cannot overflow.
        double sum = 0.0;
        for (const double w : weights) sum += w / max_weight;
        probabilities_.resize(n);
        for (std::size_t i = 0; i < n; ++i) probabilities_[i] = (weights[i] / max_weight) / sum;

        // Vose: each column holds mass 1 after scaling by n; "small" columns are topped up from
        // "large" ones, which then shrink by what they gave.
        std::vector<double> scaled(n);
        std::vector<std::int32_t> small;
        std::vector<std::int32_t> large;
        small.reserve(n);
        large.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            scaled[i] = probabilities_[i] * static_cast<double>(n);
            (scaled[i] < 1.0 ? small : large).push_back(static_cast<std::int32_t>(i));
        }
        table_.assign(n, Column{0, 0});
        while (!small.empty() && !large.empty()) {
            const std::int32_t s = small.back();
            small.pop_back();
            const std::int32_t l = large.back();
            table_[static_cast<std::size_t>(s)] = Column{to_threshold(scaled[static_cast<std::size_t>(s)]), l};
            double& rest = scaled[static_cast<std::size_t>(l)];
            rest = (rest + scaled[static_cast<std::size_t>(s)]) - 1.0;
            if (rest < 1.0) {
                large.pop_back();
                small.push_back(l);
            }
        }
        // What is left holds mass 1 up to rounding: keep the column always (alias = itself).
        // An item of zero weight can only be left over through rounding; never let it be drawn.
        constexpr std::uint32_t always = std::numeric_limits<std::uint32_t>::max();
        for (const std::int32_t l : large) table_[static_cast<std::size_t>(l)] = Column{always, l};
        for (const std::int32_t s : small) {
            if (weights[static_cast<std::size_t>(s)] > 0.0) {
                table_[static_cast<std::size_t>(s)] = Column{always, s};
            } else {
                table_[static_cast<std::size_t>(s)] = Column{0, static_cast<std::int32_t>(max_index)};
            }
        }
        size_ = n;
    }

    /// p in [0, 1) -> round(p * 2^32), clamped to the uint32 range.
    static std::uint32_t to_threshold(double p) noexcept {
        const double t = std::nearbyint(p * 4294967296.0);
        if (!(t > 0.0)) return 0;
        if (t >= 4294967295.0) return std::numeric_limits<std::uint32_t>::max();
        return static_cast<std::uint32_t>(t);
    }

    std::vector<Column> table_;
    std::vector<double> probabilities_;
    std::uint64_t size_ = 0;
};

/// The negative-sampling distribution of word2vec (Mikolov et al. 2013): P(i) proportional to
/// counts[i]^power, power 0.75 by default. A zero count gives weight zero (never drawn), for
/// every power. Throws invalid_argument if power is negative or not finite, a count is negative
/// (naming the index), or as AliasSampler does (empty, all zero).
[[nodiscard]] inline AliasSampler make_unigram_sampler(const std::vector<std::int64_t>& counts, double power = 0.75) {
    if (!(power >= 0.0) || !std::isfinite(power)) {
        throw invalid_argument("make_unigram_sampler: power must be finite and >= 0, got " + std::to_string(power));
    }
    std::vector<double> weights(counts.size());
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (counts[i] < 0) {
            throw invalid_argument("make_unigram_sampler: counts[" + std::to_string(i) + "] = " +
                                   std::to_string(counts[i]) + " is negative");
        }
        weights[i] = counts[i] > 0 ? std::pow(static_cast<double>(counts[i]), power) : 0.0;
    }
    return AliasSampler(weights);
}

}  // namespace embedkit
