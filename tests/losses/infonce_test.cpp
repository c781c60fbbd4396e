#include <embedkit/losses/infonce.hpp>

#include "losses/gradient_check.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

using embedkit::InfoNceOptions;
using embedkit::RowMatrix;
using embedkit::Similarity;
using embedkit::infonce_in_batch_loss;
using embedkit::infonce_loss;
using embedkit_test::numeric_gradient;
using embedkit_test::random_matrix;
using embedkit_test::relative_error;

namespace {

double similarity(const RowMatrix<double>& x, Eigen::Index i, const RowMatrix<double>& y, Eigen::Index j, Similarity s) {
    double dot = 0, nx = 0, ny = 0;
    for (Eigen::Index c = 0; c < x.cols(); ++c) {
        dot += x(i, c) * y(j, c);
        nx += x(i, c) * x(i, c);
        ny += y(j, c) * y(j, c);
    }
    if (s == Similarity::dot) return dot;
    return dot / (std::max(std::sqrt(nx), 1e-8) * std::max(std::sqrt(ny), 1e-8));
}

// The textbook formula, term by term (no log-sum-exp tricks): fine for the moderate logits used here.
double naive_explicit(const RowMatrix<double>& a, const RowMatrix<double>& p, const RowMatrix<double>& n, double t,
                      Similarity s) {
    const Eigen::Index k = n.rows() / a.rows();
    double total = 0;
    for (Eigen::Index i = 0; i < a.rows(); ++i) {
        const double pos = std::exp(similarity(a, i, p, i, s) / t);
        double denom = pos;
        for (Eigen::Index j = 0; j < k; ++j) denom += std::exp(similarity(a, i, n, i * k + j, s) / t);
        total += -std::log(pos / denom);
    }
    return total / static_cast<double>(a.rows());
}

// In-batch, with an optional mask: masked(i, j) removes positive j from anchor i's denominator.
template <class Masked>
double naive_in_batch(const RowMatrix<double>& a, const RowMatrix<double>& p, double t, Similarity s, Masked masked) {
    double total = 0;
    for (Eigen::Index i = 0; i < a.rows(); ++i) {
        const double pos = std::exp(similarity(a, i, p, i, s) / t);
        double denom = 0;
        for (Eigen::Index j = 0; j < a.rows(); ++j) {
            if (j != i && masked(i, j)) continue;
            denom += std::exp(similarity(a, i, p, j, s) / t);
        }
        total += -std::log(pos / denom);
    }
    return total / static_cast<double>(a.rows());
}

InfoNceOptions infonce_options(double temperature, Similarity s = Similarity::cosine) {
    InfoNceOptions o;
    o.temperature = temperature;
    o.similarity = s;
    return o;
}

}  // namespace

TEST_CASE("infonce_loss: value matches the textbook formula", "[losses][infonce]") {
    const RowMatrix<double> a = random_matrix(5, 7, 1);
    const RowMatrix<double> p = random_matrix(5, 7, 2);
    const RowMatrix<double> n = random_matrix(15, 7, 3);
    for (const Similarity s : {Similarity::cosine, Similarity::dot}) {
        const double t = s == Similarity::cosine ? 0.2 : 3.0;
        const auto r = infonce_loss(a, p, n, infonce_options(t, s));
        CHECK(r.loss == Approx(naive_explicit(a, p, n, t, s)).epsilon(1e-12));
        CHECK(r.grad_anchors.rows() == 5);
        CHECK(r.grad_positives.rows() == 5);
        CHECK(r.grad_negatives.rows() == 15);
        CHECK(r.grad_negatives.cols() == 7);
    }
}

