#include <embedkit/search/topk_index.hpp>

#include <embedkit/detail/rng.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

using embedkit::Metric;
using embedkit::Neighbor;
using embedkit::RowMatrix;
using embedkit::RowVector;
using embedkit::SearchOptions;
using embedkit::TokenId;
using embedkit::TopKIndex;

namespace {

// Small integers: every dot product and squared distance is exact in float, so the index and the
// oracle agree bit for bit whatever the summation order, and equal scores (ties) are common.
template <class S>
RowMatrix<S> integer_matrix(Eigen::Index rows, Eigen::Index cols, embedkit::detail::Rng& rng) {
    RowMatrix<S> m(rows, cols);
    for (Eigen::Index i = 0; i < rows; ++i)
        for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = static_cast<S>(static_cast<int>(rng.below(7)) - 3);
    return m;
}

template <class S>
RowMatrix<S> gaussian_matrix(Eigen::Index rows, Eigen::Index cols, embedkit::detail::Rng& rng) {
    RowMatrix<S> m(rows, cols);
    for (Eigen::Index i = 0; i < rows; ++i)
        for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = rng.normal<S>();
    return m;
}

// The oracle: score every candidate in double with plain loops, sort everything, keep k.
template <class S>
std::vector<Neighbor<double>> full_sort(const RowMatrix<S>& data, const RowVector<S>& q, Metric metric,
                                        Eigen::Index k, const std::set<TokenId>& excluded, Eigen::Index restrict) {
    std::vector<Neighbor<double>> all;
    const Eigen::Index rows = restrict > 0 ? std::min(restrict, data.rows()) : data.rows();
    double qn = 0;
    for (Eigen::Index j = 0; j < q.size(); ++j) qn += double(q(j)) * double(q(j));
    qn = std::sqrt(qn);
    for (Eigen::Index i = 0; i < rows; ++i) {
        if (excluded.count(static_cast<TokenId>(i))) continue;
        double dot = 0, xn = 0, d2 = 0;
        for (Eigen::Index j = 0; j < q.size(); ++j) {
            const double x = data(i, j), y = q(j);
            dot += x * y;
            xn += x * x;
            d2 += (x - y) * (x - y);
        }
        double score = dot;
        if (metric == Metric::cosine) score = (xn > 0 && qn > 0) ? dot / (std::sqrt(xn) * qn) : 0.0;
        if (metric == Metric::l2) score = -std::sqrt(d2);
        all.push_back({static_cast<TokenId>(i), score});
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
        return a.score > b.score || (a.score == b.score && a.id < b.id);
    });
    if (static_cast<Eigen::Index>(all.size()) > k) all.resize(static_cast<std::size_t>(k));
    return all;
}

// Exact data: ids must match the oracle exactly (ties included), scores to rounding.
// Inexact data (cosine on Gaussian rows): a different id is allowed only where the oracle's scores
// of the two ids are within `tol`, i.e. a near-tie that rounding may legitimately flip.
template <class S>
void check_against_oracle(const std::vector<Neighbor<S>>& got, const std::vector<Neighbor<double>>& want,
                          const RowMatrix<S>& data, const RowVector<S>& q, Metric metric, bool exact) {
    REQUIRE(got.size() == want.size());
    const double tol = std::is_same_v<S, float> ? 2e-5 : 1e-12;
    std::set<TokenId> seen;
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("position " << i << ": got id " << got[i].id << " score " << got[i].score << ", want id " << want[i].id
                         << " score " << want[i].score);
        REQUIRE(seen.insert(got[i].id).second);
        CHECK(std::abs(double(got[i].score) - want[i].score) <= tol * std::max(1.0, std::abs(want[i].score)));
        if (i > 0) {
            // best first, ties by lower id
            CHECK((got[i - 1].score > got[i].score || (got[i - 1].score == got[i].score && got[i - 1].id < got[i].id)));
        }
        if (exact) {
            CHECK(got[i].id == want[i].id);
        } else if (got[i].id != want[i].id) {
            const auto one = full_sort(RowMatrix<S>(data.row(got[i].id)), q, metric, 1, {}, 0);
            CHECK(std::abs(one.front().score - want[i].score) <= tol);
        }
    }
}

