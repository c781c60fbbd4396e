#include <embedkit/losses/mnrl.hpp>

#include "losses/gradient_check.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using embedkit::InfoNceOptions;
using embedkit::MnrlOptions;
using embedkit::RowMatrix;
using embedkit::Similarity;
using embedkit::mnrl_loss;
using embedkit_test::numeric_gradient;
using embedkit_test::random_matrix;
using embedkit_test::relative_error;

namespace {

MnrlOptions mnrl_options(double scale) {
    MnrlOptions o;
    o.scale = scale;
    return o;
}

double row_cosine(const RowMatrix<double>& x, Eigen::Index i, const RowMatrix<double>& y, Eigen::Index j) {
    return x.row(i).dot(y.row(j)) / (x.row(i).norm() * y.row(j).norm());
}

// sentence-transformers' definition: cross-entropy over scale * cos(anchor, [positives; negatives]).
double naive_mnrl(const RowMatrix<double>& a, const RowMatrix<double>& p, const RowMatrix<double>& n, double scale) {
    double total = 0;
    for (Eigen::Index i = 0; i < a.rows(); ++i) {
        double denom = 0;
        for (Eigen::Index j = 0; j < p.rows(); ++j) denom += std::exp(scale * row_cosine(a, i, p, j));
        for (Eigen::Index j = 0; j < n.rows(); ++j) denom += std::exp(scale * row_cosine(a, i, n, j));
        total += -std::log(std::exp(scale * row_cosine(a, i, p, i)) / denom);
    }
    return total / static_cast<double>(a.rows());
}

}  // namespace

TEST_CASE("mnrl_loss: equals in-batch InfoNCE with cosine and temperature 1/scale", "[losses][mnrl]") {
    const RowMatrix<double> a = random_matrix(7, 5, 1);
    const RowMatrix<double> p = random_matrix(7, 5, 2);
    const auto m = mnrl_loss(a, p, mnrl_options(20.0));
    InfoNceOptions o;
    o.temperature = 1.0 / 20.0;
    o.similarity = Similarity::cosine;
    const auto i = embedkit::infonce_in_batch_loss(a, p, o);
    CHECK(m.loss == Approx(i.loss).epsilon(1e-12));
    CHECK(relative_error(m.grad_anchors, i.grad_anchors) < 1e-12);
    CHECK(relative_error(m.grad_positives, i.grad_positives) < 1e-12);
    CHECK(m.loss == Approx(naive_mnrl(a, p, RowMatrix<double>(0, 5), 20.0)).epsilon(1e-12));
    CHECK(m.grad_negatives.size() == 0);
}

TEST_CASE("mnrl_loss: hard negatives, value and gradients", "[losses][mnrl][gradient]") {
    RowMatrix<double> a = random_matrix(4, 6, 11);
    RowMatrix<double> p = random_matrix(4, 6, 12);
    RowMatrix<double> n = random_matrix(3, 6, 13);  // any number of shared hard negatives
    const MnrlOptions o = mnrl_options(5.0);
    const auto r = mnrl_loss(a, p, n, o);
    CHECK(r.loss == Approx(naive_mnrl(a, p, n, 5.0)).epsilon(1e-12));
    REQUIRE(r.grad_negatives.rows() == 3);
    auto f = [&] { return mnrl_loss(a, p, n, o).loss; };
    CHECK(relative_error(r.grad_anchors, numeric_gradient(a, f)) < 1e-6);
    CHECK(relative_error(r.grad_positives, numeric_gradient(p, f)) < 1e-6);
    CHECK(relative_error(r.grad_negatives, numeric_gradient(n, f)) < 1e-6);

    // No hard negatives at all is the plain loss.
    const auto none = mnrl_loss(a, p, RowMatrix<double>(0, 6), o);
    CHECK(none.loss == Approx(mnrl_loss(a, p, o).loss).epsilon(1e-14));
}

