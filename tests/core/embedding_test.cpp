#include <embedkit/core/embedding.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using embedkit::Embedding;
using embedkit::EmbeddingOptions;
using embedkit::Init;
using embedkit::RowMatrix;
using embedkit::TokenId;

TEST_CASE("Embedding: shape and uniform_word2vec range", "[core][embedding]") {
    const Embedding<float> e(50, 8);
    CHECK(e.rows() == 50);
    CHECK(e.dim() == 8);
    CHECK_FALSE(e.padding_row().has_value());
    const float bound = 0.5f / 8.0f;
    CHECK(e.weights().maxCoeff() <= bound);
    CHECK(e.weights().minCoeff() >= -bound);
    // 400 values uniform in [-1/16, 1/16): not all zero, both signs, mean near 0.
    CHECK(e.weights().maxCoeff() > 0.5f * bound);
    CHECK(e.weights().minCoeff() < -0.5f * bound);
    CHECK(std::abs(e.weights().mean()) < 0.01f);
    // Rows differ from each other.
    CHECK((e.weights().row(0) - e.weights().row(1)).norm() > 0.0f);
}

TEST_CASE("Embedding: row i comes from stream_seed(seed, i)", "[core][embedding]") {
    EmbeddingOptions opts;
    opts.seed = 77;
    const Embedding<double> e(10, 5, opts);
    for (Eigen::Index i = 0; i < 10; ++i) {
        embedkit::detail::Rng rng(embedkit::detail::stream_seed(77, static_cast<std::uint64_t>(i)));
        for (Eigen::Index j = 0; j < 5; ++j) {
            const double expected = (rng.uniform<double>() - 0.5) / 5.0;
            CHECK(e.weights()(i, j) == expected);
        }
    }
    // A different seed gives different values; the same seed the same.
    opts.seed = 78;
    const Embedding<double> other(10, 5, opts);
    CHECK_FALSE(other.weights().isApprox(e.weights()));
    opts.seed = 77;
    CHECK(Embedding<double>(10, 5, opts).weights() == e.weights());
}

TEST_CASE("Embedding: identical values for 1 and N threads", "[core][embedding]") {
    for (const Init init : {Init::uniform_word2vec, Init::normal}) {
        EmbeddingOptions opts;
        opts.init = init;
        opts.seed = 12345;
        opts.padding_row = 3;
        opts.threads = 1;
        const Embedding<float> one(1001, 16, opts);
        for (const unsigned threads : {2u, 3u, 7u, 0u}) {
            opts.threads = threads;
            const Embedding<float> many(1001, 16, opts);
            CHECK(many.weights() == one.weights());
        }
    }
}

TEST_CASE("Embedding: normal init statistics and zeros", "[core][embedding]") {
    EmbeddingOptions opts;
    opts.init = Init::normal;
    opts.sigma = 0.3;
    opts.seed = 5;
    const Embedding<double> e(2000, 50, opts);  // 100,000 draws
    const double mean = e.weights().mean();
    const double var = (e.weights().array() - mean).square().mean();
    CHECK(std::abs(mean) < 0.005);                  // standard error 0.3 / sqrt(1e5) ~ 0.001
    CHECK(std::abs(std::sqrt(var) - 0.3) < 0.005);  // relative standard error ~ 0.2%

    opts.sigma = 0.0;
    CHECK(Embedding<double>(4, 3, opts).weights().isZero(0.0));

    opts.init = Init::zeros;
    opts.sigma = 0.1;
    const Embedding<float> z(7, 3, opts);
    CHECK(z.weights().isZero(0.0f));
}

TEST_CASE("Embedding: padding row is zero after every initialiser", "[core][embedding]") {
    for (const Init init : {Init::uniform_word2vec, Init::normal, Init::zeros}) {
        EmbeddingOptions opts;
        opts.init = init;
        opts.padding_row = 4;
        const Embedding<float> e(9, 6, opts);
        CHECK(e.padding_row() == std::optional<TokenId>(4));
        CHECK(e.is_padding(4));
        CHECK_FALSE(e.is_padding(3));
        CHECK(e.row(4).isZero(0.0f));
        if (init != Init::zeros) CHECK_FALSE(e.row(3).isZero(0.0f));
    }
}