struct Case {
    Eigen::Index rows, dim, k, restrict;
    std::size_t excluded;
};

}  // namespace

TEMPLATE_TEST_CASE("TopKIndex matches a full sort for every metric", "[search][topk]", float, double) {
    using S = TestType;
    embedkit::detail::Rng rng(20240611);
    const std::vector<Case> cases = {
        {1, 1, 1, 0, 0},    {1, 4, 3, 0, 0},      {7, 3, 2, 0, 1},       {7, 3, 7, 0, 3},     {10, 5, 20, 0, 0},
        {50, 8, 5, 20, 4},  {200, 16, 10, 0, 10}, {1500, 12, 10, 0, 3},  {1500, 12, 1, 1100, 2},
        {3000, 40, 25, 0, 30}, {2100, 7, 2100, 0, 5}, {5000, 50, 10, 4999, 0},
    };
    for (const Metric metric : {Metric::cosine, Metric::dot, Metric::l2}) {
        for (const auto& c : cases) {
            const bool exact = metric != Metric::cosine;
            const RowMatrix<S> data = exact ? integer_matrix<S>(c.rows, c.dim, rng) : gaussian_matrix<S>(c.rows, c.dim, rng);
            const Eigen::Index nq = 1 + static_cast<Eigen::Index>(rng.below(40));
            const RowMatrix<S> queries = exact ? integer_matrix<S>(nq, c.dim, rng) : gaussian_matrix<S>(nq, c.dim, rng);
            for (const unsigned threads : {1u, 3u}) {
                const TopKIndex<S> index(data, metric, threads);
                SearchOptions opts;
                opts.restrict_rows = c.restrict;
                std::set<TokenId> shared;
                for (std::size_t e = 0; e < c.excluded; ++e) {
                    const auto id = static_cast<TokenId>(rng.below(static_cast<std::uint64_t>(c.rows)));
                    opts.exclude.push_back(id);
                    shared.insert(id);
                }
                opts.exclude.push_back(static_cast<TokenId>(c.rows + 5));  // out of range: ignored
                INFO("metric " << embedkit::to_string(metric) << " rows " << c.rows << " dim " << c.dim << " k " << c.k
                               << " restrict " << c.restrict << " excluded " << c.excluded << " threads " << threads);
                // One query at a time.
                for (Eigen::Index qi = 0; qi < std::min<Eigen::Index>(nq, 3); ++qi) {
                    const RowVector<S> q = queries.row(qi);
                    const auto got = index.topk(q, c.k, opts);
                    check_against_oracle(got, full_sort(data, q, metric, c.k, shared, c.restrict), data, q, metric, exact);
                }
                // The batch, with extra per-query exclusions.
                SearchOptions batch_opts = opts;
                batch_opts.exclude_per_query.resize(static_cast<std::size_t>(nq));
                for (Eigen::Index qi = 0; qi < nq; ++qi) {
                    for (int e = 0; e < 2; ++e) {
                        batch_opts.exclude_per_query[static_cast<std::size_t>(qi)].push_back(
                            static_cast<TokenId>(rng.below(static_cast<std::uint64_t>(c.rows))));
                    }
                }
                const auto batch = index.topk_batch(queries, c.k, batch_opts);
                REQUIRE(static_cast<Eigen::Index>(batch.size()) == nq);
                for (Eigen::Index qi = 0; qi < nq; ++qi) {
                    std::set<TokenId> excluded = shared;
                    for (TokenId id : batch_opts.exclude_per_query[static_cast<std::size_t>(qi)]) excluded.insert(id);
                    const RowVector<S> q = queries.row(qi);
                    check_against_oracle(batch[static_cast<std::size_t>(qi)],
                                         full_sort(data, q, metric, c.k, excluded, c.restrict), data, q, metric, exact);
                }
            }
        }
    }
}

