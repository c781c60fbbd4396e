#pragma once

// word2vec's dynamic window: for each centre word the window is drawn uniformly from 1..window,
// so near context words are seen more often than far ones. Every Word2Vec rule draws it here.

#include "embedkit/detail/rng.hpp"

#include <algorithm>
#include <cstdint>

namespace embedkit::updates {

/// Positions lo..hi (inclusive, the centre among them) of the centre at `pos` in a sentence of n.
struct ContextWindow {
    int lo;
    int hi;
};

[[nodiscard]] inline ContextWindow draw_context_window(detail::Rng& rng, int pos, int n, int window) {
    const int reduced = static_cast<int>(rng.below(static_cast<std::uint64_t>(window)));
    return {std::max(0, pos - window + reduced), std::min(n - 1, pos + window - reduced)};
}

}  // namespace embedkit::updates
