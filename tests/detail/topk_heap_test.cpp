#include <embedkit/detail/topk_heap.hpp>

#include <embedkit/detail/rng.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <vector>

using embedkit::Neighbor;
using embedkit::TokenId;
using embedkit::detail::TopKHeap;

TEST_CASE("TopKHeap keeps the k best of any push order", "[detail][topk]") {
    embedkit::detail::Rng rng(5);
    for (std::size_t k : {1u, 2u, 7u, 50u, 200u}) {
        for (int trial = 0; trial < 20; ++trial) {
            const std::size_t n = 1 + rng.below(150);
            std::vector<Neighbor<float>> all;
            for (std::size_t i = 0; i < n; ++i) {
                // few distinct scores: many ties
                all.push_back({static_cast<TokenId>(i), static_cast<float>(rng.below(10))});
            }
            std::vector<Neighbor<float>> shuffled = all;
            for (std::size_t i = shuffled.size(); i > 1; --i) std::swap(shuffled[i - 1], shuffled[rng.below(i)]);
            TopKHeap<float> heap(k);
            for (const auto& x : shuffled) heap.push(x.id, x.score);
            std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
                return a.score > b.score || (a.score == b.score && a.id < b.id);
            });
            all.resize(std::min(k, n));
            INFO("k " << k << " n " << n);
            CHECK(heap.take_sorted() == all);
            CHECK(heap.size() == 0);
            CHECK(heap.capacity() == k);
        }
    }
}

TEST_CASE("TopKHeap threshold, NaN and zero capacity", "[detail][topk]") {
    TopKHeap<double> heap(2);
    CHECK(heap.threshold() == -std::numeric_limits<double>::infinity());
    heap.push(0, std::numeric_limits<double>::quiet_NaN());
    CHECK(heap.size() == 0);  // NaN never enters
    heap.push(3, 1.0);
    heap.push(1, 5.0);
    CHECK(heap.threshold() == 1.0);  // full: the worst kept score
    heap.push(2, 1.0);               // ties the worst kept item (id 3) with a lower id: replaces it
    auto r = heap.take_sorted();
    REQUIRE(r.size() == 2);
    CHECK(r[0].id == 1);
    CHECK(r[1].id == 2);
    heap.push(9, -std::numeric_limits<double>::infinity());
    CHECK(heap.size() == 1);
    TopKHeap<double> none(0);
    none.push(0, 1e300);
    none.push(1, std::numeric_limits<double>::infinity());
    CHECK(none.take_sorted().empty());
    CHECK(embedkit::detail::better(Neighbor<double>{4, 2.0}, Neighbor<double>{1, 1.0}));
    CHECK(embedkit::detail::better(Neighbor<double>{1, 2.0}, Neighbor<double>{4, 2.0}));
    CHECK_FALSE(embedkit::detail::better(Neighbor<double>{4, 2.0}, Neighbor<double>{1, 2.0}));
}