TEST_CASE("infonce_loss: gradients match central differences", "[losses][infonce][gradient]") {
    RowMatrix<double> a = random_matrix(4, 6, 11);
    RowMatrix<double> p = random_matrix(4, 6, 12);
    RowMatrix<double> n = random_matrix(12, 6, 13);
    for (const Similarity s : {Similarity::cosine, Similarity::dot}) {
        const InfoNceOptions o{s == Similarity::cosine ? 0.1 : 2.0, s};
        const auto r = infonce_loss(a, p, n, o);
        auto f = [&] { return infonce_loss(a, p, n, o).loss; };
        INFO("similarity " << embedkit::to_string(s));
        CHECK(relative_error(r.grad_anchors, numeric_gradient(a, f)) < 1e-6);
        CHECK(relative_error(r.grad_positives, numeric_gradient(p, f)) < 1e-6);
        CHECK(relative_error(r.grad_negatives, numeric_gradient(n, f)) < 1e-6);
    }
}

TEST_CASE("infonce_in_batch_loss: value and gradients", "[losses][infonce][gradient]") {
    RowMatrix<double> a = random_matrix(6, 5, 21);
    RowMatrix<double> p = random_matrix(6, 5, 22);
    for (const Similarity s : {Similarity::cosine, Similarity::dot}) {
        const InfoNceOptions o{s == Similarity::cosine ? 0.1 : 2.0, s};
        const auto r = infonce_in_batch_loss(a, p, o);
        CHECK(r.loss == Approx(naive_in_batch(a, p, o.temperature, s, [](auto, auto) { return false; })).epsilon(1e-12));
        CHECK(r.grad_negatives.size() == 0);
        auto f = [&] { return infonce_in_batch_loss(a, p, o).loss; };
        INFO("similarity " << embedkit::to_string(s));
        CHECK(relative_error(r.grad_anchors, numeric_gradient(a, f)) < 1e-6);
        CHECK(relative_error(r.grad_positives, numeric_gradient(p, f)) < 1e-6);
    }
}

TEST_CASE("infonce_in_batch_loss: labels leave duplicates and the anchor itself out", "[losses][infonce][gradient]") {
    RowMatrix<double> a = random_matrix(6, 4, 31);
    RowMatrix<double> p = random_matrix(6, 4, 32);
    // Positives 0 and 3 are the same item (label 7); positive 4 is anchor 1's own item (label 5).
    const std::vector<int> anchor_labels{1, 5, 2, 3, 4, 6};
    const std::vector<int> positive_labels{7, 8, 9, 7, 5, 10};
    const InfoNceOptions o{0.25, Similarity::cosine};
    const auto r = infonce_in_batch_loss(a, p, anchor_labels, positive_labels, o);
    auto masked = [&](Eigen::Index i, Eigen::Index j) {
        const int pj = positive_labels[static_cast<std::size_t>(j)];
        return pj == positive_labels[static_cast<std::size_t>(i)] || pj == anchor_labels[static_cast<std::size_t>(i)];
    };
    const double expected = naive_in_batch(a, p, o.temperature, o.similarity, masked);
    CHECK(r.loss == Approx(expected).epsilon(1e-12));
    // Masking changes the loss (the masked terms are not negligible here).
    CHECK(std::abs(r.loss - infonce_in_batch_loss(a, p, o).loss) > 1e-3);
    auto f = [&] { return infonce_in_batch_loss(a, p, anchor_labels, positive_labels, o).loss; };
    CHECK(relative_error(r.grad_anchors, numeric_gradient(a, f)) < 1e-6);
    CHECK(relative_error(r.grad_positives, numeric_gradient(p, f)) < 1e-6);

    // Empty anchor labels: only duplicate positives are left out.
    const auto r2 = infonce_in_batch_loss(a, p, std::vector<int>{}, positive_labels, o);
    auto dup_only = [&](Eigen::Index i, Eigen::Index j) {
        return positive_labels[static_cast<std::size_t>(j)] == positive_labels[static_cast<std::size_t>(i)];
    };
    CHECK(r2.loss == Approx(naive_in_batch(a, p, o.temperature, o.similarity, dup_only)).epsilon(1e-12));
}

