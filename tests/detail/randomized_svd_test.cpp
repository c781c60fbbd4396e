// Randomized subspace iteration against Eigen's exact SVD; the orthonormal basis.

#include <embedkit/detail/randomized_svd.hpp>

#include <catch2/catch.hpp>

#include <Eigen/Dense>

#include <cmath>

using namespace embedkit;

TEST_CASE("randomized_svd agrees with the exact SVD on a small matrix", "[svd]") {
    // 80 x 50 with singular values 0.8^i and random singular vectors.
    detail::Rng rng(7);
    auto random_matrix = [&](Eigen::Index r, Eigen::Index c) {
        Eigen::MatrixXd m(r, c);
        for (Eigen::Index i = 0; i < r; ++i)
            for (Eigen::Index j = 0; j < c; ++j) m(i, j) = rng.normal<double>();
        return m;
    };
    const Eigen::MatrixXd u = detail::orthonormal_basis(random_matrix(80, 50));
    const Eigen::MatrixXd v = detail::orthonormal_basis(random_matrix(50, 50));
    Eigen::VectorXd s(50);
    for (int i = 0; i < 50; ++i) s(i) = std::pow(0.8, i);
    const Eigen::MatrixXd a = u * s.asDiagonal() * v.transpose();
    detail::RandomizedSvdOptions o;
    o.rank = 8;
    o.oversampling = 10;
    o.iterations = 4;
    o.seed = 3;
    int products = 0;
    const detail::TruncatedSvd svd = detail::randomized_svd(
        80, 50, o, [&](const RowMatrix<double>& x, RowMatrix<double>& y) { y = a * x; },
        [&](const RowMatrix<double>& x, RowMatrix<double>& y) { y = a.transpose() * x; }, [&] { ++products; });
    CHECK(products == 2 * 4 + 2);
    const Eigen::JacobiSVD<Eigen::MatrixXd> exact(a, Eigen::ComputeThinU | Eigen::ComputeThinV);
    REQUIRE(svd.S.size() == 8);
    for (int k = 0; k < 8; ++k) {
        INFO("k = " << k);
        CHECK(svd.S(k) == Approx(exact.singularValues()(k)).epsilon(1e-6));
        CHECK(std::abs(svd.U.col(k).dot(exact.matrixU().col(k))) == Approx(1.0).epsilon(1e-5));
        CHECK(std::abs(svd.V.col(k).dot(exact.matrixV().col(k))) == Approx(1.0).epsilon(1e-5));
    }
    CHECK((svd.U.transpose() * svd.U).isIdentity(1e-10));
    CHECK((svd.V.transpose() * svd.V).isIdentity(1e-10));

    // Without power iterations the top values are still close on this fast-decaying spectrum.
    o.iterations = 0;
    const auto rough = detail::randomized_svd(
        80, 50, o, [&](const RowMatrix<double>& x, RowMatrix<double>& y) { y = a * x; },
        [&](const RowMatrix<double>& x, RowMatrix<double>& y) { y = a.transpose() * x; }, [] {});
    CHECK(rough.S(0) == Approx(1.0).epsilon(1e-3));
}

TEST_CASE("randomized_svd recovers an exactly low-rank matrix, and the basis survives dependent columns", "[svd]") {
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(6, 5);
    a(0, 0) = 3;
    a(1, 1) = 2;
    detail::RandomizedSvdOptions o;
    o.rank = 4;
    o.oversampling = 3;
    const auto svd = detail::randomized_svd(
        6, 5, o, [&](const RowMatrix<double>& x, RowMatrix<double>& y) { y = a * x; },
        [&](const RowMatrix<double>& x, RowMatrix<double>& y) { y = a.transpose() * x; }, [] {});
    CHECK(svd.S(0) == Approx(3));
    CHECK(svd.S(1) == Approx(2));
    CHECK(svd.S(2) == Approx(0).margin(1e-12));
    const Eigen::MatrixXd low = svd.U * svd.S.asDiagonal() * svd.V.transpose();
    CHECK(low.isApprox(a, 1e-12));

    Eigen::MatrixXd y(4, 3);
    y << 1, 2, 1, 0, 0, 0, 1, 2, 1, 0, 0, 0;  // columns 0 and 2 equal, column 1 = 2 x column 0
    const Eigen::MatrixXd q = detail::orthonormal_basis(y);
    CHECK((q.transpose() * q).isIdentity(1e-12));
    CHECK_THROWS_AS(detail::randomized_svd(
                        0, 5, o, [](const RowMatrix<double>&, RowMatrix<double>&) {},
                        [](const RowMatrix<double>&, RowMatrix<double>&) {}, [] {}),
                    invalid_argument);
}
