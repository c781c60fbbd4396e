#include <embedkit/losses/logistic.hpp>

#include "losses/gradient_check.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using embedkit::RowMatrix;
using embedkit::logistic_loss;
using embedkit::logistic_pair_loss;
using embedkit_test::numeric_gradient;
using embedkit_test::random_matrix;
using embedkit_test::relative_error;

namespace {

double log_sigmoid(double x) { return std::log(1.0 / (1.0 + std::exp(-x))); }

}  // namespace

TEST_CASE("logistic_loss: value is word2vec's negative-sampling objective", "[losses][logistic]") {
    const RowMatrix<double> a = random_matrix(4, 5, 1);
    const RowMatrix<double> p = random_matrix(4, 5, 2);
    const RowMatrix<double> n = random_matrix(12, 5, 3);
    double expected = 0;
    for (Eigen::Index i = 0; i < 4; ++i) {
        expected -= log_sigmoid(a.row(i).dot(p.row(i)));
        for (Eigen::Index k = 0; k < 3; ++k) expected -= log_sigmoid(-a.row(i).dot(n.row(3 * i + k)));
    }
    const auto r = logistic_loss(a, p, n);
    CHECK(r.loss == Approx(expected / 4).epsilon(1e-12));

    // K = 1: the same as the pair loss over (a, p, positive) and (a, n, negative), which averages
    // over 2B pairs instead of B anchors.
    const auto one = logistic_loss(a, p, n.topRows(4));
    RowMatrix<double> u(8, 5), v(8, 5);
    u << a, a;
    v << p, n.topRows(4);
    const auto pairs = logistic_pair_loss(u, v, std::vector<int>{1, 1, 1, 1, 0, 0, 0, 0});
    CHECK(one.loss == Approx(2 * pairs.loss).epsilon(1e-12));
    CHECK(relative_error(one.grad_anchors, 2 * (pairs.grad_u.topRows(4) + pairs.grad_u.bottomRows(4))) < 1e-12);
    CHECK(relative_error(one.grad_negatives, 2 * pairs.grad_v.bottomRows(4)) < 1e-12);
}

TEST_CASE("logistic losses: gradients match central differences", "[losses][logistic][gradient]") {
    RowMatrix<double> a = random_matrix(3, 6, 11);
    RowMatrix<double> p = random_matrix(3, 6, 12);
    RowMatrix<double> n = random_matrix(6, 6, 13);
    const auto r = logistic_loss(a, p, n);
    auto f = [&] { return logistic_loss(a, p, n).loss; };
    CHECK(relative_error(r.grad_anchors, numeric_gradient(a, f)) < 1e-6);
    CHECK(relative_error(r.grad_positives, numeric_gradient(p, f)) < 1e-6);
    CHECK(relative_error(r.grad_negatives, numeric_gradient(n, f)) < 1e-6);

    RowMatrix<double> u = random_matrix(5, 4, 14);
    RowMatrix<double> v = random_matrix(5, 4, 15);
    const std::vector<bool> labels{true, false, true, true, false};
    const auto q = logistic_pair_loss(u, v, labels);
    auto g = [&] { return logistic_pair_loss(u, v, labels).loss; };
    CHECK(relative_error(q.grad_u, numeric_gradient(u, g)) < 1e-6);
    CHECK(relative_error(q.grad_v, numeric_gradient(v, g)) < 1e-6);
}

TEST_CASE("logistic losses: huge dot products do not overflow", "[losses][logistic]") {
    // u . v = +-1e4: log(1 + exp(1e4)) overflows if computed naively.
    RowMatrix<double> u(2, 1), v(2, 1);
    u << 100, 100;
    v << 100, -100;
    const auto r = logistic_pair_loss(u, v, std::vector<int>{0, 0});
    // Pair 0 is a negative with score +1e4: cost 1e4. Pair 1 a negative with -1e4: cost ~0.
    CHECK(r.loss == Approx(1e4 / 2).epsilon(1e-12));
    CHECK(r.grad_u(0, 0) == Approx(100.0 / 2));
    CHECK(std::abs(r.grad_u(1, 0)) < 1e-300);
    const auto rf = logistic_pair_loss(u.cast<float>(), v.cast<float>(), std::vector<int>{1, 1});
    CHECK(std::isfinite(rf.loss));
    CHECK(static_cast<double>(rf.loss) == Approx(1e4 / 2).epsilon(1e-6));
    CHECK(rf.grad_u.allFinite());
    const auto big = logistic_loss(random_matrix(2, 3, 1, 1e3), random_matrix(2, 3, 2, 1e3), random_matrix(4, 3, 3, 1e3));
    CHECK(std::isfinite(big.loss));
    CHECK(big.grad_anchors.allFinite());
}

TEST_CASE("logistic losses: errors", "[losses][logistic]") {
    using Catch::Matchers::Contains;
    const RowMatrix<double> a = random_matrix(3, 2, 21);
    CHECK_THROWS_WITH(logistic_loss(a, random_matrix(2, 2, 1), a), Contains("anchors are 3 x 2 but positives are 2 x 2"));
    CHECK_THROWS_WITH(logistic_loss(a, a, random_matrix(5, 2, 1)), Contains("not a positive multiple of the 3 anchors"));
    CHECK_THROWS_WITH(logistic_pair_loss(a, a, std::vector<int>{1, 0}), Contains("labels has 2 entries for 3 rows"));
    CHECK_THROWS_WITH(logistic_pair_loss(a, a, std::vector<int>{1, 2, 0}), Contains("labels[1] = 2"));
    CHECK_THROWS_WITH(logistic_pair_loss(RowMatrix<double>(0, 2), RowMatrix<double>(0, 2), std::vector<int>{}),
                      Contains("u is 0 x 2"));
}

TEST_CASE("logistic_loss: a reused result matches the by-value answer", "[losses][logistic]") {
    const RowMatrix<double> a = random_matrix(3, 4, 31), p = random_matrix(3, 4, 32), n = random_matrix(6, 4, 33);
    embedkit::LogisticResult<double> out;
    for (int round = 0; round < 2; ++round) {
        logistic_loss(a, p, n, out);
        const auto fresh = logistic_loss(a, p, n);
        CHECK(out.loss == fresh.loss);
        CHECK(out.grad_anchors == fresh.grad_anchors);
        CHECK(out.grad_negatives == fresh.grad_negatives);
    }
    // Inputs that are not row-major matrices (a column-major copy, a block) give the same answer.
    const Eigen::MatrixXd col_major = a;
    const auto from_col = logistic_loss(col_major, p, n);
    CHECK(from_col.loss == Approx(out.loss).epsilon(1e-15));
    RowMatrix<double> wide(3, 8);
    wide << p, p;
    const auto from_block = logistic_loss(a, wide.leftCols(4), n);
    CHECK(from_block.loss == Approx(out.loss).epsilon(1e-15));
}