TEST_CASE("TopKIndex splits work across threads without changing results", "[search][topk]") {
    // Large enough to take the multi-threaded paths: many queries (split by query blocks) and
    // few queries (split by rows, heaps merged).
    embedkit::detail::Rng rng(77);
    const RowMatrix<float> data = integer_matrix<float>(20000, 64, rng);
    const RowMatrix<float> queries = integer_matrix<float>(40, 64, rng);
    const TopKIndex<float> serial(data, Metric::dot, 1);
    const TopKIndex<float> parallel(data, Metric::dot, 4);
    const auto a = serial.topk_batch(queries, 15);
    const auto b = parallel.topk_batch(queries, 15);
    REQUIRE(a == b);
    for (Eigen::Index qi = 0; qi < 3; ++qi) {
        const RowVector<float> q = queries.row(qi);
        const auto one = parallel.topk(q, 15);
        CHECK(one == a[static_cast<std::size_t>(qi)]);
        check_against_oracle(one, full_sort(data, q, Metric::dot, 15, {}, 0), data, q, Metric::dot, true);
    }
    const auto two = parallel.topk_batch(queries.topRows(2), 15);
    CHECK(two[0] == a[0]);
    CHECK(two[1] == a[1]);
}

TEST_CASE("TopKIndex breaks ties by lower id", "[search][topk]") {
    // Entries 0 and +-1 with norms 1 or 2: normalisation and every product are exact, so equal
    // rows give equal cosine scores to the bit.
    RowMatrix<float> data = RowMatrix<float>::Zero(12, 4);
    for (Eigen::Index i = 0; i < 12; ++i) data(i, i % 4) = (i % 3 == 0) ? -1.0f : 1.0f;
    data.row(9) << 1, 1, 1, 1;  // norm 2
    data.row(4) << 2, 2, 2, 2;  // same direction, other length
    RowVector<float> q(4);
    q << 1, 1, 1, 1;
    SECTION("cosine: parallel rows tie, lower id first") {
        const TopKIndex<float> index(data, Metric::cosine);
        const auto r = index.topk(q, 3);
        REQUIRE(r.size() == 3);
        CHECK(r[0].id == 4);
        CHECK(r[1].id == 9);
        CHECK(r[0].score == r[1].score);
        CHECK(r[0].score == Approx(1.0f));
        CHECK(r[2].score == Approx(0.5f));
        // Rows 1, 2, 5, 7, 8, 10, 11 are +1 on one axis: all score 0.5; the lowest id wins.
        CHECK(r[2].id == 1);
    }
    SECTION("dot: every unit row ties") {
        const TopKIndex<float> index(data, Metric::dot);
        const auto r = index.topk(q, 5);
        REQUIRE(r.size() == 5);
        CHECK(r[0].id == 4);
        CHECK(r[1].id == 9);
        CHECK(r[2].id == 1);
        CHECK(r[3].id == 2);
        CHECK(r[4].id == 5);
    }
    SECTION("l2: duplicates tie") {
        RowMatrix<float> dup(5, 2);
        dup << 3, 0, 1, 0, 0, 0, 1, 0, 1, 0;
        const TopKIndex<float> index(dup, Metric::l2);
        RowVector<float> p(2);
        p << 1, 0;
        const auto r = index.topk(p, 4);
        REQUIRE(r.size() == 4);
        CHECK(r[0].id == 1);
        CHECK(r[1].id == 3);
        CHECK(r[2].id == 4);
        CHECK(r[0].score == 0.0f);
        CHECK(r[3].id == 2);
        CHECK(r[3].score == -1.0f);
    }
}

