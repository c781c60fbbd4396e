// Benchmarks of exact search: vector kernels (Eigen against ours), a memory copy as
// the bandwidth yardstick, one query over 1M x 100 floats, and the batched 30k x 30k x 100 search.
//
// Besides Google Benchmark's flags, `bench_search --e2e QUERIES VECTORS K THREADS [OUT]` runs one
// batched cosine search over raw float32 files (row-major, dim 100 unless --e2e-dim follows) and
// prints timings; benchmarks/search_vs_numpy_faiss.py uses it to compare with numpy and faiss.

#include <embedkit/detail/kernels.hpp>
#include <embedkit/detail/rng.hpp>
#include <embedkit/search/topk_index.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>


namespace {

using embedkit::Metric;
using embedkit::RowMatrix;
using embedkit::RowVector;
using embedkit::TopKIndex;

template <class S>
RowMatrix<S> gaussian_matrix(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
    RowMatrix<S> m(rows, cols);
    embedkit::detail::Rng rng(seed);
    S* p = m.data();
    for (Eigen::Index i = 0; i < m.size(); ++i) p[i] = rng.normal<S>();
    return m;
}

// ---------------------------------------------------------------- kernels: Eigen vs ours
// BM_*_eigen: the plain Eigen expression. BM_*_kernel: embedkit::detail's kernel, which is a
// hand-written AVX2/FMA loop when compiled with AVX2 and FMA (-DEMBEDKIT_NATIVE_ARCH=ON) and the
// same Eigen expression otherwise.

// Many short vectors, as in search: cycle through a table so the data is in L1/L2, not registers.
constexpr Eigen::Index kKernelRows = 256;

template <class S, class Kernel>
void run_kernel(benchmark::State& state, Kernel kernel) {
    const Eigen::Index d = state.range(0);
    const RowMatrix<S> m = gaussian_matrix<S>(kKernelRows, d, 1);
    const RowVector<S> q = gaussian_matrix<S>(1, d, 2);
    Eigen::Index r = 0;
    for (auto _ : state) {
        S v = kernel(m.row(r), q);
        benchmark::DoNotOptimize(v);
        r = (r + 1) % kKernelRows;
    }
    state.SetItemsProcessed(state.iterations());
}

template <class S>
void BM_dot_eigen(benchmark::State& state) {
    run_kernel<S>(state, [](const auto& a, const auto& b) { return a.dot(b); });
}
template <class S>
void BM_dot_kernel(benchmark::State& state) {
    run_kernel<S>(state, [](const auto& a, const auto& b) { return embedkit::detail::dot(a, b); });
}
template <class S>
void BM_squared_l2_eigen(benchmark::State& state) {
    run_kernel<S>(state, [](const auto& a, const auto& b) { return (a - b).squaredNorm(); });
}
template <class S>
void BM_squared_l2_kernel(benchmark::State& state) {
    run_kernel<S>(state, [](const auto& a, const auto& b) { return embedkit::detail::squared_l2(a, b); });
}
template <class S>
void BM_norm_eigen(benchmark::State& state) {
    run_kernel<S>(state, [](const auto& a, const auto&) { return a.norm(); });
}
template <class S>
void BM_norm_kernel(benchmark::State& state) {
    run_kernel<S>(state, [](const auto& a, const auto&) { return embedkit::detail::norm(a); });
}

BENCHMARK_TEMPLATE(BM_dot_eigen, float)->Arg(100)->Arg(300);
BENCHMARK_TEMPLATE(BM_dot_kernel, float)->Arg(100)->Arg(300);
BENCHMARK_TEMPLATE(BM_dot_eigen, double)->Arg(100)->Arg(300);
BENCHMARK_TEMPLATE(BM_dot_kernel, double)->Arg(100)->Arg(300);
BENCHMARK_TEMPLATE(BM_squared_l2_eigen, float)->Arg(100)->Arg(300);
BENCHMARK_TEMPLATE(BM_squared_l2_kernel, float)->Arg(100)->Arg(300);
BENCHMARK_TEMPLATE(BM_squared_l2_eigen, double)->Arg(100)->Arg(300);
BENCHMARK_TEMPLATE(BM_squared_l2_kernel, double)->Arg(100)->Arg(300);
BENCHMARK_TEMPLATE(BM_norm_eigen, float)->Arg(100)->Arg(300);
BENCHMARK_TEMPLATE(BM_norm_kernel, float)->Arg(100)->Arg(300);
BENCHMARK_TEMPLATE(BM_norm_eigen, double)->Arg(100)->Arg(300);
BENCHMARK_TEMPLATE(BM_norm_kernel, double)->Arg(100)->Arg(300);

// ---------------------------------------------------------------- memory bandwidth

constexpr Eigen::Index kBigRows = 1'000'000;
constexpr Eigen::Index kDim = 100;

// Copies 400 MB (the size of 1M x 100 floats) with `threads` threads, each its own slice.
// Bytes processed counts the bytes read (as for the search, which only reads).
void BM_copy(benchmark::State& state) {
    const auto threads = static_cast<unsigned>(state.range(0));
    const std::size_t bytes = static_cast<std::size_t>(kBigRows * kDim) * sizeof(float);
    std::vector<char> src(bytes, 1), dst(bytes, 0);
    for (auto _ : state) {
        embedkit::detail::run_threads(threads, [&](unsigned t) {
            const std::size_t begin = bytes * t / threads, end = bytes * (t + 1) / threads;
            std::memcpy(dst.data() + begin, src.data() + begin, end - begin);
        });
        benchmark::DoNotOptimize(dst.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_copy)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// One query, top-10 over 1M x 100 floats. Bytes processed: the matrix, read once per query.
void BM_topk_single_1M(benchmark::State& state) {
    const auto threads = static_cast<unsigned>(state.range(0));
    static TopKIndex<float> index(gaussian_matrix<float>(kBigRows, kDim, 3), Metric::dot);  // built once
    index.set_threads(threads);
    const RowVector<float> q = gaussian_matrix<float>(1, kDim, 4);
    for (auto _ : state) {
        auto r = index.topk(q, 10);
        benchmark::DoNotOptimize(r.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * kBigRows * kDim *
                            static_cast<std::int64_t>(sizeof(float)));
}
BENCHMARK(BM_topk_single_1M)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// 30,000 cosine queries, top-10 over 30,000 x 100 floats.
void BM_topk_batch_30k(benchmark::State& state) {
    const auto threads = static_cast<unsigned>(state.range(0));
    const TopKIndex<float> index(gaussian_matrix<float>(30000, kDim, 5), Metric::cosine, threads);
    const RowMatrix<float> queries = gaussian_matrix<float>(30000, kDim, 6);
    for (auto _ : state) {
        auto r = index.topk_batch(queries, 10);
        benchmark::DoNotOptimize(r.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 30000);
}
BENCHMARK(BM_topk_batch_30k)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------- end-to-end mode

RowMatrix<float> read_raw(const std::string& path, Eigen::Index dim) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw std::runtime_error("cannot open " + path);
    const auto bytes = static_cast<Eigen::Index>(in.tellg());
    const Eigen::Index rows = bytes / (dim * static_cast<Eigen::Index>(sizeof(float)));
    RowMatrix<float> m(rows, dim);
    in.seekg(0);
    in.read(reinterpret_cast<char*>(m.data()), static_cast<std::streamsize>(m.size() * sizeof(float)));
    if (!in) throw std::runtime_error("short read from " + path);
    return m;
}

int run_e2e(int argc, char** argv) {
    if (argc < 6) {
        std::fprintf(stderr, "usage: bench_search --e2e QUERIES VECTORS K THREADS [OUT] [--e2e-dim D]\n");
        return 2;
    }
    Eigen::Index dim = kDim;
    std::string out_path;
    for (int i = 6; i < argc; ++i) {
        if (std::strcmp(argv[i], "--e2e-dim") == 0 && i + 1 < argc) {
            dim = std::atol(argv[++i]);
        } else {
            out_path = argv[i];
        }
    }
    const Eigen::Index k = std::atol(argv[4]);
    const auto threads = static_cast<unsigned>(std::atoi(argv[5]));
    using clock = std::chrono::steady_clock;
    const RowMatrix<float> queries = read_raw(argv[2], dim);
    auto t0 = clock::now();
    const TopKIndex<float> index(read_raw(argv[3], dim), Metric::cosine, threads);  // moved in: one copy
    auto t1 = clock::now();
    const auto results = index.topk_batch(queries, k);
    auto t2 = clock::now();
    const double build = std::chrono::duration<double>(t1 - t0).count();
    const double search = std::chrono::duration<double>(t2 - t1).count();
    std::printf("embedkit rows=%ld queries=%ld dim=%ld k=%ld threads=%u load+build_s=%.4f search_s=%.4f\n",
                static_cast<long>(index.rows()), static_cast<long>(queries.rows()), static_cast<long>(dim),
                static_cast<long>(k), threads, build, search);
    std::printf("embedkit index_bytes=%ld queries_bytes=%ld results_bytes=%ld\n",
                static_cast<long>(index.vectors().size() * sizeof(float)),
                static_cast<long>(queries.size() * sizeof(float)),
                static_cast<long>(results.size() * static_cast<std::size_t>(k) * sizeof(embedkit::Neighbor<float>)));
    if (!out_path.empty()) {
        std::ofstream out(out_path, std::ios::binary);
        for (const auto& r : results) {
            for (const auto& n : r) out.write(reinterpret_cast<const char*>(&n.id), sizeof(n.id));
        }
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "--e2e") == 0) {
        try {
            return run_e2e(argc, argv);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "bench_search: %s\n", e.what());
            return 1;
        }
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
