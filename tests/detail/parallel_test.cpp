#include <embedkit/detail/parallel.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstddef>
#include <stdexcept>
#include <vector>

using embedkit::detail::parallel_for;
using embedkit::detail::resolve_threads;
using embedkit::detail::run_threads;

TEST_CASE("parallel_for covers 0..n-1 exactly once", "[detail][parallel]") {
    for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{17},
                                std::size_t{1000}}) {
        for (const unsigned threads : {1u, 2u, 3u, 4u, 8u, 0u}) {
            std::vector<std::atomic<int>> hits(n);
            for (auto& h : hits) h = 0;
            std::atomic<int> calls{0};
            std::atomic<bool> bad_block{false};
            const unsigned resolved = resolve_threads(threads);
            parallel_for(n, resolved, [&](std::size_t begin, std::size_t end, unsigned t) {
                if (!(begin < end && end <= n && t < resolved)) bad_block = true;
                ++calls;
                for (std::size_t i = begin; i < end; ++i) ++hits[i];
            });
            INFO("n = " << n << ", threads = " << threads);
            CHECK_FALSE(bad_block);
            CHECK(calls <= static_cast<int>(resolved));
            for (std::size_t i = 0; i < n; ++i) REQUIRE(hits[i] == 1);
        }
    }
}

TEST_CASE("resolve_threads: 0 means all cores, otherwise as asked", "[detail][parallel]") {
    CHECK(resolve_threads(0) >= 1);
    CHECK(resolve_threads(3) == 3);
}

TEST_CASE("run_threads runs each index once", "[detail][parallel]") {
    for (const unsigned threads : {1u, 2u, 5u}) {
        std::vector<std::atomic<int>> hits(threads);
        for (auto& h : hits) h = 0;
        run_threads(threads, [&](unsigned t) { ++hits[t]; });
        for (auto& h : hits) CHECK(h == 1);
    }
    std::atomic<int> count{0};
    run_threads(0, [&](unsigned) { ++count; });  // at least one thread
    CHECK(count == 1);
}

TEST_CASE("a worker's exception is rethrown after every thread finished", "[detail][parallel]") {
    std::atomic<int> finished{0};
    CHECK_THROWS_WITH(run_threads(4,
                                  [&](unsigned t) {
                                      if (t == 2) throw std::runtime_error("worker 2 failed");
                                      ++finished;
                                  }),
                      "worker 2 failed");
    CHECK(finished == 3);

    // From parallel_for, whichever block throws (here a non-calling thread's block).
    std::atomic<int> blocks_done{0};
    CHECK_THROWS_AS(parallel_for(100, 4,
                                 [&](std::size_t begin, std::size_t, unsigned) {
                                     if (begin >= 50) throw std::out_of_range("late block");
                                     ++blocks_done;
                                 }),
                    std::out_of_range);
    CHECK(blocks_done == 2);

    // Every block throwing still reports exactly one exception.
    CHECK_THROWS_AS(parallel_for(10, 3, [](std::size_t, std::size_t, unsigned) { throw std::logic_error("all"); }),
                    std::logic_error);
}
