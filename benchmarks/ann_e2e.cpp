// The embedkit side of benchmarks/ann_vs_references.py: exact ground truth and HNSW runs over raw
// float32 row files, printing timings as "key=value" lines the script parses.
//
//   ann_e2e exact BASE QUERIES DIM K OUT_IDS THREADS SAMPLE
//       TopKIndex (cosine): ids of every query's exact top k (on THREADS threads), then the
//       queries per second of the first SAMPLE queries searched one at a time on one thread.
//   ann_e2e hnsw BASE QUERIES DIM K OUT_PREFIX M EF_CONSTRUCTION THREADS EF[,EF...]
//       HnswIndex (cosine) built on THREADS threads; then per ef, all queries as one batch on one
//       thread, ids written to OUT_PREFIX.<ef>.i32.
//   ann_e2e compressed BASE QUERIES DIM K OUT_PREFIX SUBVECTORS TRAINING_ROWS THREADS SHORTLIST
//       Int8Vectors and PqVectors (cosine; PQ codebooks trained on the first TRAINING_ROWS rows):
//       each query on one thread, ids without and with exact re-ranking of SHORTLIST candidates
//       from the float rows written to OUT_PREFIX.{int8,pq}{,.rerank}.i32.

#include <embedkit/hnsw/hnsw_index.hpp>
#include <embedkit/search/int8_vectors.hpp>
#include <embedkit/search/pq_vectors.hpp>
#include <embedkit/search/rerank.hpp>
#include <embedkit/search/topk_index.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

embedkit::RowMatrix<float> read_rows(const std::string& path, Eigen::Index dim) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw std::runtime_error("cannot open " + path);
    const auto bytes = static_cast<Eigen::Index>(in.tellg());
    in.seekg(0);
    embedkit::RowMatrix<float> m(bytes / static_cast<Eigen::Index>(sizeof(float)) / dim, dim);
    in.read(reinterpret_cast<char*>(m.data()), static_cast<std::streamsize>(m.size() * sizeof(float)));
    return m;
}

void write_ids(const std::string& path, const std::vector<std::vector<embedkit::Neighbor<float>>>& results, long k) {
    std::vector<std::int32_t> ids(results.size() * static_cast<std::size_t>(k), -1);
    for (std::size_t q = 0; q < results.size(); ++q)
        for (std::size_t r = 0; r < results[q].size() && r < static_cast<std::size_t>(k); ++r)
            ids[q * static_cast<std::size_t>(k) + r] = results[q][r].id;
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(ids.data()),
                                                static_cast<std::streamsize>(ids.size() * sizeof(std::int32_t)));
}

int run(int argc, char** argv) {
    if (argc < 9) {
        std::cerr << "usage: see the comment at the top of benchmarks/ann_e2e.cpp\n";
        return 2;
    }
    const std::string mode = argv[1];
    const long dim = std::atol(argv[4]);
    const long k = std::atol(argv[5]);
    const std::string out = argv[6];
    auto start = Clock::now();
    embedkit::RowMatrix<float> base = read_rows(argv[2], dim);
    const embedkit::RowMatrix<float> queries = read_rows(argv[3], dim);
    std::printf("load_s=%.3f rows=%ld queries=%ld\n", seconds_since(start), static_cast<long>(base.rows()),
                static_cast<long>(queries.rows()));
    if (mode == "exact") {
        const auto threads = static_cast<unsigned>(std::atoi(argv[7]));
        const long sample = std::atol(argv[8]);
        start = Clock::now();
        embedkit::TopKIndex<float> index(std::move(base), embedkit::Metric::cosine, threads);
        std::printf("build_s=%.3f\n", seconds_since(start));
        start = Clock::now();
        write_ids(out, index.topk_batch(queries, k), k);
        std::printf("batch_s=%.3f\n", seconds_since(start));
        index.set_threads(1);
        start = Clock::now();
        for (long q = 0; q < sample && q < queries.rows(); ++q) (void)index.topk(queries.row(q), k);
        std::printf("single_thread_qps=%.2f\n", static_cast<double>(sample) / seconds_since(start));
        return 0;
    }
    if (mode == "hnsw" && argc >= 11) {
        embedkit::HnswOptions o;
        o.m = std::atoi(argv[7]);
        o.ef_construction = std::atoi(argv[8]);
        o.threads = static_cast<unsigned>(std::atoi(argv[9]));
        start = Clock::now();
        embedkit::HnswIndex index(base, o);
        std::printf("build_s=%.3f\n", seconds_since(start));
        base.resize(0, 0);  // as the references: only the index holds the rows
        index.set_threads(1);
        std::stringstream efs(argv[10]);
        for (std::string ef; std::getline(efs, ef, ',');) {
            index.set_ef_search(std::atoi(ef.c_str()));
            start = Clock::now();
            const auto results = index.topk_batch(queries, k);
            const double s = seconds_since(start);
            std::printf("ef=%s search_s=%.4f qps=%.1f\n", ef.c_str(), s, static_cast<double>(queries.rows()) / s);
            write_ids(out + "." + ef + ".i32", results, k);
        }
        return 0;
    }
    if (mode == "compressed" && argc >= 11) {
        const int subvectors = std::atoi(argv[7]);
        const long training = std::atol(argv[8]);
        const auto threads = static_cast<unsigned>(std::atoi(argv[9]));
        const long shortlist = std::atol(argv[10]);
        const auto run_one = [&](const char* name, const auto& codes, double build_s) {
            std::vector<std::vector<embedkit::Neighbor<float>>> plain(static_cast<std::size_t>(queries.rows()));
            auto reranked = plain;
            auto t = Clock::now();
            for (Eigen::Index q = 0; q < queries.rows(); ++q) plain[static_cast<std::size_t>(q)] = codes.topk(queries.row(q), k);
            const double plain_s = seconds_since(t);
            t = Clock::now();
            for (Eigen::Index q = 0; q < queries.rows(); ++q) {
                reranked[static_cast<std::size_t>(q)] = embedkit::rerank_exact<float>(
                    queries.row(q), codes.topk(queries.row(q), shortlist), base, embedkit::Metric::cosine, k);
            }
            const double rerank_s = seconds_since(t);
            std::printf("%s build_s=%.3f bytes=%ld qps=%.1f rerank_qps=%.1f\n", name, build_s,
                        static_cast<long>(codes.bytes_per_vector()), static_cast<double>(queries.rows()) / plain_s,
                        static_cast<double>(queries.rows()) / rerank_s);
            write_ids(out + "." + name + ".i32", plain, k);
            write_ids(out + "." + name + ".rerank.i32", reranked, k);
        };
        start = Clock::now();
        const embedkit::Int8Vectors int8(base, embedkit::Metric::cosine);
        run_one("int8", int8, seconds_since(start));
        embedkit::PqOptions o;
        o.subvectors = subvectors;
        o.training_rows = training;
        o.threads = threads;
        start = Clock::now();
        const embedkit::PqVectors pq(base, embedkit::Metric::cosine, o);
        run_one("pq", pq, seconds_since(start));
        return 0;
    }
    std::cerr << "unknown mode " << mode << "\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "ann_e2e: " << e.what() << "\n";
        return 1;
    }
}
