#include <embedkit/losses/nt_xent.hpp>

#include "losses/gradient_check.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using embedkit::NtXentOptions;
using embedkit::RowMatrix;
using embedkit::Similarity;
using embedkit::nt_xent_loss;
using embedkit_test::numeric_gradient;
using embedkit_test::random_matrix;
using embedkit_test::relative_error;

namespace {

NtXentOptions nt_xent_options(double temperature, Similarity s = Similarity::cosine) {
    NtXentOptions o;
    o.temperature = temperature;
    o.similarity = s;
    return o;
}

// SimCLR's definition, term by term: 2B views, each against the other 2B - 1.
double naive_nt_xent(const RowMatrix<double>& x, const RowMatrix<double>& y, double t, Similarity s) {
    const Eigen::Index b = x.rows();
    RowMatrix<double> z(2 * b, x.cols());
    z << x, y;
    if (s == Similarity::cosine) {
        for (Eigen::Index k = 0; k < 2 * b; ++k) z.row(k) /= z.row(k).norm();
    }
    double total = 0;
    for (Eigen::Index k = 0; k < 2 * b; ++k) {
        const Eigen::Index partner = k < b ? k + b : k - b;
        double denom = 0;
        for (Eigen::Index j = 0; j < 2 * b; ++j) {
            if (j != k) denom += std::exp(z.row(k).dot(z.row(j)) / t);
        }
        total += -std::log(std::exp(z.row(k).dot(z.row(partner)) / t) / denom);
    }
    return total / static_cast<double>(2 * b);
}

}  // namespace

TEST_CASE("nt_xent_loss: value matches SimCLR's formula", "[losses][nt_xent]") {
    const RowMatrix<double> x = random_matrix(5, 6, 1);
    const RowMatrix<double> y = random_matrix(5, 6, 2);
    CHECK(nt_xent_loss(x, y, nt_xent_options(0.5)).loss == Approx(naive_nt_xent(x, y, 0.5, Similarity::cosine)).epsilon(1e-12));
    CHECK(nt_xent_loss(x, y, nt_xent_options(0.1)).loss == Approx(naive_nt_xent(x, y, 0.1, Similarity::cosine)).epsilon(1e-12));
    CHECK(nt_xent_loss(x, y, nt_xent_options(4.0, Similarity::dot)).loss ==
          Approx(naive_nt_xent(x, y, 4.0, Similarity::dot)).epsilon(1e-12));
}

TEST_CASE("nt_xent_loss: gradients match central differences", "[losses][nt_xent][gradient]") {
    RowMatrix<double> x = random_matrix(4, 5, 11);
    RowMatrix<double> y = random_matrix(4, 5, 12);
    for (const Similarity s : {Similarity::cosine, Similarity::dot}) {
        const NtXentOptions o = nt_xent_options(s == Similarity::cosine ? 0.2 : 3.0, s);
        const auto r = nt_xent_loss(x, y, o);
        auto f = [&] { return nt_xent_loss(x, y, o).loss; };
        INFO("similarity " << embedkit::to_string(s));
        CHECK(relative_error(r.grad_first, numeric_gradient(x, f)) < 1e-6);
        CHECK(relative_error(r.grad_second, numeric_gradient(y, f)) < 1e-6);
    }
}

TEST_CASE("nt_xent_loss: symmetric in its two views, B = 1 has nothing to contrast", "[losses][nt_xent]") {
    const RowMatrix<double> x = random_matrix(6, 8, 21);
    const RowMatrix<double> y = random_matrix(6, 8, 22);
    const auto r = nt_xent_loss(x, y);
    const auto swapped = nt_xent_loss(y, x);
    CHECK(swapped.loss == Approx(r.loss).epsilon(1e-12));
    CHECK(relative_error(swapped.grad_first, r.grad_second) < 1e-12);
    CHECK(relative_error(swapped.grad_second, r.grad_first) < 1e-12);
    // Identical views of well-separated examples: each view finds its partner, loss near 0.
    RowMatrix<double> eye = RowMatrix<double>::Identity(4, 4);
    CHECK(nt_xent_loss(eye, eye, nt_xent_options(0.05)).loss < 1e-6);

    const auto one = nt_xent_loss(x.topRows(1), y.topRows(1));
    CHECK(one.loss == Approx(0.0).margin(1e-15));
    CHECK(one.grad_first.isZero(1e-15));
    CHECK(one.grad_second.isZero(1e-15));
}

