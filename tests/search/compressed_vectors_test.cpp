// Int8Vectors and PqVectors: codes against hand checks (grid error, nearest centroids, table
// scores equal to the decoded rows' scores), recall against the exact index, and exact re-ranking.

#include <embedkit/search/int8_vectors.hpp>
#include <embedkit/search/pq_vectors.hpp>
#include <embedkit/search/rerank.hpp>
#include <embedkit/search/topk_index.hpp>

#include <embedkit/detail/binary_io.hpp>
#include <embedkit/detail/rng.hpp>

#include "support/temp_dir.hpp"
#include "support/checksummed_files.hpp"
#include "support/test_files.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <random>
#include <set>
#include <vector>

using embedkit::Int8Vectors;
using embedkit::Metric;
using embedkit::PqOptions;
using embedkit::PqVectors;
using embedkit::RowMatrix;
using embedkit::RowVector;

namespace {

// Rows around 40 random centres, as embeddings cluster.
RowMatrix<float> clustered_rows(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
    embedkit::detail::Rng rng(seed);
    std::normal_distribution<float> normal;
    RowMatrix<float> centres(40, cols);
    for (Eigen::Index i = 0; i < centres.size(); ++i) centres.data()[i] = normal(rng);
    RowMatrix<float> m(rows, cols);
    for (Eigen::Index i = 0; i < rows; ++i) {
        m.row(i) = centres.row(static_cast<Eigen::Index>(rng.below(40)));
        for (Eigen::Index j = 0; j < cols; ++j) m(i, j) += 0.5f * normal(rng);
    }
    return m;
}

template <class Results>
double overlap(const Results& got, const std::vector<embedkit::Neighbor<float>>& want) {
    std::set<embedkit::TokenId> ids;
    for (const auto& n : want) ids.insert(n.id);
    double hits = 0;
    for (const auto& n : got) hits += ids.count(n.id);
    return hits / static_cast<double>(want.size());
}

}  // namespace

TEST_CASE("int8 codes stay within half a grid step and search close to the exact index", "[search][quantization]") {
    const RowMatrix<float> data = clustered_rows(3000, 32, 5);
    const RowMatrix<float> queries = clustered_rows(100, 32, 6);
    for (const Metric metric : {Metric::cosine, Metric::l2}) {
        INFO(embedkit::to_string(metric));
        const Int8Vectors int8(data, metric);
        CHECK(int8.bytes_per_vector() == 32);
        RowMatrix<float> rows = data;
        if (metric == Metric::cosine) embedkit::detail::normalize_rows(rows);
        const RowVector<float> step = (rows.colwise().maxCoeff() - rows.colwise().minCoeff()) / 255.0f;
        for (Eigen::Index i = 0; i < 3000; i += 97) {
            const RowVector<float> error = (int8.decode(static_cast<embedkit::TokenId>(i)) - rows.row(i)).cwiseAbs();
            CHECK((error.array() <= step.array() * 0.5f + 1e-6f).all());
        }
        const embedkit::TopKIndex<float> exact(data, metric, 1);
        double plain = 0, reranked = 0;
        for (Eigen::Index q = 0; q < queries.rows(); ++q) {
            const auto want = exact.topk(queries.row(q), 10);
            const auto got = int8.topk(queries.row(q), 10);
            // The scores are those of the decoded rows.
            const auto x = int8.decode(got[0].id);
            const float truth = metric == Metric::l2 ? -(x - queries.row(q)).norm() : x.dot(queries.row(q).normalized());
            CHECK(got[0].score == Approx(truth).margin(1e-4));
            plain += overlap(got, want);
            const auto best = embedkit::rerank_exact<float>(queries.row(q), int8.topk(queries.row(q), 100), data, metric, 10);
            reranked += overlap(best, want);
            CHECK(best[0].score == Approx(want[0].score).margin(1e-5));
        }
        CHECK(plain / 100 >= 0.8);
        CHECK(reranked / 100 >= 0.99);
    }
}