TEST_CASE("TopKIndex scores L2 as the negated distance and cosine of zero vectors as 0", "[search][topk]") {
    RowMatrix<double> data(3, 2);
    data << 0, 0, 3, 4, -1, 0;
    RowVector<double> q(2);
    q << 0, 0;
    const TopKIndex<double> l2(data, Metric::l2);
    const auto r = l2.topk(q, 3);
    REQUIRE(r.size() == 3);
    CHECK(r[0].id == 0);
    CHECK(r[0].score == 0.0);
    CHECK(r[1].id == 2);
    CHECK(r[1].score == -1.0);
    CHECK(r[2].id == 1);
    CHECK(r[2].score == -5.0);

    const TopKIndex<double> cosine(data, Metric::cosine);
    const auto zero_query = cosine.topk(q, 3);
    REQUIRE(zero_query.size() == 3);
    for (const auto& n : zero_query) CHECK(n.score == 0.0);
    CHECK(zero_query[0].id == 0);
    RowVector<double> x(2);
    x << 1, 0;
    const auto c = cosine.topk(x, 3);
    CHECK(c[0].id == 1);
    CHECK(c[0].score == Approx(0.6));
    CHECK(c[1].id == 0);  // zero row: cosine 0, not NaN
    CHECK(c[1].score == 0.0);
    CHECK(c[2].id == 2);
    CHECK(c[2].score == Approx(-1.0));
    CHECK(cosine.vectors().row(1).norm() == Approx(1.0));
}

TEST_CASE("TopKIndex clamps k and honours restriction and exclusion", "[search][topk]") {
    RowMatrix<float> data(6, 2);
    data << 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0;
    const TopKIndex<float> index(data, Metric::dot);
    RowVector<float> q(2);
    q << 1, 0;
    CHECK(index.topk(q, 100).size() == 6);
    SearchOptions opts;
    opts.restrict_rows = 4;
    auto r = index.topk(q, 100, opts);
    REQUIRE(r.size() == 4);
    CHECK(r[0].id == 3);
    CHECK(r[3].id == 0);
    opts.exclude = {3, 3, 0, -7, 99};
    r = index.topk(q, 100, opts);
    REQUIRE(r.size() == 2);
    CHECK(r[0].id == 2);
    CHECK(r[1].id == 1);
    opts.restrict_rows = 1000;  // more than the rows: all rows
    r = index.topk(q, 1, opts);
    REQUIRE(r.size() == 1);
    CHECK(r[0].id == 5);
    opts.exclude = {0, 1, 2, 3, 4, 5};
    CHECK(index.topk(q, 3, opts).empty());
    const RowMatrix<float> none(0, 2);
    CHECK(index.topk_batch(none, 3).empty());
    const TopKIndex<float> empty(RowMatrix<float>(0, 2), Metric::cosine);
    CHECK(empty.topk(q, 3).empty());
}

TEST_CASE("TopKIndex rejects bad input with clear messages", "[search][topk]") {
    RowMatrix<float> data(4, 3);
    data.setOnes();
    data(2, 1) = 2;
    const TopKIndex<float> index(data, Metric::cosine);
    RowVector<float> q(3);
    q << 1, 2, 3;
    using Catch::Matchers::Contains;
    CHECK_THROWS_MATCHES(index.topk(q, 0), embedkit::invalid_argument, Catch::Matchers::Message("TopKIndex: k must be positive, got 0"));
    CHECK_THROWS_AS(index.topk(q, -3), embedkit::invalid_argument);
    RowVector<float> wrong(4);
    wrong.setOnes();
    CHECK_THROWS_WITH(index.topk(wrong, 2), Contains("query dimension 4") && Contains("index dimension 3"));
    RowVector<float> nan = q;
    nan(1) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(index.topk(nan, 2), Contains("NaN or Inf at column 1"));
    RowMatrix<float> batch(3, 3);
    batch.setOnes();
    batch(2, 0) = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH(index.topk_batch(batch, 2), Contains("query 2"));
    SearchOptions opts;
    opts.restrict_rows = -1;
    CHECK_THROWS_AS(index.topk(q, 2, opts), embedkit::invalid_options);
    CHECK_THROWS_WITH(embedkit::validate(opts), Contains("restrict_rows"));
    SearchOptions per_query;
    per_query.exclude_per_query = {{0}, {1}};
    batch(2, 0) = 0;
    CHECK_THROWS_WITH(index.topk_batch(batch, 2, per_query), Contains("2 lists for 3 queries"));
    CHECK_THROWS_AS(index.topk(q, 2, per_query), embedkit::invalid_argument);
    RowMatrix<float> bad = data;
    bad(3, 2) = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH(TopKIndex<float>(bad, Metric::dot), Contains("row 3"));
}