TEST_CASE("mnrl_loss: labels mask duplicates, gradients", "[losses][mnrl][gradient]") {
    RowMatrix<double> a = random_matrix(5, 4, 21);
    RowMatrix<double> p = random_matrix(5, 4, 22);
    RowMatrix<double> n = random_matrix(2, 4, 23);
    p.row(3) = p.row(1);  // the same positive item twice
    const std::vector<long> anchor_labels{};
    const std::vector<long> positive_labels{10, 11, 12, 11, 13};
    const MnrlOptions o = mnrl_options(10.0);
    const auto r = mnrl_loss(a, p, n, anchor_labels, positive_labels, o);
    // Reference: anchor 1 and anchor 3 each lose the other's (identical) positive from the denominator.
    double total = 0;
    for (Eigen::Index i = 0; i < 5; ++i) {
        double denom = 0;
        for (Eigen::Index j = 0; j < 5; ++j) {
            if (j != i && positive_labels[static_cast<std::size_t>(j)] == positive_labels[static_cast<std::size_t>(i)]) continue;
            denom += std::exp(10.0 * row_cosine(a, i, p, j));
        }
        for (Eigen::Index j = 0; j < 2; ++j) denom += std::exp(10.0 * row_cosine(a, i, n, j));
        total += -std::log(std::exp(10.0 * row_cosine(a, i, p, i)) / denom);
    }
    CHECK(r.loss == Approx(total / 5).epsilon(1e-12));
    auto f = [&] { return mnrl_loss(a, p, n, anchor_labels, positive_labels, o).loss; };
    CHECK(relative_error(r.grad_anchors, numeric_gradient(a, f)) < 1e-6);
    CHECK(relative_error(r.grad_positives, numeric_gradient(p, f)) < 1e-6);
    CHECK(relative_error(r.grad_negatives, numeric_gradient(n, f)) < 1e-6);
}

TEST_CASE("mnrl_loss: large scale, zero vectors, errors", "[losses][mnrl]") {
    using Catch::Matchers::Contains;
    RowMatrix<double> a = random_matrix(4, 3, 31);
    RowMatrix<double> p = random_matrix(4, 3, 32);
    const auto big = mnrl_loss(a, p, mnrl_options(1e6));
    CHECK(std::isfinite(big.loss));
    CHECK(big.grad_anchors.allFinite());
    a.row(2).setZero();
    const auto z = mnrl_loss(a.cast<float>(), p.cast<float>());
    CHECK(std::isfinite(z.loss));
    CHECK(z.grad_anchors.allFinite());
    CHECK(z.grad_positives.allFinite());

    CHECK_THROWS_WITH(mnrl_loss(a, random_matrix(3, 3, 1)), Contains("anchors are 4 x 3 but positives are 3 x 3"));
    CHECK_THROWS_WITH(mnrl_loss(a, p, random_matrix(2, 5, 1)), Contains("hard_negatives have dimension 5"));
    CHECK_THROWS_WITH(mnrl_loss(a, p, mnrl_options(0.0)), Contains("MnrlOptions.scale"));
    CHECK_THROWS_AS(mnrl_loss(a, p, mnrl_options(-3.0)), embedkit::invalid_options);
}

TEST_CASE("mnrl_loss: a reused result matches the by-value answer", "[losses][mnrl]") {
    const RowMatrix<double> a = random_matrix(5, 4, 41), p = random_matrix(5, 4, 42), n = random_matrix(3, 4, 43);
    embedkit::MnrlResult<double> out;
    for (int round = 0; round < 2; ++round) {
        mnrl_loss(a, p, n, mnrl_options(7.0), out);
        const auto fresh = mnrl_loss(a, p, n, mnrl_options(7.0));
        CHECK(out.loss == fresh.loss);
        CHECK(out.grad_positives == fresh.grad_positives);
        CHECK(out.grad_negatives == fresh.grad_negatives);
        mnrl_loss(a, p, mnrl_options(7.0), out);  // and without negatives into the same result
        CHECK(out.loss == mnrl_loss(a, p, mnrl_options(7.0)).loss);
        CHECK(out.grad_negatives.size() == 0);
    }
}

TEST_CASE("MnrlOptions: eps is named", "[losses][mnrl]") {
    MnrlOptions o;
    o.eps = -1;
    CHECK_THROWS_AS(embedkit::validate(o), embedkit::invalid_options);
    CHECK_THROWS_WITH(embedkit::validate(o), Catch::Contains("MnrlOptions.eps"));
}
