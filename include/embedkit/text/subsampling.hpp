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

/// word2vec's probability of keeping one occurrence of a word seen `count` times among `total`
/// tokens, with threshold `sample` (typically 1e-3 .. 1e-5):
///     p = (sqrt(count / (sample * total)) + 1) * (sample * total) / count, clamped to [0, 1].
/// Returns 1 when sample <= 0 (no subsampling) or count == 0. invalid_argument if `sample` is
/// NaN or infinite or a count is negative.
[[nodiscard]] inline double keep_probability(std::int64_t count, std::int64_t total, double sample) {
    if (!std::isfinite(sample)) throw invalid_argument("keep_probability: sample must be finite");
    if (count < 0 || total < 0) {
        throw invalid_argument("keep_probability: negative count " + std::to_string(count) + " or total " +
                               std::to_string(total));
    }
    if (sample <= 0 || count == 0 || total == 0) return 1.0;
    const double threshold = sample * static_cast<double>(total);
    const double c = static_cast<double>(count);
    const double p = (std::sqrt(c / threshold) + 1.0) * threshold / c;
    return p < 0.0 ? 0.0 : (p > 1.0 ? 1.0 : p);
}

/// Frequent-word subsampling for a vocabulary: precomputes each id's keep probability as a 32-bit
/// threshold so that `keep` costs one random draw and one comparison.
///
///     Subsampler sub(vocab.counts(), 1e-4);
///     if (sub.keep(id, rng)) { ... }
class Subsampler {
public:
    Subsampler() = default;

    /// `counts[id]` for every id; the total is their sum. See keep_probability for `sample`.
    Subsampler(const std::vector<std::int64_t>& counts, double sample) : sample_(sample) {
        if (!std::isfinite(sample)) throw invalid_argument("Subsampler: sample must be finite");
        std::int64_t total = 0;
        for (const std::int64_t c : counts) {
            if (c < 0) throw invalid_argument("Subsampler: negative count " + std::to_string(c));
            if (c > std::numeric_limits<std::int64_t>::max() - total) {
                throw invalid_argument("Subsampler: total count overflows int64");
            }
            total += c;
        }
        total_ = total;
        probabilities_.reserve(counts.size());
        thresholds_.reserve(counts.size());
        for (const std::int64_t c : counts) {
            const double p = keep_probability(c, total, sample);
            probabilities_.push_back(p);
            // keep iff r <= threshold for r uniform on [0, 2^32): P = (threshold + 1) / 2^32.
            const double scaled = std::ceil(p * 4294967296.0) - 1.0;
            thresholds_.push_back(scaled <= 0.0 ? 0u
                                  : scaled >= 4294967295.0 ? 0xFFFFFFFFu
                                                           : static_cast<std::uint32_t>(scaled));
        }
    }

    /// Draws 32 bits from `rng` and says whether to keep this occurrence of `id`.
    /// invalid_argument if id is not in [0, size()).
    [[nodiscard]] bool keep(TokenId id, detail::Rng& rng) const {
        const std::size_t i = checked(id);
        return static_cast<std::uint32_t>(rng.next() >> 32) <= thresholds_[i];
    }

    /// The exact keep probability of `id` (keep() realises it to within 2^-32).
    [[nodiscard]] double probability(TokenId id) const { return probabilities_[checked(id)]; }

    [[nodiscard]] std::size_t size() const noexcept { return thresholds_.size(); }
    [[nodiscard]] double sample() const noexcept { return sample_; }
    [[nodiscard]] std::int64_t total() const noexcept { return total_; }

private:
    [[nodiscard]] std::size_t checked(TokenId id) const {
        if (id < 0 || static_cast<std::size_t>(id) >= thresholds_.size()) {
            throw invalid_argument("Subsampler: id " + std::to_string(id) + " is out of range [0, " +
                                   std::to_string(thresholds_.size()) + ")");
        }
        return static_cast<std::size_t>(id);
    }

    std::vector<std::uint32_t> thresholds_;
    std::vector<double> probabilities_;
    double sample_ = 0.0;
    std::int64_t total_ = 0;
};

}  // namespace embedkit
