#include <embedkit/detail/rng.hpp>
#include <embedkit/text/subsampling.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

using namespace embedkit;

TEST_CASE("keep_probability follows word2vec's formula, clamped to [0, 1]", "[subsampling]") {
    const auto formula = [](double c, double total, double t) {
        return (std::sqrt(c / (t * total)) + 1.0) * (t * total) / c;
    };
    const std::int64_t total = 17'000'000;
    for (const double sample : {1e-3, 1e-4, 1e-5}) {
        for (const std::int64_t count : {1'000'000, 100'000, 20'000, 5'000}) {
            const double expected = std::min(1.0, formula(double(count), double(total), sample));
            CHECK(keep_probability(count, total, sample) == Approx(expected).epsilon(1e-12));
        }
    }
    // Hand-computed: c = 4 * t * T gives (2 + 1) / 4.
    CHECK(keep_probability(400, 1'000'000, 1e-4) == Approx(0.75).epsilon(1e-12));
    // Rare words are always kept.
    CHECK(keep_probability(5, total, 1e-4) == 1.0);
    // Frequent words are kept less.
    CHECK(keep_probability(1'000'000, total, 1e-4) < keep_probability(100'000, total, 1e-4));
    CHECK(keep_probability(1'000'000, total, 1e-4) > 0.0);
}

TEST_CASE("keep_probability edge cases", "[subsampling]") {
    CHECK(keep_probability(1000, 1000, 0.0) == 1.0);
    CHECK(keep_probability(1000, 1000, -1.0) == 1.0);
    CHECK(keep_probability(0, 1000, 1e-3) == 1.0);
    CHECK(keep_probability(0, 0, 1e-3) == 1.0);
    CHECK_THROWS_AS(keep_probability(10, 100, std::numeric_limits<double>::quiet_NaN()), invalid_argument);
    CHECK_THROWS_AS(keep_probability(10, 100, std::numeric_limits<double>::infinity()), invalid_argument);
    CHECK_THROWS_AS(keep_probability(-1, 100, 1e-3), invalid_argument);
}

TEST_CASE("Subsampler precomputes per-id probabilities from the counts", "[subsampling]") {
    const std::vector<std::int64_t> counts = {500'000, 200'000, 50'000, 1'000, 10, 0};
    std::int64_t total = 0;
    for (const auto c : counts) total += c;
    const Subsampler sub(counts, 1e-4);
    REQUIRE(sub.size() == counts.size());
    CHECK(sub.total() == total);
    for (std::size_t i = 0; i < counts.size(); ++i) {
        CHECK(sub.probability(static_cast<TokenId>(i)) == keep_probability(counts[i], total, 1e-4));
    }
    CHECK_THROWS_AS(sub.probability(-1), invalid_argument);
    detail::Rng rng(1);
    CHECK_THROWS_AS((void)sub.keep(6, rng), invalid_argument);
    CHECK_THROWS_AS(Subsampler({1, -2}, 1e-3), invalid_argument);
}

TEST_CASE("Subsampler keep rates match the probabilities for a fixed seed", "[subsampling]") {
    const std::vector<std::int64_t> counts = {500'000, 200'000, 50'000, 8'000, 100};
    const Subsampler sub(counts, 1e-3);
    detail::Rng rng(2024);
    constexpr int kDraws = 200'000;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        const TokenId id = static_cast<TokenId>(i);
        int kept = 0;
        for (int d = 0; d < kDraws; ++d) kept += sub.keep(id, rng) ? 1 : 0;
        const double p = sub.probability(id);
        const double rate = double(kept) / kDraws;
        const double sigma = std::sqrt(p * (1 - p) / kDraws);
        INFO("id " << id << " p " << p << " rate " << rate);
        if (p == 1.0) {
            CHECK(kept == kDraws);
        } else {
            CHECK(std::abs(rate - p) < 5 * sigma + 1e-9);
        }
    }
    // At least one id is really subsampled, so the check above tested something.
    CHECK(sub.probability(0) < 0.2);
}

TEST_CASE("Subsampler with sample <= 0 keeps everything, and is deterministic per seed", "[subsampling]") {
    const Subsampler none({1'000'000, 1}, 0.0);
    detail::Rng rng(5);
    for (int i = 0; i < 10'000; ++i) REQUIRE(none.keep(0, rng));

    const Subsampler sub({1'000'000, 10'000, 10}, 1e-4);
    detail::Rng a(77);
    detail::Rng b(77);
    for (int i = 0; i < 10'000; ++i) {
        const TokenId id = static_cast<TokenId>(i % 3);
        REQUIRE(sub.keep(id, a) == sub.keep(id, b));
    }
}
