// Read and write throughput of word2vec vector files: 50k words x 100 dims, text and binary.
// Bytes/s counts the file size, so the "bytes_per_second" column reads as file MB/s.

#include "embedkit/detail/rng.hpp"
#include "embedkit/io/word2vec_format.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;

constexpr Eigen::Index kWords = 50'000;
constexpr Eigen::Index kDim = 100;

embedkit::WordVectors<float> make_vectors() {
    embedkit::detail::Rng rng(42);
    embedkit::RowMatrix<float> m(kWords, kDim);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal<float>() * 0.1f;
    std::vector<std::string> words;
    words.reserve(static_cast<std::size_t>(kWords));
    for (Eigen::Index i = 0; i < kWords; ++i) words.push_back("word" + std::to_string(i));
    return embedkit::WordVectors<float>(std::move(words), std::move(m));
}

/// The generated vectors and their files, made once and removed at exit.
struct Fixture {
    fs::path dir;
    embedkit::WordVectors<float> vectors = make_vectors();
    std::string text;
    std::string binary;

    Fixture() {
        dir = fs::temp_directory_path() / ("embedkit_bench_io_" + std::to_string(::getpid()));
        fs::create_directories(dir);
        text = (dir / "vectors.vec").string();
        binary = (dir / "vectors.bin").string();
        embedkit::write_word2vec(text, vectors, embedkit::VectorFormat::text);
        embedkit::write_word2vec(binary, vectors, embedkit::VectorFormat::binary);
    }
    ~Fixture() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

void read_file(benchmark::State& state, const std::string& path) {
    const auto bytes = static_cast<std::int64_t>(fs::file_size(path));
    for (auto _ : state) {
        auto v = embedkit::read_word2vec<float>(path);
        benchmark::DoNotOptimize(v.matrix().data());
    }
    state.SetBytesProcessed(state.iterations() * bytes);
    state.SetItemsProcessed(state.iterations() * kWords);
}

void BM_ReadText(benchmark::State& state) { read_file(state, fixture().text); }
void BM_ReadBinary(benchmark::State& state) { read_file(state, fixture().binary); }

void write_file(benchmark::State& state, embedkit::VectorFormat format) {
    Fixture& f = fixture();
    const std::string path = (f.dir / "written").string();
    for (auto _ : state) embedkit::write_word2vec(path, f.vectors, format);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(fs::file_size(path)));
    state.SetItemsProcessed(state.iterations() * kWords);
}

void BM_WriteText(benchmark::State& state) { write_file(state, embedkit::VectorFormat::text); }
void BM_WriteBinary(benchmark::State& state) { write_file(state, embedkit::VectorFormat::binary); }

}  // namespace

BENCHMARK(BM_ReadText)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadBinary)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WriteText)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WriteBinary)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
