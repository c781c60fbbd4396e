#include <embedkit/detail/rng.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

using embedkit::detail::Rng;
using embedkit::detail::stream_seed;

TEST_CASE("Rng: same seed, same sequence, different seeds differ", "[detail][rng]") {
    Rng a(123);
    Rng b(123);
    Rng c(124);
    int equal_to_c = 0;
    for (int k = 0; k < 1000; ++k) {
        const std::uint64_t x = a.next();
        CHECK(x == b.next());
        if (x == c.next()) ++equal_to_c;
    }
    CHECK(equal_to_c == 0);

    // reseed() restarts the sequence; operator() is next().
    Rng d(5);
    const std::uint64_t first = d.next();
    d.next();
    d.reseed(5);
    CHECK(d() == first);
}

TEST_CASE("Rng: state round trip continues the sequence", "[detail][rng]") {
    Rng a(77);
    for (int k = 0; k < 10; ++k) a.next();
    const Rng::State st = a.state();
    std::vector<std::uint64_t> expected;
    for (int k = 0; k < 20; ++k) expected.push_back(a.next());
    Rng b(1);
    b.set_state(st);
    for (int k = 0; k < 20; ++k) CHECK(b.next() == expected[static_cast<std::size_t>(k)]);
}

TEST_CASE("Rng: uniform() lies in 0 <= u < 1 with mean 1/2", "[detail][rng]") {
    Rng rng(9);
    const int n = 200000;
    double sum_d = 0.0;
    double sum_f = 0.0;
    double lo = 1.0;
    double hi = 0.0;
    for (int k = 0; k < n; ++k) {
        const double d = rng.uniform<double>();
        const float f = rng.uniform<float>();
        REQUIRE(d >= 0.0);
        REQUIRE(d < 1.0);
        REQUIRE(f >= 0.0f);
        REQUIRE(f < 1.0f);
        sum_d += d;
        sum_f += f;
        lo = std::min(lo, d);
        hi = std::max(hi, d);
    }
    // Standard error of the mean: sqrt(1/12 / n) ~ 6.5e-4.
    CHECK(std::abs(sum_d / n - 0.5) < 0.004);
    CHECK(std::abs(sum_f / n - 0.5) < 0.004);
    CHECK(lo < 1e-4);
    CHECK(hi > 1.0 - 1e-4);
}

TEST_CASE("Rng: below(n) stays below n and reaches every value", "[detail][rng]") {
    Rng rng(31);
    CHECK(rng.below(1) == 0);
    for (const std::uint64_t n : {std::uint64_t{2}, std::uint64_t{3}, std::uint64_t{7}, std::uint64_t{100}}) {
        std::vector<int> hits(n, 0);
        for (int k = 0; k < 20000; ++k) {
            const std::uint64_t x = rng.below(n);
            REQUIRE(x < n);
            ++hits[x];
        }
        for (const int h : hits) CHECK(h > 0);
    }
    const std::uint64_t big = (std::uint64_t{1} << 40) + 3;
    std::uint64_t max_seen = 0;
    for (int k = 0; k < 10000; ++k) {
        const std::uint64_t x = rng.below(big);
        REQUIRE(x < big);
        max_seen = std::max(max_seen, x);
    }
    CHECK(max_seen > big / 2);
}

TEST_CASE("Rng: normal() has mean 0 and variance 1", "[detail][rng]") {
    Rng rng(4);
    const int n = 200000;
    double sum = 0.0;
    double sum_sq = 0.0;
    for (int k = 0; k < n; ++k) {
        const double x = rng.normal<double>();
        REQUIRE(std::isfinite(x));
        sum += x;
        sum_sq += x * x;
    }
    const double mean = sum / n;
    CHECK(std::abs(mean) < 0.01);
    CHECK(std::abs(sum_sq / n - mean * mean - 1.0) < 0.02);
}

TEST_CASE("stream_seed: distinct and deterministic", "[detail][rng]") {
    std::set<std::uint64_t> seeds;
    for (std::uint64_t seed = 0; seed < 4; ++seed)
        for (std::uint64_t stream = 0; stream < 1000; ++stream) seeds.insert(stream_seed(seed, stream));
    CHECK(seeds.size() == 4000);
    CHECK(stream_seed(7, 3) == stream_seed(7, 3));
    static_assert(stream_seed(1, 2) == stream_seed(1, 2), "stream_seed is constexpr");
    // Generators of neighbouring streams are not correlated in their first outputs.
    Rng a(stream_seed(1, 0));
    Rng b(stream_seed(1, 1));
    int same_top_bit = 0;
    for (int k = 0; k < 10000; ++k) same_top_bit += ((a.next() >> 63) == (b.next() >> 63)) ? 1 : 0;
    CHECK(std::abs(same_top_bit - 5000) < 300);  // ~6 standard deviations
}
