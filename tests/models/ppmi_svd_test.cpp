// PPMI-SVD: PPMI values against a hand computation, the factorisation against Eigen's exact SVD
// of the dense PPMI matrix, progress and cancellation, options and errors.

#include <embedkit/models/ppmi_svd.hpp>

#include <catch2/catch.hpp>

#include <Eigen/Dense>

#include "support/numbered_vocab.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

using namespace embedkit;

namespace {

Vocab words(int n) { return embedkit::testing::numbered_vocab(n); }

Eigen::MatrixXd dense(const Eigen::SparseMatrix<double, Eigen::RowMajor, std::int64_t>& m) { return Eigen::MatrixXd(m); }

}  // namespace

TEST_CASE("ppmi_matrix matches a hand computation", "[ppmi]") {
    // X = [[2 4 0] [4 0 1] [0 1 6]]: row sums 6, 5, 7.
    const auto x = CooccurrenceMatrix::from_entries(words(3), {{0, 0, 2}, {0, 1, 4}, {1, 2, 1}, {2, 2, 6}});
    SECTION("plain PMI (context_smoothing 1)") {
        const Eigen::MatrixXd p = dense(ppmi_matrix<double>(x, 1.0));
        // PMI = log(X_wc * N / (n_w n_c)), N = 18.
        CHECK(p(0, 0) == Approx(std::log(2.0 * 18 / (6 * 6))).margin(1e-12));   // log 1 = 0: not stored
        CHECK(p(0, 1) == Approx(std::log(4.0 * 18 / (6 * 5))));                  // log 2.4
        CHECK(p(1, 0) == Approx(std::log(4.0 * 18 / (5 * 6))));
        CHECK(p(1, 2) == 0.0);                                                    // log(18/35) < 0
        CHECK(p(2, 2) == Approx(std::log(6.0 * 18 / (7 * 7))));
        CHECK(p(0, 2) == 0.0);
        CHECK(ppmi_matrix<double>(x, 1.0).nonZeros() == 3);
    }
    SECTION("context distribution smoothing 0.75") {
        const Eigen::MatrixXd p = dense(ppmi_matrix<double>(x, 0.75));
        const double z = std::pow(6.0, 0.75) + std::pow(5.0, 0.75) + std::pow(7.0, 0.75);
        auto pmi = [&](double xwc, double nw, double nc) { return std::max(0.0, std::log(xwc * z / (nw * std::pow(nc, 0.75)))); };
        CHECK(p(0, 0) == Approx(pmi(2, 6, 6)));
        CHECK(p(0, 1) == Approx(pmi(4, 6, 5)));
        CHECK(p(1, 0) == Approx(pmi(4, 5, 6)));
        CHECK(p(1, 2) == Approx(pmi(1, 5, 7)).margin(1e-12));
        CHECK(p(2, 1) == Approx(pmi(1, 7, 5)).margin(1e-12));
        CHECK(p(2, 2) == Approx(pmi(6, 7, 7)));
        CHECK(p(0, 1) != Approx(p(1, 0)));  // not symmetric once smoothed
    }
    CHECK_THROWS_AS(ppmi_matrix<double>(x, 0.0), invalid_argument);
}

TEST_CASE("PPMI-SVD vectors are U Sigma^p of the exact SVD of the PPMI matrix", "[ppmi]") {
    // A random symmetric count matrix over 40 words.
    const int n = 40;
    detail::Rng rng(23);
    std::vector<CooccurrenceEntry> cells;
    for (int i = 0; i < n; ++i) {
        for (int j = i; j < n; ++j) {
            if (rng.uniform() < 0.3) cells.push_back({i, j, static_cast<float>(1 + rng.below(50))});
        }
    }
    const auto x = CooccurrenceMatrix::from_entries(words(n), cells);
    PpmiSvdOptions o;
    o.dim = 6;
    o.power_iterations = 10;
    o.threads = 3;
    const PpmiSvdModel<double> model = train_ppmi_svd<double>(x, o);
    const Eigen::JacobiSVD<Eigen::MatrixXd> exact(dense(ppmi_matrix<double>(x, 0.75)), Eigen::ComputeFullU);
    for (int k = 0; k < 6; ++k) {
        INFO("singular value " << k);
        CHECK(model.singular_values(k) == Approx(exact.singularValues()(k)).epsilon(1e-5));
        // Same column up to sign: U_k sigma_k^0.5.
        const Eigen::VectorXd expected = exact.matrixU().col(k) * std::sqrt(exact.singularValues()(k));
        const Eigen::VectorXd got = model.embedding.col(k);
        CHECK(std::abs(got.dot(expected)) == Approx(expected.squaredNorm()).epsilon(1e-4));
    }
    // Thread count does not matter; the eigenvalue power does what it says.
    o.threads = 1;
    CHECK(train_ppmi_svd<double>(x, o).embedding == model.embedding);
    o.eigenvalue_power = 0;
    const PpmiSvdModel<double> u = train_ppmi_svd<double>(x, o);
    CHECK((u.embedding.transpose() * u.embedding).isIdentity(1e-9));
}

TEST_CASE("PPMI-SVD checks its options and inputs", "[ppmi]") {
    PpmiSvdOptions o;
    o.context_smoothing = 1.5;
    CHECK_THROWS_WITH(validate(o), Catch::Contains("PpmiSvdOptions.context_smoothing"));
    o = {};
    o.dim = 0;
    CHECK_THROWS_WITH(validate(o), Catch::Contains("PpmiSvdOptions.dim"));
    o = {};
    CHECK(o.cooccurrence.window == 5);
    const auto x = CooccurrenceMatrix::from_entries(words(3), {{0, 1, 1}});
    CHECK_THROWS_WITH(train_ppmi_svd(x, o), Catch::Contains("dim 100 exceeds the vocabulary of 3 words"));
    CHECK_THROWS_AS(train_ppmi_svd(CooccurrenceMatrix::from_entries(words(3), {})), invalid_argument);
}

TEST_CASE("PPMI-SVD reports once per sparse product and can be cancelled", "[ppmi]") {
    std::vector<CooccurrenceEntry> cells;
    for (int i = 0; i < 20; ++i) {
        for (int j = i; j < 20; j += 3) cells.push_back({i, j, static_cast<float>(1 + (i * j) % 7)});
    }
    const auto x = CooccurrenceMatrix::from_entries(words(20), cells);
    PpmiSvdOptions o;
    o.dim = 4;
    o.power_iterations = 2;  // 2 * 2 + 2 products
    o.progress_interval = 0;
    std::vector<TrainingProgress> reports;
    o.progress = [&](const TrainingProgress& p) {
        reports.push_back(p);
        return true;
    };
    const PpmiSvdModel<double> model = train_ppmi_svd<double>(x, o);
    REQUIRE(reports.size() == 6);
    for (std::size_t i = 0; i < reports.size(); ++i) {
        CHECK(reports[i].fraction == Approx(static_cast<double>(i + 1) / 6));
        CHECK(reports[i].epoch == static_cast<int>(i + 1));
    }
    CHECK(reports.back().fraction == 1.0);

    int calls = 0;
    o.progress = [&](const TrainingProgress&) { return ++calls < 2; };
    CHECK_THROWS_AS(train_ppmi_svd<double>(x, o), cancelled);
    CHECK(calls == 2);
    // The final report cannot cancel: the model is done.
    calls = 0;
    o.progress = [&](const TrainingProgress& p) {
        ++calls;
        return p.fraction < 1.0;
    };
    CHECK(train_ppmi_svd<double>(x, o).embedding == model.embedding);
    CHECK(calls == 6);
}
