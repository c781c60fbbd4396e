#include <embedkit/core/alias_sampler.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

using embedkit::AliasSampler;
using embedkit::TokenId;
using embedkit::detail::Rng;

namespace {

// Pearson's chi-square statistic of `draws` draws against the probabilities `p`.
double chi_square(const AliasSampler& sampler, const std::vector<double>& p, std::uint64_t seed, int draws) {
    std::vector<std::int64_t> observed(p.size(), 0);
    Rng rng(seed);
    for (int k = 0; k < draws; ++k) ++observed[static_cast<std::size_t>(sampler.sample(rng))];
    double stat = 0.0;
    for (std::size_t i = 0; i < p.size(); ++i) {
        const double expected = p[i] * draws;
        const double diff = static_cast<double>(observed[i]) - expected;
        stat += diff * diff / expected;
    }
    return stat;
}

// The chi-square distribution's 0.999 quantile for 49 degrees of freedom (standard tables).
constexpr double kChi2Critical49 = 85.351;

}  // namespace

TEST_CASE("AliasSampler: frequencies pass a chi-square test (50 categories, 1e6 draws)", "[core][alias_sampler]") {
    std::vector<double> weights(50);
    for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = 1.0 + static_cast<double>((i * 7) % 13) + 0.01 * i;
    weights[17] = 40.0;  // one heavy category
    const AliasSampler sampler(weights);
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    std::vector<double> p(weights.size());
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = weights[i] / total;

    const double stat = chi_square(sampler, p, 42, 1000000);
    INFO("chi-square statistic " << stat);
    CHECK(stat < kChi2Critical49);

    // The test has power: the same draws are far from a uniform distribution.
    const std::vector<double> uniform(50, 1.0 / 50.0);
    CHECK(chi_square(sampler, uniform, 42, 1000000) > 100.0 * kChi2Critical49);
}

TEST_CASE("AliasSampler: unigram^0.75 sampler passes a chi-square test", "[core][alias_sampler]") {
    std::vector<std::int64_t> counts(50);
    for (std::size_t i = 0; i < counts.size(); ++i) counts[i] = static_cast<std::int64_t>(100000 / (i + 1));  // Zipf
    const AliasSampler sampler = embedkit::make_unigram_sampler(counts);
    double total = 0.0;
    for (const auto c : counts) total += std::pow(static_cast<double>(c), 0.75);
    std::vector<double> p(counts.size());
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = std::pow(static_cast<double>(counts[i]), 0.75) / total;
    const double stat = chi_square(sampler, p, 7, 1000000);
    INFO("chi-square statistic " << stat);
    CHECK(stat < kChi2Critical49);
}

TEST_CASE("AliasSampler: probability() and the table encode the weights", "[core][alias_sampler]") {
    Rng rng(99);
    std::vector<double> weights(1000);
    for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = (i % 10 == 3) ? 0.0 : rng.uniform<double>() * 5.0;
    const AliasSampler sampler(weights);
    REQUIRE(sampler.size() == 1000);
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    double sum = 0.0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        CHECK(sampler.probability(static_cast<TokenId>(i)) == Approx(weights[i] / total).epsilon(1e-12));
        sum += sampler.probability(static_cast<TokenId>(i));
    }
    CHECK(sum == Approx(1.0).epsilon(1e-12));

    // The probability each index gets from the table, given a uniform column: exact up to the
    // 2^-32 quantisation of the thresholds.
    const auto& table = sampler.table();
    const double n = static_cast<double>(table.size());
    std::vector<double> implied(table.size(), 0.0);
    for (std::size_t c = 0; c < table.size(); ++c) {
        const double keep = static_cast<double>(table[c].threshold) / 4294967296.0;
        implied[c] += keep / n;
        implied[static_cast<std::size_t>(table[c].alias)] += (1.0 - keep) / n;
    }
    for (std::size_t i = 0; i < weights.size(); ++i) {
        CHECK(implied[i] == Approx(weights[i] / total).margin(1e-12));
        if (weights[i] == 0.0) CHECK(implied[i] == 0.0);
    }
}

TEST_CASE("AliasSampler: high 32 bits pick the column, low 32 bits are the coin", "[core][alias_sampler]") {
    const std::vector<double> weights{1.0, 5.0, 0.5, 2.0, 0.0, 3.0, 1.5};
    const AliasSampler sampler(weights);
    const std::uint64_t n = sampler.size();
    for (std::uint64_t c = 0; c < n; ++c) {
        const auto& column = sampler.table()[c];
        // Smallest high word h with floor(h * n / 2^32) == c, and the largest one.
        const std::uint64_t first = ((c << 32) + n - 1) / n;
        const std::uint64_t last = (((c + 1) << 32) - 1) / n;
        for (const std::uint64_t h : {first, last}) {
            const TokenId low_coin = sampler.sample_from_bits(h << 32);
            const TokenId high_coin = sampler.sample_from_bits((h << 32) | 0xFFFFFFFFULL);
            CHECK(low_coin == (column.threshold > 0 ? static_cast<TokenId>(c) : column.alias));
            CHECK(high_coin == column.alias);
        }
    }
    // sample() consumes exactly one rng.next() per draw.
    Rng a(3);
    Rng b(3);
    for (int k = 0; k < 1000; ++k) CHECK(sampler.sample(a) == sampler.sample_from_bits(b.next()));
    CHECK(a.next() == b.next());
}

