// parallel_shuffle: a permutation, independent of the thread count, uniform enough.

#include <embedkit/detail/parallel_shuffle.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

using namespace embedkit;

TEST_CASE("parallel_shuffle permutes, depends on the seed only", "[shuffle]") {
    for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{1000}, std::size_t{200000}}) {
        std::vector<std::uint32_t> src(n);
        std::iota(src.begin(), src.end(), 0u);
        std::vector<std::uint32_t> a(n), b(n), c(n);
        detail::parallel_shuffle(src.data(), a.data(), n, 9, 1);
        detail::parallel_shuffle(src.data(), b.data(), n, 9, 3);
        detail::parallel_shuffle(src.data(), c.data(), n, 10, 2);
        INFO("n = " << n);
        CHECK(a == b);
        if (n > 100) CHECK(a != c);
        std::vector<std::uint32_t> sorted = a;
        std::sort(sorted.begin(), sorted.end());
        CHECK(sorted == src);
    }
}

TEST_CASE("parallel_shuffle moves every element about uniformly", "[shuffle]") {
    // Over many shuffles of 100k elements (4 buckets), where element 0 lands is spread evenly
    // over the four quarters, and so is the last element.
    const std::size_t n = 100000;
    std::vector<std::uint32_t> src(n), dst(n);
    std::iota(src.begin(), src.end(), 0u);
    int first_quarters[4] = {0, 0, 0, 0};
    int last_quarters[4] = {0, 0, 0, 0};
    for (std::uint64_t seed = 0; seed < 400; ++seed) {
        detail::parallel_shuffle(src.data(), dst.data(), n, seed, 2);
        const auto first = std::find(dst.begin(), dst.end(), 0u) - dst.begin();
        const auto last = std::find(dst.begin(), dst.end(), static_cast<std::uint32_t>(n - 1)) - dst.begin();
        ++first_quarters[static_cast<std::size_t>(first) * 4 / n];
        ++last_quarters[static_cast<std::size_t>(last) * 4 / n];
    }
    for (int q = 0; q < 4; ++q) {
        CHECK(first_quarters[q] > 60);
        CHECK(first_quarters[q] < 140);
        CHECK(last_quarters[q] > 60);
        CHECK(last_quarters[q] < 140);
    }
}
