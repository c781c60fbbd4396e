#include <embedkit/core/positional_encoding.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using embedkit::RowMatrix;
using embedkit::sinusoidal_positional_encoding;

TEST_CASE("sinusoidal_positional_encoding: known values for dim 4", "[core][positional_encoding]") {
    const RowMatrix<double> pe = sinusoidal_positional_encoding<double>(50, 4);
    REQUIRE(pe.rows() == 50);
    REQUIRE(pe.cols() == 4);
    // Position 0: sines 0, cosines 1.
    CHECK(pe(0, 0) == 0.0);
    CHECK(pe(0, 1) == 1.0);
    CHECK(pe(0, 2) == 0.0);
    CHECK(pe(0, 3) == 1.0);
    // dim 4: the pairs have frequencies 1 and 10000^(-2/4) = 1/100.
    for (const Eigen::Index p : {1, 7, 49}) {
        const double x = static_cast<double>(p);
        CHECK(pe(p, 0) == Approx(std::sin(x)).margin(1e-15));
        CHECK(pe(p, 1) == Approx(std::cos(x)).margin(1e-15));
        CHECK(pe(p, 2) == Approx(std::sin(x / 100.0)).margin(1e-15));
        CHECK(pe(p, 3) == Approx(std::cos(x / 100.0)).margin(1e-15));
    }
}

TEST_CASE("sinusoidal_positional_encoding: general formula, odd dim, base", "[core][positional_encoding]") {
    for (const Eigen::Index dim : {1, 2, 5, 16, 33}) {
        const RowMatrix<float> pe = sinusoidal_positional_encoding<float>(30, dim);
        REQUIRE(pe.cols() == dim);
        for (Eigen::Index p = 0; p < 30; ++p) {
            for (Eigen::Index j = 0; j < dim; ++j) {
                const double i2 = static_cast<double>(j - j % 2);  // 2i
                const double angle = static_cast<double>(p) / std::pow(10000.0, i2 / static_cast<double>(dim));
                const double expected = (j % 2 == 0) ? std::sin(angle) : std::cos(angle);
                CHECK(pe(p, j) == Approx(expected).margin(1e-6));
            }
        }
    }
    // Odd dim: the last column is a sine (0 at position 0), the cosine partner dropped.
    const RowMatrix<double> odd = sinusoidal_positional_encoding<double>(3, 5);
    CHECK(odd(0, 4) == 0.0);
    CHECK(odd(2, 4) == Approx(std::sin(2.0 / std::pow(10000.0, 4.0 / 5.0))));

    // Each (sin, cos) pair lies on the unit circle.
    const RowMatrix<double> pe = sinusoidal_positional_encoding<double>(100, 8, 500.0);
    for (Eigen::Index p = 0; p < 100; ++p)
        for (Eigen::Index j = 0; j < 8; j += 2) CHECK(pe(p, j) * pe(p, j) + pe(p, j + 1) * pe(p, j + 1) == Approx(1.0));
    CHECK(pe(3, 2) == Approx(std::sin(3.0 / std::pow(500.0, 2.0 / 8.0))));
}

TEST_CASE("sinusoidal_positional_encoding: errors", "[core][positional_encoding]") {
    CHECK(sinusoidal_positional_encoding<float>(0, 4).rows() == 0);
    CHECK_THROWS_WITH(sinusoidal_positional_encoding<float>(-1, 4), Catch::Contains("positions"));
    CHECK_THROWS_WITH(sinusoidal_positional_encoding<float>(3, 0), Catch::Contains("dim"));
    CHECK_THROWS_WITH(sinusoidal_positional_encoding<float>(3, 4, 0.0), Catch::Contains("base"));
    CHECK_THROWS_AS(sinusoidal_positional_encoding<float>(3, 4, std::nan("")), embedkit::invalid_argument);
}