TEST_CASE("AliasSampler: degenerate distributions", "[core][alias_sampler]") {
    Rng rng(11);
    const AliasSampler one({3.0});
    CHECK(one.probability(0) == 1.0);
    for (int k = 0; k < 1000; ++k) CHECK(one.sample(rng) == 0);

    const AliasSampler last({0.0, 0.0, 5.0});
    CHECK(last.probability(0) == 0.0);
    CHECK(last.probability(2) == 1.0);
    for (int k = 0; k < 1000; ++k) CHECK(last.sample(rng) == 2);

    // Zero weights are never drawn; huge weights do not overflow.
    const AliasSampler sparse({0.0, 1.0, 0.0, 3.0, 0.0});
    bool seen[5] = {false, false, false, false, false};
    for (int k = 0; k < 100000; ++k) seen[sparse.sample(rng)] = true;
    CHECK_FALSE(seen[0]);
    CHECK_FALSE(seen[2]);
    CHECK_FALSE(seen[4]);
    CHECK(seen[1]);
    CHECK(seen[3]);
    const double big = std::numeric_limits<double>::max();
    const AliasSampler huge({big, big});
    CHECK(huge.probability(0) == Approx(0.5));
    CHECK(huge.probability(1) == Approx(0.5));

    // Uniform weights: every column keeps itself.
    const AliasSampler uniform(std::vector<double>(8, 2.0));
    for (const auto& column : uniform.table()) CHECK(column.threshold == 0xFFFFFFFFu);
}

TEST_CASE("AliasSampler: errors", "[core][alias_sampler]") {
    CHECK_THROWS_WITH(AliasSampler(std::vector<double>{}), Catch::Contains("empty"));
    CHECK_THROWS_WITH(AliasSampler({1.0, -2.0}), Catch::Contains("weights[1]"));
    CHECK_THROWS_WITH(AliasSampler({1.0, 2.0, std::nan("")}), Catch::Contains("weights[2]"));
    CHECK_THROWS_WITH(AliasSampler({std::numeric_limits<double>::infinity()}), Catch::Contains("weights[0]"));
    CHECK_THROWS_WITH(AliasSampler({0.0, 0.0}), Catch::Contains("zero"));
    CHECK_THROWS_AS(AliasSampler({0.0, 0.0}), embedkit::invalid_argument);
    const AliasSampler s({1.0, 2.0});
    CHECK_THROWS_WITH(s.probability(2), Catch::Contains("index 2"));
    CHECK_THROWS_AS(s.probability(-1), embedkit::invalid_argument);
}

TEST_CASE("make_unigram_sampler: counts^power", "[core][alias_sampler]") {
    const std::vector<std::int64_t> counts{1000, 0, 10, 1};
    const AliasSampler s = embedkit::make_unigram_sampler(counts);
    const double w0 = std::pow(1000.0, 0.75);
    const double w2 = std::pow(10.0, 0.75);
    const double total = w0 + w2 + 1.0;
    CHECK(s.probability(0) == Approx(w0 / total).epsilon(1e-12));
    CHECK(s.probability(1) == 0.0);
    CHECK(s.probability(2) == Approx(w2 / total).epsilon(1e-12));
    CHECK(s.probability(3) == Approx(1.0 / total).epsilon(1e-12));

    const AliasSampler flat = embedkit::make_unigram_sampler(counts, 0.0);  // uniform over seen words
    CHECK(flat.probability(0) == Approx(1.0 / 3.0));
    CHECK(flat.probability(1) == 0.0);
    const AliasSampler linear = embedkit::make_unigram_sampler(counts, 1.0);
    CHECK(linear.probability(2) == Approx(10.0 / 1011.0));

    CHECK_THROWS_WITH(embedkit::make_unigram_sampler({5, -1}), Catch::Contains("counts[1]"));
    CHECK_THROWS_WITH(embedkit::make_unigram_sampler({5, 1}, -0.5), Catch::Contains("power"));
    CHECK_THROWS_AS(embedkit::make_unigram_sampler({}), embedkit::invalid_argument);
    CHECK_THROWS_AS(embedkit::make_unigram_sampler({0, 0}), embedkit::invalid_argument);
}
