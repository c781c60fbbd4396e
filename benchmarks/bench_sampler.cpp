// Draw rates of the negative sampler (AliasSampler over Zipf-like unigram^0.75 counts) and of
// the raw generator it consumes. Run: build/bin/bench_sampler

#include <embedkit/core/alias_sampler.hpp>
#include <embedkit/detail/rng.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

namespace {

// Zipf-like counts, as word frequencies in a corpus sorted by frequency: count(rank) ~ C / rank.
std::vector<std::int64_t> zipf_counts(std::int64_t vocab) {
    std::vector<std::int64_t> counts(static_cast<std::size_t>(vocab));
    for (std::int64_t r = 0; r < vocab; ++r) counts[static_cast<std::size_t>(r)] = 1 + 100000000 / (r + 1);
    return counts;
}

void BM_AliasSample(benchmark::State& state) {
    const embedkit::AliasSampler sampler = embedkit::make_unigram_sampler(zipf_counts(state.range(0)));
    embedkit::detail::Rng rng(1);
    for (auto _ : state) {
        // 64 draws per iteration so the loop overhead does not dominate.
        std::int64_t acc = 0;
        for (int k = 0; k < 64; ++k) acc += sampler.sample(rng);
        benchmark::DoNotOptimize(acc);
    }
    state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_AliasSample)->Arg(1000)->Arg(100000)->Arg(1000000);

void BM_AliasBuild(benchmark::State& state) {
    const std::vector<std::int64_t> counts = zipf_counts(state.range(0));
    for (auto _ : state) {
        embedkit::AliasSampler sampler = embedkit::make_unigram_sampler(counts);
        benchmark::DoNotOptimize(sampler.table().data());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AliasBuild)->Arg(1000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_RngNext(benchmark::State& state) {
    embedkit::detail::Rng rng(1);
    for (auto _ : state) {
        std::uint64_t acc = 0;
        for (int k = 0; k < 64; ++k) acc ^= rng.next();
        benchmark::DoNotOptimize(acc);
    }
    state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_RngNext);

}  // namespace

BENCHMARK_MAIN();