TEST_CASE("infonce: huge logits neither overflow nor lose the answer", "[losses][infonce]") {
    // Dot products around 1e6 over a temperature of 0.01: exp would overflow without log-sum-exp.
    const RowMatrix<double> a = random_matrix(3, 4, 41, 1000.0);
    const RowMatrix<double> p = random_matrix(3, 4, 42, 1000.0);
    const RowMatrix<double> n = random_matrix(6, 4, 43, 1000.0);
    const InfoNceOptions o{0.01, Similarity::dot};
    const auto r = infonce_loss(a, p, n, o);
    REQUIRE(std::isfinite(r.loss));
    CHECK(r.grad_anchors.allFinite());
    CHECK(r.grad_positives.allFinite());
    CHECK(r.grad_negatives.allFinite());
    // With such gaps the softmax is one-hot: loss_i = max(s) - s(positive) exactly (to rounding).
    double expected = 0;
    for (Eigen::Index i = 0; i < 3; ++i) {
        double best = a.row(i).dot(p.row(i)) / 0.01;
        const double pos = best;
        for (Eigen::Index j = 0; j < 2; ++j) best = std::max(best, a.row(i).dot(n.row(i * 2 + j)) / 0.01);
        expected += best - pos;
    }
    CHECK(r.loss == Approx(expected / 3).epsilon(1e-9));

    // float: the same inputs give a finite loss too.
    const RowMatrix<float> af = a.cast<float>(), pf = p.cast<float>(), nf = n.cast<float>();
    const auto rf = infonce_loss(af, pf, nf, o);
    CHECK(std::isfinite(rf.loss));
    CHECK(rf.grad_anchors.allFinite());
    const auto rb = infonce_in_batch_loss(af, pf, o);
    CHECK(std::isfinite(rb.loss));
    CHECK(rb.grad_positives.allFinite());
}

TEST_CASE("infonce: zero vectors with cosine give finite values, never NaN", "[losses][infonce]") {
    RowMatrix<double> a = random_matrix(3, 5, 51);
    RowMatrix<double> p = random_matrix(3, 5, 52);
    RowMatrix<double> n = random_matrix(6, 5, 53);
    a.row(1).setZero();
    n.row(0).setZero();
    p.row(2).setZero();
    const auto r = infonce_loss(a, p, n, infonce_options(0.1));
    REQUIRE(std::isfinite(r.loss));
    CHECK(r.grad_anchors.allFinite());
    CHECK(r.grad_positives.allFinite());
    CHECK(r.grad_negatives.allFinite());
    // Anchor 1 scores 0 against everything: its loss is log(K + 1) = log 3.
    const auto only = infonce_loss(a.middleRows(1, 1), p.middleRows(1, 1), n.middleRows(2, 2), infonce_options(0.1));
    CHECK(only.loss == Approx(std::log(3.0)).epsilon(1e-12));
    const auto rb = infonce_in_batch_loss(a, p);
    CHECK(std::isfinite(rb.loss));
    CHECK(rb.grad_anchors.allFinite());
    CHECK(rb.grad_positives.allFinite());
}

TEST_CASE("infonce: cosine loss ignores row scale, float agrees with double", "[losses][infonce]") {
    const RowMatrix<double> a = random_matrix(8, 16, 61);
    const RowMatrix<double> p = random_matrix(8, 16, 62);
    RowMatrix<double> scaled = a;
    for (Eigen::Index i = 0; i < 8; ++i) scaled.row(i) *= 0.01 * static_cast<double>(i + 1);
    const auto r = infonce_in_batch_loss(a, p);
    CHECK(infonce_in_batch_loss(scaled, p).loss == Approx(r.loss).epsilon(1e-12));

    const RowMatrix<float> af = a.cast<float>(), pf = p.cast<float>();
    const auto rf = infonce_in_batch_loss(af, pf);
    CHECK(static_cast<double>(rf.loss) == Approx(r.loss).epsilon(1e-5));
    CHECK(relative_error(rf.grad_anchors.cast<double>(), r.grad_anchors) < 1e-5);
}

