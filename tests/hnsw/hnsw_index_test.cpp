// HnswIndex against the exact TopKIndex: recall and scores for every metric, exclusions, rows
// added later, save/load round trips, and a reader that rejects truncated, corrupt and lying files.

#include <embedkit/hnsw/hnsw_index.hpp>

#include <embedkit/detail/binary_io.hpp>
#include <embedkit/detail/rng.hpp>
#include <embedkit/search/topk_index.hpp>

#include "support/temp_dir.hpp"
#include "support/checksummed_files.hpp"
#include "support/test_files.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

using embedkit::HnswIndex;
using embedkit::HnswOptions;
using embedkit::Metric;
using embedkit::RowMatrix;
using embedkit::RowVector;
using embedkit::SearchOptions;
using embedkit::TopKIndex;

namespace {

RowMatrix<float> gaussian_rows(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
    embedkit::detail::Rng rng(seed);
    std::normal_distribution<float> normal;
    RowMatrix<float> m(rows, cols);
    for (Eigen::Index i = 0; i < rows; ++i)
        for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = normal(rng);
    return m;
}

// Mean fraction of the exact top-k ids that the approximate lists hold.
double recall_at(const std::vector<HnswIndex::Results>& approx, const std::vector<TopKIndex<float>::Results>& exact) {
    double hits = 0, total = 0;
    for (std::size_t q = 0; q < exact.size(); ++q) {
        std::set<embedkit::TokenId> want;
        for (const auto& n : exact[q]) want.insert(n.id);
        for (const auto& n : approx[q]) hits += want.count(n.id);
        total += static_cast<double>(exact[q].size());
    }
    return hits / total;
}

std::vector<std::string> numbered(Eigen::Index n, const std::string& prefix) {
    std::vector<std::string> out;
    for (Eigen::Index i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
    return out;
}

}  // namespace

TEST_CASE("HNSW finds the exact index's neighbours with its scores, for every metric", "[hnsw]") {
    const RowMatrix<float> data = gaussian_rows(3000, 24, 7);
    const RowMatrix<float> queries = gaussian_rows(200, 24, 8);
    for (const Metric metric : {Metric::cosine, Metric::dot, Metric::l2}) {
        INFO(embedkit::to_string(metric));
        HnswOptions o;
        o.metric = metric;
        o.threads = 2;  // a multi-threaded build
        o.ef_search = 128;
        const HnswIndex approx(data, o);
        const TopKIndex<float> exact(data, metric, 1);
        REQUIRE(approx.rows() == 3000);
        const auto got = approx.topk_batch(queries, 10);
        const auto want = exact.topk_batch(queries, 10);
        const double recall = recall_at(got, want);
        CHECK(recall >= 0.95);
        // Every returned score is the metric's value for that row, best first.
        for (std::size_t q = 0; q < got.size(); ++q) {
            REQUIRE(got[q].size() == 10);
            for (std::size_t r = 0; r < got[q].size(); ++r) {
                const auto x = data.row(got[q][r].id);
                const auto y = queries.row(static_cast<Eigen::Index>(q));
                const double truth = metric == Metric::cosine ? x.dot(y) / (x.norm() * y.norm())
                                     : metric == Metric::dot  ? x.dot(y)
                                                              : -(x - y).norm();
                CHECK(got[q][r].score == Approx(truth).margin(1e-4).epsilon(1e-5));
                if (r > 0) CHECK(got[q][r - 1].score >= got[q][r].score);
            }
        }
        // One query alone gives what the batch gave.
        const auto single = approx.topk(queries.row(3), 10);
        REQUIRE(single.size() == got[3].size());
        for (std::size_t r = 0; r < single.size(); ++r) CHECK(single[r].id == got[3][r].id);
    }
}

TEST_CASE("HNSW recall grows with ef_search", "[hnsw]") {
    const RowMatrix<float> data = gaussian_rows(4000, 48, 11);
    const RowMatrix<float> queries = gaussian_rows(200, 48, 12);
    HnswOptions o;
    o.m = 8;
    o.ef_construction = 40;
    o.threads = 1;
    HnswIndex approx(data, o);
    const auto want = TopKIndex<float>(data, Metric::cosine, 1).topk_batch(queries, 10);
    approx.set_ef_search(10);
    const double low = recall_at(approx.topk_batch(queries, 10), want);
    approx.set_ef_search(400);
    const double high = recall_at(approx.topk_batch(queries, 10), want);
    INFO("recall at ef 10: " << low << ", at ef 400: " << high);
    CHECK(high > low);
    CHECK(high >= 0.97);
}

TEST_CASE("HNSW honours exclusions, k above the row count, zero vectors and rows added later", "[hnsw]") {
    const RowMatrix<float> data = gaussian_rows(300, 8, 21);
    HnswOptions o;
    o.metric = Metric::l2;
    HnswIndex index(data.topRows(200), o, numbered(200, "r"));
    index.add(data.bottomRows(100), numbered(100, "late"));
    REQUIRE(index.rows() == 300);
    REQUIRE(index.labels().size() == 300);
    CHECK(index.labels()[250] == "late50");
    // Every row, old or new, finds itself at distance 0.
    for (Eigen::Index i = 0; i < 300; i += 7) {
        const auto best = index.topk(data.row(i), 1);
        REQUIRE(best.size() == 1);
        CHECK(best[0].id == i);
        CHECK(best[0].score == 0.0f);
    }
    SearchOptions ex;
    ex.exclude = {5, 6};
    ex.exclude_per_query = {{7}};
    const auto best = index.topk(data.row(5), 3, ex);
    for (const auto& n : best) CHECK((n.id != 5 && n.id != 6 && n.id != 7));
    CHECK(index.topk(data.row(0), 1000).size() == 300);

    // Cosine: a zero row scores 0 with everything, never NaN.
    RowMatrix<float> with_zero = data.topRows(50);
    with_zero.row(10).setZero();
    const HnswIndex cosine(with_zero, HnswOptions{});
    for (const auto& n : cosine.topk(data.row(3), 50)) {
        CHECK(std::isfinite(n.score));
        if (n.id == 10) CHECK(n.score == 0.0f);
    }
}

TEST_CASE("HNSW rejects bad arguments with clear errors", "[hnsw]") {
    const RowMatrix<float> data = gaussian_rows(50, 4, 31);
    HnswOptions bad;
    bad.m = 1;
    CHECK_THROWS_WITH(HnswIndex(data, bad), Catch::Contains("HnswOptions::m"));
    HnswIndex index(data, HnswOptions{});
    CHECK_THROWS_WITH(index.topk(data.row(0), 0), Catch::Contains("k must be positive"));
    CHECK_THROWS_WITH(index.topk(RowVector<float>::Zero(3), 1), Catch::Contains("query dimension 3"));
    RowVector<float> nan = data.row(0);
    nan(2) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(index.topk(nan, 1), Catch::Contains("NaN or Inf at column 2"));
    SearchOptions restrict;
    restrict.restrict_rows = 10;
    CHECK_THROWS_AS(index.topk(data.row(0), 1, restrict), embedkit::invalid_options);
    RowMatrix<float> bad_rows = data.topRows(3);
    bad_rows(1, 1) = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH(index.add(bad_rows), Catch::Contains("row 1 contains NaN or Inf"));
    CHECK(index.rows() == 50);
    CHECK_THROWS_WITH(index.add(data.topRows(2), {"a"}), Catch::Contains("labels given"));
}

TEST_CASE("HNSW indexes save and load with their labels and options", "[hnsw]") {
    embedkit::testing::TempDir dir;
    const RowMatrix<float> data = gaussian_rows(500, 12, 41);
    const RowMatrix<float> queries = gaussian_rows(20, 12, 42);
    for (const Metric metric : {Metric::cosine, Metric::dot, Metric::l2}) {
        HnswOptions o;
        o.metric = metric;
        o.m = 6;
        o.ef_construction = 50;
        o.ef_search = 30;
        const HnswIndex index(data, o, numbered(500, "w"));
        const std::string path = dir.file("index.hnsw");
        index.save(path);
        HnswIndex loaded = HnswIndex::load(path);
        CHECK(loaded.rows() == 500);
        CHECK(loaded.dim() == 12);
        CHECK(loaded.metric() == metric);
        CHECK(loaded.options().m == 6);
        CHECK(loaded.options().ef_search == 30);
        CHECK(loaded.labels() == index.labels());
        const auto before = index.topk_batch(queries, 5);
        const auto after = loaded.topk_batch(queries, 5);
        for (std::size_t q = 0; q < before.size(); ++q) {
            REQUIRE(after[q].size() == before[q].size());
            for (std::size_t r = 0; r < before[q].size(); ++r) {
                CHECK(after[q][r].id == before[q][r].id);
                CHECK(after[q][r].score == before[q][r].score);
            }
        }
        // A loaded index takes more rows and saves again.
        loaded.add(queries, numbered(20, "q"));
        loaded.save(path);
        const HnswIndex grown = HnswIndex::load(path);
        CHECK(grown.rows() == 520);
        CHECK(grown.topk(queries.row(4), 1)[0].id == 504);
    }
    // An empty index round-trips too.
    HnswIndex empty(5, HnswOptions{});
    empty.save(dir.file("empty.hnsw"));
    const HnswIndex back = HnswIndex::load(dir.file("empty.hnsw"));
    CHECK(back.rows() == 0);
    CHECK(back.topk(RowVector<float>::Ones(5), 3).empty());
}

TEST_CASE("the HNSW reader rejects truncated, corrupt and lying files", "[hnsw][io]") {
    embedkit::testing::TempDir dir;
    const RowMatrix<float> data = gaussian_rows(60, 4, 51);
    HnswOptions o;
    o.m = 4;
    HnswIndex(data, o, numbered(60, "x")).save(dir.file("good.hnsw"));
    const std::string good = embedkit::testing::file_bytes(dir.file("good.hnsw"));
    const std::string path = dir.file("bad.hnsw");
    const auto error_of = [&](const std::string& bytes) {
        return embedkit::testing::read_error(path, bytes, [](const std::string& p) { (void)HnswIndex::load(p); });
    };
    using embedkit::testing::resealed;
    using embedkit::testing::with_u64;
    CHECK(error_of(good) == "accepted");
    CHECK_THAT(error_of(resealed(good)), Catch::Equals("accepted"));
    for (std::size_t cut : {std::size_t{0}, std::size_t{5}, std::size_t{20}, std::size_t{70}, good.size() / 2, good.size() - 1}) {
        INFO("cut at " << cut);
        CHECK_THAT(error_of(good.substr(0, cut)), Catch::Contains("truncated file"));
    }
    std::string wrong = good;
    wrong[0] = 'X';
    CHECK_THAT(error_of(wrong), Catch::Contains("wrong magic"));
    wrong = good;
    wrong[8] = 2;  // version
    CHECK_THAT(error_of(wrong), Catch::Contains("version 2 is not supported"));
    wrong = good;
    wrong[good.size() / 2] ^= 0x10;
    CHECK_THAT(error_of(wrong), Catch::Contains("checksum mismatch"));
    CHECK_THAT(error_of(good + "x"), Catch::Contains("unexpected bytes after the checksum"));
    // Header: magic 8, version 4, metric 4, then dim at 16 and rows at 24 (int64).
    // One more row than there is: the 61st label is read from the graph, which then does not fit.
    CHECK_THAT(error_of(resealed(with_u64(good, 24, 61))), Catch::Contains("does not match"));
    CHECK_THAT(error_of(resealed(with_u64(good, 16, 5))), Catch::Contains("layout does not match"));
    CHECK_THAT(error_of(resealed(with_u64(good, 16, 0))), Catch::Contains("dimension 0"));
    CHECK_THAT(error_of(resealed(with_u64(good, 24, std::uint64_t{1} << 40))), Catch::Contains("row count"));
    // The graph follows the labels: "x0".."x59" with 4-byte lengths.
    std::size_t graph = 8 + 4 + 4 + 8 * 6 + 1;
    for (int i = 0; i < 60; ++i) graph += 4 + 1 + std::to_string(i).size();
    CHECK_THAT(error_of(resealed(with_u64(good, graph + 16, 59))), Catch::Contains("row count does not match"));
    const std::size_t level0 = graph + 6 * 8 + 4 + 4 + 3 * 8 + 8 + 8;
    std::string link = good;
    const std::uint32_t far = 1000;
    std::memcpy(&link[level0 + 4], &far, 4);  // row 0's first neighbour
    CHECK_THAT(error_of(resealed(link)), Catch::Contains("links to row 1000"));
    std::string count = good;
    const std::uint16_t many = 9;  // more links than 2 m
    std::memcpy(&count[level0], &many, 2);
    CHECK_THAT(error_of(resealed(count)), Catch::Contains("bad link list"));
    std::string deleted = good;
    deleted[level0 + 2] = 1;  // hnswlib's deletion mark
    CHECK_THAT(error_of(resealed(deleted)), Catch::Contains("bad link list"));
    CHECK_THROWS_WITH(HnswIndex::load(dir.file("missing.hnsw")), Catch::Contains("cannot open"));
}
