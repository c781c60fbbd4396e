#pragma once

// The learning-rate schedule every trainer shares: linear decay driven by the work done so far
// (tokens, cells or pairs, summed over all workers), down to a floor.

#include <algorithm>
#include <cstdint>

namespace embedkit {

struct LinearSchedule {
    double initial = 0.025;
    /// The rate never falls below initial * min_ratio (1: a constant rate).
    double min_ratio = 1e-4;
    /// The work after which the rate reaches its floor. word2vec.c divides by the total + 1.
    double horizon = 1;

    /// The rate after `done` units of work.
    [[nodiscard]] double at(std::uint64_t done) const noexcept {
        const double f = std::min(1.0, static_cast<double>(done) / horizon);
        return initial * std::max(min_ratio, 1.0 - f);
    }
};

}  // namespace embedkit