TEST_CASE("infonce: shape errors and options are reported clearly", "[losses][infonce]") {
    const RowMatrix<double> a = random_matrix(4, 3, 71);
    using Catch::Matchers::Contains;
    CHECK_THROWS_AS(infonce_loss(a, random_matrix(3, 3, 1), random_matrix(4, 3, 2)), embedkit::invalid_argument);
    CHECK_THROWS_WITH(infonce_loss(a, random_matrix(4, 2, 1), random_matrix(4, 3, 2)),
                      Contains("anchors are 4 x 3 but positives are 4 x 2"));
    CHECK_THROWS_WITH(infonce_loss(a, a, random_matrix(6, 3, 2)), Contains("not a positive multiple of the 4 anchors"));
    CHECK_THROWS_WITH(infonce_loss(a, a, random_matrix(8, 2, 2)), Contains("negatives have dimension 2"));
    CHECK_THROWS_WITH(infonce_loss(a, a, RowMatrix<double>(0, 3)), Contains("not a positive multiple"));
    CHECK_THROWS_WITH(infonce_in_batch_loss(RowMatrix<double>(0, 3), RowMatrix<double>(0, 3)),
                      Contains("anchors is 0 x 3"));
    CHECK_THROWS_WITH(infonce_in_batch_loss(a, a, std::vector<int>{1, 2}, std::vector<int>{1, 2, 3, 4}),
                      Contains("anchor_labels has 2 entries for 4 rows"));
    CHECK_THROWS_WITH(infonce_in_batch_loss(a, a, std::vector<int>{}, std::vector<int>{1}),
                      Contains("positive_labels has 1 entries for 4 rows"));
    for (const double t : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
        CHECK_THROWS_AS(infonce_in_batch_loss(a, a, infonce_options(t)), embedkit::invalid_options);
        CHECK_THROWS_WITH(infonce_loss(a, a, a, infonce_options(t)), Contains("InfoNceOptions.temperature"));
    }
    InfoNceOptions bad_eps;
    bad_eps.eps = 0.0;
    CHECK_THROWS_WITH(infonce_in_batch_loss(a, a, bad_eps), Contains("InfoNceOptions.eps"));
}

TEST_CASE("infonce: a reused result matches the by-value answer", "[losses][infonce]") {
    const RowMatrix<double> a = random_matrix(6, 5, 81), p = random_matrix(6, 5, 82), n = random_matrix(12, 5, 83);
    embedkit::InfoNceResult<double> out;
    for (int round = 0; round < 2; ++round) {  // the second round reuses the buffers of the first
        infonce_loss(a, p, n, infonce_options(0.2), out);
        const auto fresh = infonce_loss(a, p, n, infonce_options(0.2));
        CHECK(out.loss == fresh.loss);
        CHECK(out.grad_anchors == fresh.grad_anchors);
        CHECK(out.grad_negatives == fresh.grad_negatives);
        CHECK(fresh.workspace.logits.size() == 0);
        infonce_in_batch_loss(a, p, infonce_options(0.2), out);
        const auto batch = infonce_in_batch_loss(a, p, infonce_options(0.2));
        CHECK(out.loss == batch.loss);
        CHECK(out.grad_positives == batch.grad_positives);
        CHECK(out.grad_negatives.size() == 0);
    }
}

TEST_CASE("InfoNceOptions: an unknown similarity is named", "[losses][infonce]") {
    InfoNceOptions o;
    o.similarity = static_cast<Similarity>(9);
    CHECK_THROWS_AS(embedkit::validate(o), embedkit::invalid_options);
    CHECK_THROWS_WITH(embedkit::validate(o), Catch::Contains("InfoNceOptions.similarity"));
}
