#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace embedkit::detail {

/// Loads 8 bytes (unaligned) as a native-endian integer.
[[nodiscard]] inline std::uint64_t load_u64(const char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
[[nodiscard]] inline std::uint64_t load_u32(const char* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

/// A fast 64-bit hash of a byte string: 8 bytes per multiply-rotate step, short tails read with
/// (possibly overlapping) fixed-size loads so nothing calls memcpy, one multiply to finish.
/// Not cryptographic and not the same across endianness; only used for in-memory tables.
[[nodiscard]] inline std::uint64_t hash_bytes(std::string_view s) noexcept {
    constexpr std::uint64_t m1 = 0xa0761d6478bd642fULL;
    constexpr std::uint64_t m2 = 0xe7037ed1a0b428dbULL;
    const char* p = s.data();
    std::size_t n = s.size();
    std::uint64_t h = 0x8ebc6af09c88c6e3ULL ^ (static_cast<std::uint64_t>(n) * m2);
    while (n > 8) {
        h ^= load_u64(p) * m1;
        h = ((h << 31) | (h >> 33)) * m2;
        p += 8;
        n -= 8;
    }
    // 0..8 bytes remain.
    std::uint64_t k;
    if (n >= 4) {
        k = load_u32(p) | (load_u32(p + n - 4) << 32);
    } else if (n > 0) {
        const auto* u = reinterpret_cast<const unsigned char*>(p);
        k = static_cast<std::uint64_t>(u[0]) | (static_cast<std::uint64_t>(u[n / 2]) << 8) |
            (static_cast<std::uint64_t>(u[n - 1]) << 16);
    } else {
        k = 0;
    }
    h ^= k * m1;
    h = ((h << 31) | (h >> 33)) * m2;
    h ^= h >> 29;
    h *= m1;
    return h ^ (h >> 32);
}

/// a[0, n) == b[0, n) with inlined fixed-size loads (n is usually small).
[[nodiscard]] inline bool bytes_equal(const char* a, const char* b, std::size_t n) noexcept {
    if (n >= 8) {
        for (std::size_t i = 0; i + 8 < n; i += 8) {
            if (load_u64(a + i) != load_u64(b + i)) return false;
        }
        return load_u64(a + n - 8) == load_u64(b + n - 8);
    }
    if (n >= 4) return load_u32(a) == load_u32(b) && load_u32(a + n - 4) == load_u32(b + n - 4);
    for (std::size_t i = 0; i < n; ++i) {
        if (a[i] != b[i]) return false;
    }
    return true;
}

/// An insertion-ordered hash map from byte strings to `Value`, built for counting and looking up
/// words without a heap allocation per key: keys live in one arena, lookups take a string_view,
/// collisions are resolved by linear probing over a slot array kept at most half full.
/// Entry `i` (0-based, insertion order) is reachable with `key(i)` / `value(i)`.
/// Memory: about 16 bytes of slots + 16 bytes + sizeof(Value) per entry, plus the key bytes.
template <class Value>
class StringMap {
public:
    StringMap() = default;

    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }

    [[nodiscard]] std::string_view key(std::size_t i) const noexcept {
        return {arena_.data() + entries_[i].offset, entries_[i].length};
    }
    [[nodiscard]] const Value& value(std::size_t i) const noexcept { return entries_[i].value; }
    [[nodiscard]] Value& value(std::size_t i) noexcept { return entries_[i].value; }

    /// Pointer to the value of `key`, or nullptr. Valid until the next insertion.
    [[nodiscard]] const Value* find(std::string_view key) const noexcept {
        if (slots_.empty()) return nullptr;
        const std::uint32_t h = static_cast<std::uint32_t>(hash_bytes(key));
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            const std::uint64_t slot = slots_[i];
            if (slot == 0) return nullptr;
            if (static_cast<std::uint32_t>(slot >> 32) == h) {
                const Entry& e = entries_[static_cast<std::uint32_t>(slot) - 1];
                if (equals(e, key)) return &e.value;
            }
        }
    }
    [[nodiscard]] Value* find(std::string_view key) noexcept {
        return const_cast<Value*>(static_cast<const StringMap&>(*this).find(key));
    }

    /// The value of `key`, inserting `init` first if absent; `.second` is true if it was inserted.
    /// The pointer is valid until the next insertion. `key` must not point into this map.
    std::pair<Value*, bool> try_emplace(std::string_view key, Value init = Value{}) {
        if ((entries_.size() + 1) * 2 > slots_.size()) grow();
        const std::uint32_t h = static_cast<std::uint32_t>(hash_bytes(key));
        std::size_t i = h & mask_;
        for (;; i = (i + 1) & mask_) {
            const std::uint64_t slot = slots_[i];
            if (slot == 0) break;
            if (static_cast<std::uint32_t>(slot >> 32) == h) {
                Entry& e = entries_[static_cast<std::uint32_t>(slot) - 1];
                if (equals(e, key)) return {&e.value, false};
            }
        }
        if (entries_.size() >= kMaxEntries) throw std::length_error("embedkit::detail::StringMap: too many keys");
        if (key.size() > std::numeric_limits<std::uint32_t>::max()) {
            throw std::length_error("embedkit::detail::StringMap: key too long");
        }
        const std::uint64_t offset = arena_.size();
        arena_.append(key.data(), key.size());
        entries_.push_back(Entry{offset, static_cast<std::uint32_t>(key.size()), h, std::move(init)});
        slots_[i] = (static_cast<std::uint64_t>(h) << 32) | static_cast<std::uint64_t>(entries_.size());
        return {&entries_.back().value, true};
    }

    /// Room for `n` keys without rehashing.
    void reserve(std::size_t n) {
        entries_.reserve(n);
        const std::size_t want = slots_for(n);
        if (want > slots_.size()) rehash(want);
    }

    void clear() noexcept {
        entries_.clear();
        arena_.clear();
        slots_.clear();
        mask_ = 0;
    }

    /// Removes every entry for which `pred(key, value)` is true; survivors keep their relative
    /// order and memory is returned. Compacts in place (survivors and their key bytes move towards
    /// the front, which never overwrites a key not yet visited), so it never holds a second copy
    /// of the table: only the shrunk buffers are allocated while the old ones exist.
    template <class Pred>
    void erase_if(Pred&& pred) {
        std::size_t kept = 0;
        std::size_t arena_used = 0;
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            Entry& e = entries_[i];
            if (pred(std::string_view(arena_.data() + e.offset, e.length), e.value)) continue;
            std::memmove(arena_.data() + arena_used, arena_.data() + e.offset, e.length);
            e.offset = arena_used;
            arena_used += e.length;
            if (kept != i) entries_[kept] = std::move(e);
            ++kept;
        }
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(kept), entries_.end());
        entries_.shrink_to_fit();
        arena_.resize(arena_used);
        arena_.shrink_to_fit();
        rehash(slots_for(kept));
    }

    /// Bytes held by the table (slots, entries and key arena), for tests and diagnostics.
    [[nodiscard]] std::size_t memory_bytes() const noexcept {
        return slots_.capacity() * sizeof(std::uint64_t) + entries_.capacity() * sizeof(Entry) + arena_.capacity();
    }

    /// An upper bound of memory_bytes() for a map that never held more than `entries` keys of
    /// `key_bytes` bytes in total at once: every buffer at most doubles past what it holds, and
    /// the slots stay at most half full (so fewer than 4 slots per entry).
    [[nodiscard]] static constexpr std::size_t memory_bound(std::size_t entries, std::size_t key_bytes) noexcept {
        return 4 * (entries + 4) * sizeof(std::uint64_t) + 2 * (entries + 1) * sizeof(Entry) + 2 * key_bytes + 64;
    }

