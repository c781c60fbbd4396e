#include <embedkit/core/pooling.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

using embedkit::Embedding;
using embedkit::RowMatrix;
using embedkit::TokenId;
using embedkit::TokenMask;

namespace {

// Two sequences of length 3, dim 2: rows 0-2 are sequence 0, rows 3-5 sequence 1.
RowMatrix<double> two_sequences() {
    RowMatrix<double> t(6, 2);
    t << 1, 10,  //
        2, 20,   //
        6, 60,   //
        -1, 4,   //
        3, 8,    //
        100, 100;
    return t;
}

}  // namespace

TEST_CASE("masked_mean_pool: hand-computed means", "[core][pooling]") {
    TokenMask mask(2, 3);
    mask << true, false, true,  //
        true, true, false;
    const RowMatrix<double> pooled = embedkit::masked_mean_pool(two_sequences(), mask);
    REQUIRE(pooled.rows() == 2);
    REQUIRE(pooled.cols() == 2);
    CHECK(pooled(0, 0) == Approx((1.0 + 6.0) / 2.0));
    CHECK(pooled(0, 1) == Approx((10.0 + 60.0) / 2.0));
    CHECK(pooled(1, 0) == Approx((-1.0 + 3.0) / 2.0));
    CHECK(pooled(1, 1) == Approx((4.0 + 8.0) / 2.0));

    mask.setConstant(true);
    const RowMatrix<double> all = embedkit::masked_mean_pool(two_sequences(), mask);
    CHECK(all(0, 0) == Approx(3.0));
    CHECK(all(1, 1) == Approx(112.0 / 3.0));
}

TEST_CASE("masked_mean_pool: an all-masked sequence is zero, masked NaN never leaks", "[core][pooling]") {
    RowMatrix<float> t = two_sequences().cast<float>();
    t(1, 0) = std::numeric_limits<float>::quiet_NaN();  // masked position of sequence 0
    t(5, 1) = std::numeric_limits<float>::infinity();   // masked position of sequence 1
    TokenMask mask(2, 3);
    mask << true, false, true,  //
        false, false, false;
    const RowMatrix<float> pooled = embedkit::masked_mean_pool(t, mask);
    CHECK(pooled.allFinite());
    CHECK(pooled(0, 0) == Approx(3.5f));
    CHECK(pooled.row(1).isZero(0.0f));
}

TEST_CASE("masked_mean_pool: works on an expression and checks shapes", "[core][pooling]") {
    const RowMatrix<double> t = two_sequences();
    TokenMask mask = TokenMask::Constant(1, 3, true);
    // Only the first sequence, passed as a block expression.
    const RowMatrix<double> first = embedkit::masked_mean_pool(t.topRows(3), mask);
    CHECK(first(0, 0) == Approx(3.0));

    CHECK_THROWS_AS(embedkit::masked_mean_pool(t, mask), embedkit::invalid_argument);
    const TokenMask wrong = TokenMask::Constant(3, 3, true);
    CHECK_THROWS_WITH(embedkit::masked_mean_pool(t, wrong), Catch::Contains("6 rows"));
    // Empty batch.
    CHECK(embedkit::masked_mean_pool(RowMatrix<double>(0, 2), TokenMask(0, 3)).rows() == 0);
}

TEST_CASE("mean_pool_by_lengths: first lengths[b] positions", "[core][pooling]") {
    const RowMatrix<double> pooled = embedkit::mean_pool_by_lengths(two_sequences(), 3, {2, 0});
    CHECK(pooled(0, 0) == Approx(1.5));
    CHECK(pooled(0, 1) == Approx(15.0));
    CHECK(pooled.row(1).isZero(0.0));

    const RowMatrix<double> full = embedkit::mean_pool_by_lengths(two_sequences(), 3, {3, 1});
    CHECK(full(0, 0) == Approx(3.0));
    CHECK(full(1, 0) == Approx(-1.0));
    CHECK(full(1, 1) == Approx(4.0));

    CHECK_THROWS_WITH(embedkit::mean_pool_by_lengths(two_sequences(), 3, {4, 0}), Catch::Contains("lengths[0]"));
    CHECK_THROWS_WITH(embedkit::mean_pool_by_lengths(two_sequences(), 3, {1, -1}), Catch::Contains("lengths[1]"));
    CHECK_THROWS_AS(embedkit::mean_pool_by_lengths(two_sequences(), 2, {1, 1}), embedkit::invalid_argument);
    CHECK_THROWS_AS(embedkit::mean_pool_by_lengths(two_sequences(), -3, {1, 1}), embedkit::invalid_argument);
}

TEST_CASE("mean_pool_sequences: ragged id sequences skip the padding row", "[core][pooling]") {
    RowMatrix<float> w(4, 2);
    w << 9, 9,  // padding: zeroed by from_matrix anyway
        1, 2,   //
        3, 4,   //
        5, 12;
    const auto table = Embedding<float>::from_matrix(w, TokenId{0});
    const RowMatrix<float> pooled = embedkit::mean_pool_sequences(table, {{1, 2, 0, 0}, {3}, {0, 0}, {}, {2, 2, 3}});
    REQUIRE(pooled.rows() == 5);
    CHECK(pooled(0, 0) == Approx(2.0f));  // padding not counted: (1 + 3) / 2
    CHECK(pooled(0, 1) == Approx(3.0f));
    CHECK(pooled(1, 1) == Approx(12.0f));
    CHECK(pooled.row(2).isZero(0.0f));
    CHECK(pooled.row(3).isZero(0.0f));
    CHECK(pooled(4, 0) == Approx(11.0f / 3.0f));
    CHECK(pooled(4, 1) == Approx(20.0f / 3.0f));

    // Without a padding row, id 0 counts like any other.
    const auto plain = Embedding<float>::from_matrix(w);
    CHECK(embedkit::mean_pool_sequences(plain, {{0, 1}})(0, 0) == Approx(5.0f));

    CHECK_THROWS_WITH(embedkit::mean_pool_sequences(table, {{1}, {2, 4}}),
                      Catch::Contains("sequence 1") && Catch::Contains("id 4"));
}
