#pragma once

// A uniformly random permutation of an array, computed by several threads, that depends only on
// the seed (never on the thread count): every element draws a bucket at random (from the random
// stream of its fixed chunk of the input), the elements are scattered into their buckets, and each
// bucket (~32K elements, cache-sized) is shuffled by Fisher-Yates from its own stream. A random
// assignment to buckets followed by a uniform shuffle inside each bucket gives every permutation
// the same probability. Much faster than one Fisher-Yates over a large array, whose random swaps
// each miss the cache.

#include "embedkit/detail/parallel.hpp"
#include "embedkit/detail/rng.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace embedkit::detail {

/// Writes a random permutation of src[0, n) to dst[0, n) (the arrays must not overlap), drawn
/// from `seed`: the same permutation for every `threads`.
template <class T>
void parallel_shuffle(const T* src, T* dst, std::size_t n, std::uint64_t seed, unsigned threads) {
    constexpr std::size_t kChunks = 64;
    constexpr std::size_t kBucketTarget = std::size_t{1} << 15;
    const std::size_t buckets = std::max<std::size_t>(1, n / kBucketTarget);
    const std::size_t chunks = std::min(kChunks, std::max<std::size_t>(1, n));
    auto chunk_begin = [&](std::size_t c) { return n * c / chunks; };
    auto chunk_rng = [&](std::size_t c) { return Rng(stream_seed(seed, c)); };

    // counts[c * buckets + b]: elements of chunk c that drew bucket b; then their first slot in dst.
    std::vector<std::size_t> counts(chunks * buckets, 0);
    parallel_for(chunks, threads, [&](std::size_t begin, std::size_t end, unsigned) {
        for (std::size_t c = begin; c < end; ++c) {
            Rng rng = chunk_rng(c);
            std::size_t* row = counts.data() + c * buckets;
            for (std::size_t i = chunk_begin(c); i < chunk_begin(c + 1); ++i) ++row[rng.below(buckets)];
        }
    });
    std::vector<std::size_t> bucket_start(buckets + 1, 0);
    std::size_t offset = 0;
    for (std::size_t b = 0; b < buckets; ++b) {
        bucket_start[b] = offset;
        for (std::size_t c = 0; c < chunks; ++c) offset += std::exchange(counts[c * buckets + b], offset);
    }
    bucket_start[buckets] = offset;
    parallel_for(chunks, threads, [&](std::size_t begin, std::size_t end, unsigned) {
        for (std::size_t c = begin; c < end; ++c) {
            Rng rng = chunk_rng(c);
            std::size_t* next = counts.data() + c * buckets;
            for (std::size_t i = chunk_begin(c); i < chunk_begin(c + 1); ++i) dst[next[rng.below(buckets)]++] = src[i];
        }
    });
    parallel_for(buckets, threads, [&](std::size_t begin, std::size_t end, unsigned) {
        for (std::size_t b = begin; b < end; ++b) {
            Rng rng(stream_seed(seed, chunks + b));
            T* first = dst + bucket_start[b];
            for (std::size_t k = bucket_start[b + 1] - bucket_start[b]; k > 1; --k) {
                std::swap(first[k - 1], first[rng.below(k)]);
            }
        }
    });
}

}  // namespace embedkit::detail
