// Loss + gradient throughput of the contrastive losses on a batch of 256 x 128 (float), next to
// an Eigen GEMM of the same shape (256 x 128 times 128 x 256) in the same run. The GFLOPS counter
// counts the flops of the matrix products each computation needs (the loss's exps and
// normalisations are extra work it does not get credit for); the program ends by printing each
// loss's GFLOP/s as a fraction of the GEMM's.
// Run: build/bin/bench_losses   (quick: --benchmark_min_time=0.05)

#include <embedkit/detail/rng.hpp>
#include <embedkit/losses/infonce.hpp>
#include <embedkit/losses/logistic.hpp>
#include <embedkit/losses/mnrl.hpp>
#include <embedkit/losses/nt_xent.hpp>
#include <embedkit/losses/triplet.hpp>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

using embedkit::RowMatrix;

RowMatrix<float> random_batch(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
    embedkit::detail::Rng rng(seed);
    RowMatrix<float> m(rows, cols);
    for (Eigen::Index i = 0; i < rows; ++i)
        for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = rng.normal<float>();
    return m;
}

void set_flops(benchmark::State& state, double flops_per_iteration) {
    state.counters["GFLOPS"] =
        benchmark::Counter(flops_per_iteration * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// 2 * m * n * k flops for an m x k times k x n product.
double gemm_flops(double m, double n, double k) { return 2 * m * n * k; }

void BM_EigenGemm(benchmark::State& state) {
    const Eigen::Index b = state.range(0), d = state.range(1);
    const RowMatrix<float> x = random_batch(b, d, 1);
    const RowMatrix<float> y = random_batch(d, b, 2);
    RowMatrix<float> c(b, b);
    for (auto _ : state) {
        c.noalias() = x * y;
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, gemm_flops(b, b, d));
}
BENCHMARK(BM_EigenGemm)->Args({256, 128});

// In-batch InfoNCE: logits A P^T, then G P and G^T A for the gradients: three B x B x D products.
void BM_InfoNceInBatch(benchmark::State& state) {
    const Eigen::Index b = state.range(0), d = state.range(1);
    const RowMatrix<float> a = random_batch(b, d, 3);
    const RowMatrix<float> p = random_batch(b, d, 4);
    embedkit::InfoNceOptions o;
    o.similarity = state.range(2) == 0 ? embedkit::Similarity::cosine : embedkit::Similarity::dot;
    embedkit::InfoNceResult<float> r;  // reused: the hot-loop form, no allocation per call
    for (auto _ : state) {
        embedkit::infonce_in_batch_loss(a, p, o, r);
        benchmark::DoNotOptimize(r.loss);
        benchmark::DoNotOptimize(r.grad_anchors.data());
    }
    set_flops(state, 3 * gemm_flops(b, b, d));
    state.SetItemsProcessed(state.iterations() * b);
    state.SetLabel(o.similarity == embedkit::Similarity::cosine ? "cosine" : "dot");
}
BENCHMARK(BM_InfoNceInBatch)->Args({256, 128, 0})->Args({256, 128, 1});

// In-batch InfoNCE with labels, as the pair trainer calls it: items repeat in the batch (ids drawn
// from 64), so duplicates of a positive and the anchor itself are masked out of each softmax row.
void BM_InfoNceInBatchLabels(benchmark::State& state) {
    const Eigen::Index b = state.range(0), d = state.range(1);
    const RowMatrix<float> a = random_batch(b, d, 16);
    const RowMatrix<float> p = random_batch(b, d, 17);
    embedkit::detail::Rng rng(18);
    std::vector<int> anchor_labels(static_cast<std::size_t>(b)), positive_labels(static_cast<std::size_t>(b));
    for (std::size_t i = 0; i < anchor_labels.size(); ++i) {
        anchor_labels[i] = static_cast<int>(rng.below(64));
        positive_labels[i] = static_cast<int>(rng.below(64));
    }
    embedkit::InfoNceResult<float> r;
    for (auto _ : state) {
        embedkit::infonce_in_batch_loss(a, p, anchor_labels, positive_labels, embedkit::InfoNceOptions{}, r);
        benchmark::DoNotOptimize(r.loss);
        benchmark::DoNotOptimize(r.grad_anchors.data());
    }
    set_flops(state, 3 * gemm_flops(b, b, d));
    state.SetItemsProcessed(state.iterations() * b);
}
BENCHMARK(BM_InfoNceInBatchLabels)->Args({256, 128});

void BM_Mnrl(benchmark::State& state) {
    const Eigen::Index b = state.range(0), d = state.range(1);
    const RowMatrix<float> a = random_batch(b, d, 5);
    const RowMatrix<float> p = random_batch(b, d, 6);
    embedkit::MnrlResult<float> r;
    for (auto _ : state) {
        embedkit::mnrl_loss(a, p, embedkit::MnrlOptions{}, r);
        benchmark::DoNotOptimize(r.loss);
        benchmark::DoNotOptimize(r.grad_anchors.data());
    }
    set_flops(state, 3 * gemm_flops(b, b, d));
    state.SetItemsProcessed(state.iterations() * b);
}
BENCHMARK(BM_Mnrl)->Args({256, 128});

// NT-Xent: 2B views, Z Z^T and (G + G^T) Z: two 2B x 2B x D products.
void BM_NtXent(benchmark::State& state) {
    const Eigen::Index b = state.range(0), d = state.range(1);
    const RowMatrix<float> x = random_batch(b, d, 7);
    const RowMatrix<float> y = random_batch(b, d, 8);
    embedkit::NtXentResult<float> r;
    for (auto _ : state) {
        embedkit::nt_xent_loss(x, y, embedkit::NtXentOptions{}, r);
        benchmark::DoNotOptimize(r.loss);
        benchmark::DoNotOptimize(r.grad_first.data());
    }
    set_flops(state, 2 * gemm_flops(2 * b, 2 * b, d));
    state.SetItemsProcessed(state.iterations() * b);
}
BENCHMARK(BM_NtXent)->Args({256, 128});

// Batch-hard triplets over B rows in B / 4 classes: X X^T and the gradient product.
void BM_TripletBatchHard(benchmark::State& state) {
    const Eigen::Index b = state.range(0), d = state.range(1);
    const RowMatrix<float> x = random_batch(b, d, 9);
    std::vector<int> labels(static_cast<std::size_t>(b));
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int>(i % 64);
    embedkit::TripletOptions o;
    o.distance = state.range(2) == 0 ? embedkit::TripletDistance::cosine : embedkit::TripletDistance::l2;
    embedkit::BatchTripletResult<float> r;
    for (auto _ : state) {
        embedkit::batch_triplet_loss(x, labels, o, r);
        benchmark::DoNotOptimize(r.loss);
        benchmark::DoNotOptimize(r.grad_embeddings.data());
    }
    set_flops(state, 2 * gemm_flops(b, b, d));
    state.SetItemsProcessed(state.iterations() * b);
    state.SetLabel(embedkit::to_string(o.distance));
}
BENCHMARK(BM_TripletBatchHard)->Args({256, 128, 0})->Args({256, 128, 1});

// Explicit negatives: K per anchor, 3 * 2 * B * K * D flops of row products (no GEMM to speak of).
void BM_InfoNceExplicit(benchmark::State& state) {
    const Eigen::Index b = state.range(0), d = state.range(1), k = state.range(2);
    const RowMatrix<float> a = random_batch(b, d, 10);
    const RowMatrix<float> p = random_batch(b, d, 11);
    const RowMatrix<float> n = random_batch(b * k, d, 12);
    embedkit::InfoNceResult<float> r;
    for (auto _ : state) {
        embedkit::infonce_loss(a, p, n, embedkit::InfoNceOptions{}, r);
        benchmark::DoNotOptimize(r.loss);
        benchmark::DoNotOptimize(r.grad_negatives.data());
    }
    set_flops(state, 3 * gemm_flops(b, k + 1, d));
    state.SetItemsProcessed(state.iterations() * b);
}
BENCHMARK(BM_InfoNceExplicit)->Args({256, 128, 16});

void BM_Logistic(benchmark::State& state) {
    const Eigen::Index b = state.range(0), d = state.range(1), k = state.range(2);
    const RowMatrix<float> a = random_batch(b, d, 13);
    const RowMatrix<float> p = random_batch(b, d, 14);
    const RowMatrix<float> n = random_batch(b * k, d, 15);
    embedkit::LogisticResult<float> r;
    for (auto _ : state) {
        embedkit::logistic_loss(a, p, n, r);
        benchmark::DoNotOptimize(r.loss);
        benchmark::DoNotOptimize(r.grad_negatives.data());
    }
    set_flops(state, 3 * gemm_flops(b, k + 1, d));
    state.SetItemsProcessed(state.iterations() * b);
}
BENCHMARK(BM_Logistic)->Args({256, 128, 5});

// Prints as usual and remembers every run's GFLOPS for the summary.
class RecordingReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& run : runs) {
            const auto it = run.counters.find("GFLOPS");
            if (it != run.counters.end() && run.run_type == Run::RT_Iteration) {
                gflops[run.benchmark_name()] = it->second.value;
            }
        }
        ConsoleReporter::ReportRuns(runs);
    }
    std::map<std::string, double> gflops;
};

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    RecordingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    const auto gemm = reporter.gflops.find("BM_EigenGemm/256/128");
    if (gemm == reporter.gflops.end() || gemm->second <= 0) return 0;
    std::printf("\nGFLOP/s relative to the Eigen GEMM 256x128 * 128x256 of this run (%.1f GFLOP/s):\n", gemm->second);
    for (const auto& [name, value] : reporter.gflops) {
        if (name == gemm->first) continue;
        std::printf("  %-36s %7.1f GFLOP/s  %5.2f x GEMM\n", name.c_str(), value, value / gemm->second);
    }
    const auto infonce = reporter.gflops.find("BM_InfoNceInBatch/256/128/0");
    if (infonce != reporter.gflops.end()) {
        const double ratio = infonce->second / gemm->second;
        std::printf("in-batch InfoNCE (cosine) reaches %.0f%% of the GEMM's GFLOP/s: %s (target: at least 50%%)\n",
                    100 * ratio, ratio >= 0.5 ? "OK" : "BELOW TARGET");
    }
    return 0;
}
