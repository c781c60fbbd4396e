#include <embedkit/detail/kernels.hpp>

#include <embedkit/detail/rng.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using embedkit::RowMatrix;
using embedkit::RowVector;

TEMPLATE_TEST_CASE("Kernels match plain loops", "[detail][kernels]", float, double) {
    using S = TestType;
    embedkit::detail::Rng rng(3);
    for (Eigen::Index n : {1, 3, 7, 8, 9, 31, 100, 301}) {
        RowVector<S> a(n), b(n);
        long double dot = 0, d2 = 0, na = 0, nb = 0;
        for (Eigen::Index i = 0; i < n; ++i) {
            a(i) = rng.normal<S>();
            b(i) = rng.normal<S>();
            dot += static_cast<long double>(a(i)) * b(i);
            d2 += static_cast<long double>(a(i) - b(i)) * (a(i) - b(i));
            na += static_cast<long double>(a(i)) * a(i);
            nb += static_cast<long double>(b(i)) * b(i);
        }
        const double tol = std::is_same_v<S, float> ? 1e-4 : 1e-12;
        INFO("n " << n);
        CHECK(embedkit::detail::dot(a, b) == Approx(static_cast<double>(dot)).epsilon(tol).margin(tol));
        CHECK(embedkit::detail::dot(a.data(), b.data(), n) == Approx(static_cast<double>(dot)).epsilon(tol).margin(tol));
        CHECK(embedkit::detail::dot(a, b.transpose()) == Approx(static_cast<double>(dot)).epsilon(tol).margin(tol));
        CHECK(embedkit::detail::squared_l2(a, b) == Approx(static_cast<double>(d2)).epsilon(tol));
        CHECK(embedkit::detail::squared_l2(a.data(), b.data(), n) == Approx(static_cast<double>(d2)).epsilon(tol));
        CHECK(embedkit::detail::norm(a) == Approx(std::sqrt(static_cast<double>(na))).epsilon(tol));
        CHECK(embedkit::detail::norm(a.data(), n) == Approx(std::sqrt(static_cast<double>(na))).epsilon(tol));
        CHECK(embedkit::detail::cosine(a, b) ==
              Approx(static_cast<double>(dot / std::sqrt(na * nb))).epsilon(tol).margin(tol));
    }
}

TEST_CASE("cosine and normalize_rows handle zero vectors", "[detail][kernels]") {
    RowMatrix<double> m(3, 2);
    m << 3, 4, 0, 0, -2, 0;
    embedkit::detail::normalize_rows(m);
    CHECK(m(0, 0) == Approx(0.6));
    CHECK(m(0, 1) == Approx(0.8));
    CHECK(m(1, 0) == 0.0);  // stays zero, no NaN
    CHECK(m(1, 1) == 0.0);
    CHECK(m(2, 0) == -1.0);
    RowVector<double> a(2), z(2);
    a << 1, 1;
    z << 0, 0;
    CHECK(embedkit::detail::cosine(a, z) == 0.0);
    CHECK(embedkit::detail::cosine(a, m.row(0)) == Approx(1.4 / std::sqrt(2.0)));
    RowMatrix<float> big(4, 3);
    big.setConstant(2.0f);
    embedkit::detail::normalize_rows(big.middleRows(1, 2));
    CHECK(big(0, 0) == 2.0f);
    CHECK(big(1, 0) == Approx(1.0f / std::sqrt(3.0f)));
    CHECK(big(3, 2) == 2.0f);
}
