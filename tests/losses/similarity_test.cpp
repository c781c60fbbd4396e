#include <embedkit/losses/similarity.hpp>

#include "losses/gradient_check.hpp"

#include <catch2/catch.hpp>

using embedkit::RowMatrix;
using embedkit::Similarity;
using embedkit::similarity_matrix;
using embedkit_test::random_matrix;

TEST_CASE("similarity_matrix: cosine and dot against direct formulas", "[losses][similarity]") {
    RowMatrix<double> x = random_matrix(4, 6, 1);
    const RowMatrix<double> y = random_matrix(3, 6, 2);
    x.row(2).setZero();
    const RowMatrix<double> cos = similarity_matrix(x, y);
    const RowMatrix<double> dot = similarity_matrix(x, y, Similarity::dot);
    REQUIRE(cos.rows() == 4);
    REQUIRE(cos.cols() == 3);
    for (Eigen::Index i = 0; i < 4; ++i) {
        for (Eigen::Index j = 0; j < 3; ++j) {
            CHECK(dot(i, j) == Approx(x.row(i).dot(y.row(j))).margin(1e-14));
            const double expected = i == 2 ? 0.0 : x.row(i).dot(y.row(j)) / (x.row(i).norm() * y.row(j).norm());
            CHECK(cos(i, j) == Approx(expected).margin(1e-14));
        }
    }
    // Self-similarity of unit rows is 1 on the diagonal; the zero row scores 0 with itself.
    const RowMatrix<float> self = similarity_matrix(x.cast<float>().eval(), x.cast<float>().eval());
    CHECK(self(0, 0) == Approx(1.0f));
    CHECK(self(2, 2) == 0.0f);
}

TEST_CASE("similarity: parsing and errors", "[losses][similarity]") {
    using Catch::Matchers::Contains;
    CHECK(embedkit::parse_similarity("dot") == Similarity::dot);
    CHECK(embedkit::parse_similarity(embedkit::to_string(Similarity::cosine)) == Similarity::cosine);
    CHECK_THROWS_WITH(embedkit::parse_similarity("euclid"), Contains("'euclid'"));
    CHECK_THROWS_WITH(similarity_matrix(random_matrix(2, 3, 1), random_matrix(2, 4, 2)), Contains("dimension 3"));
    CHECK_THROWS_AS(similarity_matrix(random_matrix(2, 3, 1), random_matrix(2, 3, 2), Similarity::cosine, 0.0),
                    embedkit::invalid_argument);
}