TEST_CASE("nt_xent_loss: huge logits and zero vectors stay finite", "[losses][nt_xent]") {
    const RowMatrix<double> x = random_matrix(4, 3, 31, 1e4);
    const RowMatrix<double> y = random_matrix(4, 3, 32, 1e4);
    const auto r = nt_xent_loss(x, y, nt_xent_options(0.01, Similarity::dot));
    CHECK(std::isfinite(r.loss));
    CHECK(r.grad_first.allFinite());
    CHECK(r.grad_second.allFinite());
    const auto rf = nt_xent_loss(x.cast<float>(), y.cast<float>(), nt_xent_options(0.01, Similarity::dot));
    CHECK(std::isfinite(rf.loss));
    CHECK(rf.grad_first.allFinite());

    RowMatrix<double> zx = random_matrix(3, 4, 33);
    zx.row(0).setZero();
    RowMatrix<double> zy = RowMatrix<double>::Zero(3, 4);
    const auto z = nt_xent_loss(zx, zy);
    CHECK(std::isfinite(z.loss));
    CHECK(z.grad_first.allFinite());
    CHECK(z.grad_second.allFinite());
}

TEST_CASE("nt_xent_loss: shape errors and options", "[losses][nt_xent]") {
    using Catch::Matchers::Contains;
    const RowMatrix<double> x = random_matrix(4, 3, 41);
    CHECK_THROWS_WITH(nt_xent_loss(x, random_matrix(5, 3, 1)),
                      Contains("first_views are 4 x 3 but second_views are 5 x 3"));
    CHECK_THROWS_WITH(nt_xent_loss(RowMatrix<double>(0, 3), RowMatrix<double>(0, 3)), Contains("first_views is 0 x 3"));
    CHECK_THROWS_WITH(nt_xent_loss(x, x, nt_xent_options(0.0)), Contains("NtXentOptions.temperature"));
    CHECK_THROWS_AS(nt_xent_loss(x, x, nt_xent_options(-0.5)), embedkit::invalid_options);
    CHECK_THROWS_AS(nt_xent_loss(x, x, nt_xent_options(std::numeric_limits<double>::quiet_NaN())), embedkit::invalid_options);
}

TEST_CASE("nt_xent_loss: a reused result matches the by-value answer", "[losses][nt_xent]") {
    const RowMatrix<double> x = random_matrix(5, 4, 51), y = random_matrix(5, 4, 52);
    embedkit::NtXentResult<double> out;
    for (int round = 0; round < 2; ++round) {
        nt_xent_loss(x, y, nt_xent_options(0.3), out);
        const auto fresh = nt_xent_loss(x, y, nt_xent_options(0.3));
        CHECK(out.loss == fresh.loss);
        CHECK(out.grad_first == fresh.grad_first);
        CHECK(out.grad_second == fresh.grad_second);
    }
}

TEST_CASE("NtXentOptions: eps and an unknown similarity are named", "[losses][nt_xent]") {
    NtXentOptions o;
    o.eps = 0;
    CHECK_THROWS_WITH(embedkit::validate(o), Catch::Contains("NtXentOptions.eps"));
    o = {};
    o.similarity = static_cast<Similarity>(9);
    CHECK_THROWS_AS(embedkit::validate(o), embedkit::invalid_options);
    CHECK_THROWS_WITH(embedkit::validate(o), Catch::Contains("NtXentOptions.similarity"));
}