TEST_CASE("Embedding: row, gather and from_matrix", "[core][embedding]") {
    RowMatrix<float> m(4, 3);
    m << 1, 2, 3,  //
        4, 5, 6,   //
        7, 8, 9,   //
        10, 11, 12;
    auto e = Embedding<float>::from_matrix(m, TokenId{1});
    CHECK(e.rows() == 4);
    CHECK(e.dim() == 3);
    CHECK(e.row(1).isZero(0.0f));  // from_matrix zeroes the padding row
    CHECK(e.row(2)(0) == 7.0f);
    CHECK(e.row(3)(2) == 12.0f);

    const RowMatrix<float> g = e.gather({3, 0, 3, 1});
    REQUIRE(g.rows() == 4);
    REQUIRE(g.cols() == 3);
    CHECK(g.row(0) == m.row(3));
    CHECK(g.row(1) == m.row(0));
    CHECK(g.row(2) == m.row(3));
    CHECK(g.row(3).isZero(0.0f));

    RowMatrix<float> out(2, 3);
    out.setConstant(-1.0f);
    e.gather({2, 0}, out);
    CHECK(out.row(0) == m.row(2));
    CHECK(out.row(1) == m.row(0));
    CHECK(e.gather({}).rows() == 0);

    // An error leaves the output untouched.
    CHECK_THROWS_AS(e.gather({0, 4}, out), embedkit::invalid_argument);
    CHECK(out.row(0) == m.row(2));

    // Mutable weights, then restoring the padding row.
    e.weights()(1, 0) = 5.0f;
    e.weights()(0, 0) = 42.0f;
    e.zero_padding_row();
    CHECK(e.row(1).isZero(0.0f));
    CHECK(e.row(0)(0) == 42.0f);
}

TEST_CASE("Embedding: errors name what is wrong", "[core][embedding]") {
    const Embedding<float> e(3, 2);
    CHECK_THROWS_WITH(e.row(3), Catch::Contains("id 3"));
    CHECK_THROWS_WITH(e.row(-1), Catch::Contains("id -1"));
    CHECK_THROWS_AS(e.row(3), embedkit::invalid_argument);
    CHECK_THROWS_WITH(e.gather({0, 1, 7}), Catch::Contains("id 7"));
    CHECK_THROWS_AS(e.gather({embedkit::kSentenceEnd}), embedkit::invalid_argument);

    CHECK_THROWS_WITH(Embedding<float>(-1, 2), Catch::Contains("rows"));
    CHECK_THROWS_AS(Embedding<float>(-1, 2), embedkit::invalid_argument);
    CHECK_THROWS_WITH(Embedding<float>(3, 0), Catch::Contains("dim"));
    CHECK_THROWS_AS(Embedding<float>(3, -2), embedkit::invalid_argument);
    CHECK_NOTHROW(Embedding<float>(0, 2));

    EmbeddingOptions bad;
    bad.init = Init::normal;
    bad.sigma = -0.1;
    CHECK_THROWS_AS(Embedding<float>(3, 2, bad), embedkit::invalid_options);
    CHECK_THROWS_WITH(Embedding<float>(3, 2, bad), Catch::Contains("sigma"));
    bad.sigma = std::nan("");
    CHECK_THROWS_WITH(embedkit::validate(bad), Catch::Contains("sigma"));

    EmbeddingOptions pad;
    pad.padding_row = 3;
    CHECK_THROWS_AS(Embedding<float>(3, 2, pad), embedkit::invalid_options);
    CHECK_THROWS_WITH(Embedding<float>(3, 2, pad), Catch::Contains("padding_row"));
    pad.padding_row = -1;
    CHECK_THROWS_WITH(Embedding<float>(3, 2, pad), Catch::Contains("padding_row"));
    pad.padding_row = 2;
    CHECK_NOTHROW(Embedding<float>(3, 2, pad));

    CHECK_THROWS_WITH(Embedding<float>::from_matrix(RowMatrix<float>::Ones(2, 2), TokenId{2}),
                      Catch::Contains("padding_row"));
    CHECK_THROWS_WITH(Embedding<float>::from_matrix(RowMatrix<float>(2, 0)), Catch::Contains("dim"));
    RowMatrix<float> with_nan = RowMatrix<float>::Ones(2, 2);
    with_nan(1, 1) = std::nanf("");
    CHECK_THROWS_AS(Embedding<float>::from_matrix(with_nan), embedkit::invalid_argument);
}

TEST_CASE("EmbeddingOptions: an unknown initialiser is named", "[core][embedding]") {
    EmbeddingOptions o;
    o.init = static_cast<Init>(9);
    CHECK_THROWS_AS(embedkit::validate(o), embedkit::invalid_options);
    CHECK_THROWS_WITH(embedkit::validate(o), Catch::Contains("EmbeddingOptions.init"));
}