private:
    struct Entry {
        std::uint64_t offset;
        std::uint32_t length;
        std::uint32_t hash;
        Value value;
    };
    // Slots hold (hash << 32) | (entry index + 1); 0 is empty. The table then has at most 2^32 slots,
    // all addressable by the 32-bit hash.
    static constexpr std::size_t kMaxEntries = std::numeric_limits<std::int32_t>::max();

    [[nodiscard]] bool equals(const Entry& e, std::string_view key) const noexcept {
        return e.length == key.size() && bytes_equal(arena_.data() + e.offset, key.data(), key.size());
    }

    void grow() { rehash(slots_.empty() ? 16 : slots_.size() * 2); }

    // Slots for n entries: a power of two, at least 16 and at least 2n.
    [[nodiscard]] static std::size_t slots_for(std::size_t n) noexcept {
        std::size_t slots = 16;
        while (slots < 2 * n) slots *= 2;
        return slots;
    }

    void rehash(std::size_t slot_count) {
        std::vector<std::uint64_t> slots(slot_count, 0);
        const std::size_t mask = slot_count - 1;
        for (std::size_t j = 0; j < entries_.size(); ++j) {
            const std::uint32_t h = entries_[j].hash;
            std::size_t i = h & mask;
            while (slots[i] != 0) i = (i + 1) & mask;
            slots[i] = (static_cast<std::uint64_t>(h) << 32) | static_cast<std::uint64_t>(j + 1);
        }
        slots_ = std::move(slots);
        mask_ = mask;
    }

    std::vector<std::uint64_t> slots_;
    std::vector<Entry> entries_;
    std::string arena_;
    std::size_t mask_ = 0;
};

}  // namespace embedkit::detail
