#include <embedkit/detail/blocked_topk.hpp>

#include <embedkit/detail/rng.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <set>
#include <vector>

using embedkit::Neighbor;
using embedkit::RowMatrix;
using embedkit::TokenId;

namespace {

// A dot-product scorer over integer data (exact in float), counting the blocks it is asked for.
struct DotScorer {
    const RowMatrix<float>* queries;
    const RowMatrix<float>* rows;
    std::atomic<int>* blocks;
    Eigen::Index q0 = 0, qn = 0;
    void set_queries(Eigen::Index first, Eigen::Index count) {
        q0 = first;
        qn = count;
    }
    void score(Eigen::Index r0, Eigen::Index rn, RowMatrix<float>& out) {
        ++*blocks;
        out.resize(qn, rn);  // plain loops: the engine must not care how scores are made
        for (Eigen::Index i = 0; i < qn; ++i)
            for (Eigen::Index j = 0; j < rn; ++j) out(i, j) = queries->row(q0 + i).dot(rows->row(r0 + j));
    }
    void finish(Eigen::Index, std::vector<Neighbor<float>>&) const {}
};

}  // namespace

TEST_CASE("blocked_topk: every block shape and thread split gives the full-sort answer", "[detail][topk]") {
    embedkit::detail::Rng rng(11);
    const Eigen::Index n = 97, d = 5;
    RowMatrix<float> rows(n, d);
    RowMatrix<float> queries(23, d);
    for (Eigen::Index i = 0; i < rows.size(); ++i) rows.data()[i] = static_cast<float>(static_cast<int>(rng.below(5)) - 2);
    for (Eigen::Index i = 0; i < queries.size(); ++i) queries.data()[i] = static_cast<float>(static_cast<int>(rng.below(5)) - 2);
    embedkit::detail::Exclusions ex;
    ex.shared = {3, 40, 96};
    ex.per_query.resize(static_cast<std::size_t>(queries.rows()));
    for (auto& list : ex.per_query) {
        list = embedkit::detail::sorted_unique_ids({static_cast<TokenId>(rng.below(97)), static_cast<TokenId>(rng.below(97)), 500, -1}, n);
    }
    for (Eigen::Index nq : {Eigen::Index{1}, Eigen::Index{2}, Eigen::Index{23}}) {
        for (Eigen::Index k : {Eigen::Index{1}, Eigen::Index{6}, Eigen::Index{200}}) {
            for (unsigned threads : {1u, 2u, 5u}) {
                for (embedkit::detail::BlockShape shape : {embedkit::detail::BlockShape{1, 1}, embedkit::detail::BlockShape{4, 10},
                                                            embedkit::detail::BlockShape{128, 1024}}) {
                    std::atomic<int> blocks{0};
                    embedkit::detail::Exclusions e = ex;
                    e.per_query.resize(static_cast<std::size_t>(nq));
                    const auto got = embedkit::detail::blocked_topk<float>(
                        nq, n, k, e, threads, [&] { return DotScorer{&queries, &rows, &blocks}; }, shape);
                    REQUIRE(static_cast<Eigen::Index>(got.size()) == nq);
                    CHECK(blocks.load() > 0);
                    for (Eigen::Index q = 0; q < nq; ++q) {
                        std::set<TokenId> excluded(ex.shared.begin(), ex.shared.end());
                        excluded.insert(ex.per_query[static_cast<std::size_t>(q)].begin(), ex.per_query[static_cast<std::size_t>(q)].end());
                        std::vector<Neighbor<float>> want;
                        for (Eigen::Index r = 0; r < n; ++r) {
                            if (!excluded.count(static_cast<TokenId>(r))) want.push_back({static_cast<TokenId>(r), queries.row(q).dot(rows.row(r))});
                        }
                        std::sort(want.begin(), want.end(), embedkit::detail::better<float>);
                        if (static_cast<Eigen::Index>(want.size()) > k) want.resize(static_cast<std::size_t>(k));
                        INFO("nq " << nq << " k " << k << " threads " << threads << " shape " << shape.queries << "x" << shape.rows);
                        CHECK(got[static_cast<std::size_t>(q)] == want);
                    }
                }
            }
        }
    }
}

TEST_CASE("blocked_topk handles no queries and no rows", "[detail][topk]") {
    RowMatrix<float> rows(0, 3), queries(2, 3);
    queries.setOnes();
    std::atomic<int> blocks{0};
    const auto none = embedkit::detail::blocked_topk<float>(2, 0, 5, {}, 2, [&] { return DotScorer{&queries, &rows, &blocks}; });
    REQUIRE(none.size() == 2);
    CHECK(none[0].empty());
    CHECK(embedkit::detail::blocked_topk<float>(0, 0, 5, {}, 2, [&] { return DotScorer{&queries, &rows, &blocks}; }).empty());
    CHECK(embedkit::detail::threads_for_work(1, 10, 10, 8) == 1u);
    CHECK(embedkit::detail::threads_for_work(100, 100000, 100, 3) == 3u);
    CHECK(embedkit::detail::sorted_unique_ids({5, 1, 5, -2, 9, 1}, 9) == std::vector<TokenId>{1, 5});
}