TEST_CASE("PQ codes are each subvector's nearest centroid and the tables score the decoded rows", "[search][quantization]") {
    const RowMatrix<float> data = clustered_rows(2000, 24, 15);
    const RowMatrix<float> queries = clustered_rows(60, 24, 16);
    PqOptions o;
    o.subvectors = 6;
    o.iterations = 10;
    o.threads = 2;
    const PqVectors pq(data, Metric::dot, o);
    CHECK(pq.bytes_per_vector() == 6);
    REQUIRE(pq.codebooks().rows() == 6 * 256);
    // Row 7's code in subspace 2 is its nearest centroid there, by brute force.
    const auto part = data.row(7).segment(8, 4);
    Eigen::Index nearest = 0;
    (pq.codebooks().middleRows(2 * 256, 256).rowwise() - part).rowwise().squaredNorm().minCoeff(&nearest);
    CHECK(pq.codes()(7, 2) == nearest);
    CHECK(pq.decode(7).segment(8, 4) == pq.codebooks().row(2 * 256 + nearest));

    const embedkit::TopKIndex<float> exact(data, Metric::dot, 1);
    double plain = 0, reranked = 0;
    for (Eigen::Index q = 0; q < queries.rows(); ++q) {
        const auto got = pq.topk(queries.row(q), 10);
        for (const auto& n : got) CHECK(n.score == Approx(pq.decode(n.id).dot(queries.row(q))).margin(1e-3));
        const auto want = exact.topk(queries.row(q), 10);
        plain += overlap(got, want);
        reranked += overlap(embedkit::rerank_exact<float>(queries.row(q), pq.topk(queries.row(q), 100), data, Metric::dot, 10), want);
    }
    INFO("PQ recall@10 " << plain / 60 << ", re-ranked from 100: " << reranked / 60);
    CHECK(reranked / 60 >= 0.95);
    CHECK(reranked > plain);

    o.subvectors = 5;
    CHECK_THROWS_WITH(PqVectors(data, Metric::dot, o), Catch::Contains("must divide the dimension 24"));
    CHECK_THROWS_WITH(pq.topk(queries.row(0).head(3), 1), Catch::Contains("query dimension 3"));
    CHECK_THROWS_WITH(embedkit::rerank_exact<float>(queries.row(0), {{5000, 1.0f}}, data, Metric::dot, 1),
                      Catch::Contains("id 5000"));
}

TEST_CASE("compressed vectors save and load, and their reader rejects bad files", "[search][quantization][io]") {
    embedkit::testing::TempDir dir;
    const RowMatrix<float> data = clustered_rows(300, 8, 25);
    std::vector<std::string> words;
    for (int i = 0; i < 300; ++i) words.push_back("w" + std::to_string(i));
    const Int8Vectors int8(data, Metric::l2, words);
    int8.save(dir.file("v.int8"));
    const Int8Vectors int8_back = Int8Vectors::load(dir.file("v.int8"));
    CHECK(int8_back.labels() == words);
    CHECK(int8_back.metric() == Metric::l2);
    CHECK(int8_back.codes() == int8.codes());
    CHECK(int8_back.decode(17) == int8.decode(17));
    PqOptions o;
    o.subvectors = 4;
    const PqVectors pq(data, Metric::cosine, o);
    pq.save(dir.file("v.pq"));
    const PqVectors pq_back = PqVectors::load(dir.file("v.pq"));
    CHECK(pq_back.labels().empty());
    CHECK(pq_back.codes() == pq.codes());
    CHECK(pq_back.codebooks() == pq.codebooks());
    const auto a = pq.topk(data.row(3), 5);
    const auto b = pq_back.topk(data.row(3), 5);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) CHECK((a[i].id == b[i].id && a[i].score == b[i].score));

    const std::string good = embedkit::testing::file_bytes(dir.file("v.pq"));
    const std::string path = dir.file("bad.pq");
    const auto error_of = [&](const std::string& bytes) {
        return embedkit::testing::read_error(path, bytes, [](const std::string& p) { (void)PqVectors::load(p); });
    };
    using embedkit::testing::resealed;
    using embedkit::testing::with_u64;
    CHECK(error_of(good) == "accepted");
    for (std::size_t cut : {std::size_t{3}, std::size_t{30}, good.size() / 2, good.size() - 2}) {
        CHECK_THAT(error_of(good.substr(0, cut)), Catch::Contains("truncated file"));
    }
    std::string wrong = good;
    wrong[8] = 9;
    CHECK_THAT(error_of(wrong), Catch::Contains("version 9 is not supported"));
    CHECK_THAT(error_of(embedkit::testing::file_bytes(dir.file("v.int8"))), Catch::Contains("holds int8 vectors, not PQ"));
    wrong = good;
    wrong[good.size() - 20] ^= 1;
    CHECK_THAT(error_of(wrong), Catch::Contains("checksum mismatch"));
    CHECK_THAT(error_of(good + "!"), Catch::Contains("unexpected bytes"));
    // Header: magic 8, version 4, kind 4, metric 4, rows at 20, dim at 28, label flag at 36;
    // then subvectors at 37 and centroids at 45 (no labels here).
    CHECK_THAT(error_of(resealed(with_u64(good, 20, 1u << 30))), Catch::Contains("truncated file"));
    CHECK_THAT(error_of(resealed(with_u64(good, 28, 7))), Catch::Contains("does not divide the dimension 7"));
    CHECK_THAT(error_of(resealed(with_u64(good, 45, 257))), Catch::Contains("outside [1, 256]"));
    CHECK(error_of(resealed(with_u64(good, 45, 3))) != "accepted");  // a lying centroid count
    // 100 rows train 100 centroids: a code of 200 names none.
    PqVectors(data.topRows(100), Metric::dot, o).save(dir.file("small.pq"));
    std::string code = embedkit::testing::file_bytes(dir.file("small.pq"));
    code[code.size() - 9] = static_cast<char>(200);  // the last code
    CHECK_THAT(error_of(resealed(code)), Catch::Contains("names centroid 200 of 100"));
    CHECK_THROWS_WITH(Int8Vectors::load(dir.file("missing")), Catch::Contains("cannot open"));
}
