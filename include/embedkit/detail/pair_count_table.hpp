#pragma once

// The per-thread accumulator of the co-occurrence counter: an open-addressing hash table from a
// word pair to its summed weight, whose memory never exceeds a budget. Weights are fixed-point
// integers (units of 2^-28), so a sum is exact and does not depend on the order or the grouping
// of its terms: the counts come out the same whatever the thread count and wherever the counter
// had to spill to disk.

#include "embedkit/errors.hpp"
#include "embedkit/detail/rng.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>

namespace embedkit::detail {

/// Fraction bits of the fixed-point co-occurrence weights: weight w is stored as round(w * 2^28).
/// A pair's total can reach 2^36 (6.9e10) before the counter reports an overflow.
inline constexpr int kPairWeightFractionBits = 28;
inline constexpr double kPairWeightUnit = 1.0 / static_cast<double>(std::uint64_t{1} << kPairWeightFractionBits);

/// The fixed-point weight of `w` (w > 0).
[[nodiscard]] inline std::uint64_t to_pair_weight(double w) noexcept {
    return static_cast<std::uint64_t>(w / kPairWeightUnit + 0.5);
}

/// A fixed-point weight as a float, the same for a given integer on every run.
[[nodiscard]] inline float pair_weight_value(std::uint64_t weight) noexcept {
    return static_cast<float>(static_cast<double>(weight) * kPairWeightUnit);
}

/// One accumulated pair: key = row << 32 | col, so keys sort as (row, col).
struct PairCount {
    std::uint64_t key;
    std::uint64_t weight;
};

[[nodiscard]] constexpr std::uint64_t pair_key(std::uint32_t row, std::uint32_t col) noexcept {
    return (std::uint64_t{row} << 32) | col;
}
[[nodiscard]] constexpr std::uint32_t pair_row(std::uint64_t key) noexcept { return static_cast<std::uint32_t>(key >> 32); }
[[nodiscard]] constexpr std::uint32_t pair_col(std::uint64_t key) noexcept { return static_cast<std::uint32_t>(key); }

/// a + b for weights; numeric_error instead of wrapping around.
[[nodiscard]] inline std::uint64_t add_pair_weights(std::uint64_t a, std::uint64_t b) {
    if (a > std::numeric_limits<std::uint64_t>::max() - b) {
        throw numeric_error("co-occurrence weight overflow: a pair's total exceeds 2^36");
    }
    return a + b;
}

/// Pair key -> summed weight, linear probing, at most `budget_bytes` of slots (16 bytes each).
/// The table starts small and doubles while both the old and the new slot arrays fit in the
/// budget together; past that `add` returns false and the owner spills the contents (`sorted()`
/// then `clear()`, after which the table takes the whole budget at once).
class PairCountTable {
public:
    static constexpr std::size_t kMinSlots = 64;

    explicit PairCountTable(std::size_t budget_bytes)
        : max_slots_(std::max(kMinSlots, budget_bytes / sizeof(PairCount))) {
        allocate(std::min(max_slots_, kInitialSlots));
    }

    /// Adds `weight` to `key`'s total (key must not be kEmptyKey). Returns false, and adds
    /// nothing, when the table is full and cannot grow within its budget.
    bool add(std::uint64_t key, std::uint64_t weight) {
        std::size_t i = slot_of(key);
        for (;;) {
            PairCount& s = slots_[i];
            if (s.key == key) {
                s.weight = add_pair_weights(s.weight, weight);
                return true;
            }
            if (s.key == kEmptyKey) {
                if (size_ >= limit_) {
                    if (!grow()) return false;
                    return add(key, weight);
                }
                s.key = key;
                s.weight = weight;
                ++size_;
                return true;
            }
            if (++i == capacity_) i = 0;
        }
    }

    /// Distinct keys held.
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    /// Bytes of slots allocated now.
    [[nodiscard]] std::size_t bytes() const noexcept { return capacity_ * sizeof(PairCount); }

    /// Moves the entries to the front of the slot array and sorts them by key; returns them
    /// (size() entries). The table is unusable for `add` until `clear()`.
    [[nodiscard]] const PairCount* sorted() {
        std::size_t out = 0;
        for (std::size_t i = 0; i < capacity_; ++i) {
            if (slots_[i].key != kEmptyKey) slots_[out++] = slots_[i];
        }
        std::sort(slots_.get(), slots_.get() + out,
                  [](const PairCount& a, const PairCount& b) { return a.key < b.key; });
        return slots_.get();
    }

    /// Empties the table and gives it the whole budget.
    void clear() {
        if (capacity_ < max_slots_) {
            slots_.reset();
            capacity_ = 0;
            allocate(max_slots_);
        } else {
            std::fill(slots_.get(), slots_.get() + capacity_, PairCount{kEmptyKey, 0});
            size_ = 0;
        }
    }

    /// Frees the slots; the table is unusable afterwards.
    void release() noexcept {
        slots_.reset();
        capacity_ = size_ = limit_ = 0;
    }

private:
    static constexpr std::uint64_t kEmptyKey = ~std::uint64_t{0};  // row 2^32-1 is never a word id
    static constexpr std::size_t kInitialSlots = std::size_t{1} << 16;

    [[nodiscard]] std::size_t slot_of(std::uint64_t key) const noexcept {
        __extension__ typedef unsigned __int128 u128;  // multiply-shift range reduction (Lemire)
        return static_cast<std::size_t>((static_cast<u128>(mix64(key)) * capacity_) >> 64);
    }

    void allocate(std::size_t capacity) {
        slots_.reset(new PairCount[capacity]);
        std::fill(slots_.get(), slots_.get() + capacity, PairCount{kEmptyKey, 0});
        capacity_ = capacity;
        limit_ = std::max<std::size_t>(1, capacity / 10 * 7);
        size_ = 0;
    }

    // Doubles the capacity if the old and the new arrays fit in the budget together.
    bool grow() {
        if (capacity_ >= max_slots_ / 2) return false;
        const std::size_t bigger = std::min(2 * capacity_, max_slots_ - capacity_);
        std::unique_ptr<PairCount[]> old = std::move(slots_);
        const std::size_t old_capacity = capacity_;
        allocate(bigger);
        for (std::size_t i = 0; i < old_capacity; ++i) {
            if (old[i].key == kEmptyKey) continue;
            std::size_t j = slot_of(old[i].key);
            while (slots_[j].key != kEmptyKey) {
                if (++j == capacity_) j = 0;
            }
            slots_[j] = old[i];
            ++size_;
        }
        return true;
    }

    std::unique_ptr<PairCount[]> slots_;
    std::size_t max_slots_;
    std::size_t capacity_ = 0;
    std::size_t size_ = 0;
    std::size_t limit_ = 0;
};

}  // namespace embedkit::detail
