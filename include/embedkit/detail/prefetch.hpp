#pragma once

// Software prefetch of embedding rows. The trainers know which rows they will touch next (the
// negatives they have drawn, the n-gram rows of the next centre word) long before they read them;
// rows of a large table are cache misses, and asking for all of them at once lets the memory
// system fetch them in parallel instead of one miss after another.

#include <cstddef>

namespace embedkit::detail {

/// Hints that the `count` elements at `row` will be read and written soon. A no-op where the
/// compiler has no prefetch builtin.
template <class S>
inline void prefetch_row(const S* row, int count) noexcept {
#if defined(__GNUC__) || defined(__clang__)
    constexpr std::size_t kLine = 64;
    const auto* bytes = reinterpret_cast<const char*>(row);
    const std::size_t size = static_cast<std::size_t>(count) * sizeof(S);
    for (std::size_t offset = 0; offset < size; offset += kLine) __builtin_prefetch(bytes + offset, 1, 2);
#else
    (void)row;
    (void)count;
#endif
}

}  // namespace embedkit::detail
