#include <embedkit/detail/loss_kernels.hpp>

#include "losses/gradient_check.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using embedkit::RowMatrix;
using embedkit::RowVector;
using embedkit::detail::ColVector;
using embedkit_test::numeric_gradient;
using embedkit_test::random_matrix;
using embedkit_test::relative_error;

TEST_CASE("log_sum_exp: stable for large, small and masked entries", "[losses][kernels]") {
    using embedkit::detail::log_sum_exp;
    RowVector<double> v(3);
    v << 1000, 1001, -std::numeric_limits<double>::infinity();
    CHECK(log_sum_exp(v) == Approx(1001 + std::log1p(std::exp(-1.0))).epsilon(1e-15));
    v << -1000, -1001, -1002;
    CHECK(log_sum_exp(v) == Approx(-1000 + std::log(1 + std::exp(-1.0) + std::exp(-2.0))).epsilon(1e-15));
    RowVector<float> f(2);
    f << 100.0f, 100.0f;  // exp(100) overflows float
    CHECK(log_sum_exp(f) == Approx(100 + std::log(2.0)).epsilon(1e-6));
    CHECK(log_sum_exp(RowVector<double>(0)) == -std::numeric_limits<double>::infinity());
    RowVector<double> all_masked = RowVector<double>::Constant(2, -std::numeric_limits<double>::infinity());
    CHECK(log_sum_exp(all_masked) == -std::numeric_limits<double>::infinity());
}

TEST_CASE("softplus and sigmoid at the extremes", "[losses][kernels]") {
    using embedkit::detail::sigmoid;
    using embedkit::detail::softplus;
    CHECK(softplus(800.0) == 800.0);
    CHECK(softplus(-800.0) >= 0.0);
    CHECK(softplus(-800.0) < 1e-300);
    CHECK(softplus(0.0) == Approx(std::log(2.0)));
    CHECK(softplus(100.0f) == 100.0f);
    CHECK(sigmoid(-800.0) >= 0.0);
    CHECK(sigmoid(800.0) == 1.0);
    CHECK(sigmoid(-100.0f) < 1e-40f);
    CHECK(sigmoid(0.3) + sigmoid(-0.3) == Approx(1.0).epsilon(1e-15));
}

TEST_CASE("softmax_cross_entropy_rows: loss, gradient rows, masks", "[losses][kernels]") {
    RowMatrix<double> logits(2, 3);
    const double inf = std::numeric_limits<double>::infinity();
    logits << 1, 2, 3, 0.5, -inf, 0.5;
    const double loss = embedkit::detail::softmax_cross_entropy_rows(
        logits, [](Eigen::Index i) { return i == 0 ? Eigen::Index{1} : Eigen::Index{2}; }, 0.5, true);
    const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
    CHECK(loss == Approx(std::log(z) - 2 + std::log(2.0)).epsilon(1e-14));
    CHECK(logits(0, 1) == Approx(0.5 * (std::exp(2.0) / z - 1)).epsilon(1e-14));
    CHECK(logits(1, 1) == 0.0);  // masked: exactly no gradient
    CHECK(logits(1, 2) == Approx(-0.25));
    CHECK(logits.row(0).sum() == Approx(0.0).margin(1e-15));
    CHECK(logits.row(1).sum() == Approx(0.0).margin(1e-15));
}

TEST_CASE("softmax_cross_entropy_rows: wide masked rows in float match a direct computation", "[losses][kernels]") {
    // 150 columns: the masked path works in blocks of 64, so masks fall in the first, a middle and
    // the last (partial) block, and at block edges.
    const RowMatrix<double> base = random_matrix(3, 150, 7, 3.0);
    const float inf = std::numeric_limits<float>::infinity();
    RowMatrix<float> logits = base.cast<float>();
    const Eigen::Index masked[] = {0, 63, 64, 100, 127, 128, 149};
    for (Eigen::Index i = 0; i < 3; ++i) {
        for (const Eigen::Index j : masked) {
            if (j != 2 * i + 5) logits(i, j) = -inf;
        }
    }
    const RowMatrix<float> original = logits;
    auto target = [](Eigen::Index i) { return 2 * i + 5; };
    const float scale = 0.25f, input_scale = 2.0f;
    const float loss = embedkit::detail::softmax_cross_entropy_rows(logits, target, scale, true, input_scale);
    double expected_loss = 0;
    for (Eigen::Index i = 0; i < 3; ++i) {
        double z = 0;
        for (Eigen::Index j = 0; j < 150; ++j) {
            if (original(i, j) != -inf) z += std::exp(input_scale * static_cast<double>(original(i, j)));
        }
        expected_loss += std::log(z) - input_scale * static_cast<double>(original(i, target(i)));
        for (Eigen::Index j = 0; j < 150; ++j) {
            INFO("row " << i << " column " << j);
            if (original(i, j) == -inf) {
                CHECK(logits(i, j) == 0.0f);  // exactly, not a tiny exp of a clamped -inf
                continue;
            }
            const double p = std::exp(input_scale * static_cast<double>(original(i, j))) / z;
            CHECK(static_cast<double>(logits(i, j)) == Approx(scale * (p - (j == target(i) ? 1.0 : 0.0))).margin(1e-7));
        }
    }
    CHECK(static_cast<double>(loss) == Approx(expected_loss).epsilon(1e-5));
}

TEST_CASE("normalize_rows_floor: forward and backward", "[losses][kernels][gradient]") {
    RowMatrix<double> x = random_matrix(4, 5, 1);
    x.row(1) *= 1e-10;  // below the floor: the map is x / eps there
    const double eps = 1e-8;
    const RowMatrix<double> c = random_matrix(4, 5, 2);
    RowMatrix<double> xhat;
    ColVector<double> norms;
    embedkit::detail::normalize_rows_floor(x, eps, xhat, norms);
    CHECK(xhat.row(0).norm() == Approx(1.0).epsilon(1e-15));
    CHECK(xhat.row(1).isApprox(x.row(1) / eps));
    // f(x) = sum(c .* xhat): its gradient is the backward pass applied to c.
    RowMatrix<double> grad = c;
    embedkit::detail::normalize_rows_floor_backward(grad, xhat, norms, eps);
    auto f = [&] {
        RowMatrix<double> h;
        ColVector<double> n;
        embedkit::detail::normalize_rows_floor(x, eps, h, n);
        return c.cwiseProduct(h).sum();
    };
    // The floored row has derivative 1/eps = 1e8: check the other rows with the usual step and
    // that row with a step small enough to stay below the floor.
    RowMatrix<double> numeric = numeric_gradient(x, f);
    CHECK(relative_error(grad.middleRows(2, 2), numeric.middleRows(2, 2)) < 1e-6);
    CHECK(relative_error(grad.topRows(1), numeric.topRows(1)) < 1e-6);
    CHECK(relative_error(grad.middleRows(1, 1), numeric_gradient(x, f, 1e-12).middleRows(1, 1)) < 1e-6);
    // A zero row stays zero and its gradient is finite.
    RowMatrix<double> zero = RowMatrix<double>::Zero(1, 3);
    embedkit::detail::normalize_rows_floor(zero, eps, xhat, norms);
    CHECK(xhat.isZero(0));
}
