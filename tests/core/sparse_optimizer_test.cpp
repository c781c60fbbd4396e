#include <embedkit/core/sparse_optimizer.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <vector>

using embedkit::Embedding;
using embedkit::RowMatrix;
using embedkit::SparseAdagrad;
using embedkit::SparseSgd;
using embedkit::TokenId;

namespace {

template <class S>
RowMatrix<S> make_matrix(Eigen::Index rows, Eigen::Index cols, std::initializer_list<S> values) {
    RowMatrix<S> m(rows, cols);
    auto it = values.begin();
    for (Eigen::Index i = 0; i < rows; ++i)
        for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = *it++;
    return m;
}

}  // namespace

TEST_CASE("SparseSgd: hand-computed batch with a repeated id", "[core][sparse_optimizer]") {
    auto table = Embedding<float>::from_matrix(make_matrix<float>(3, 2, {1, 2, 3, 4, 5, 6}));
    const SparseSgd<float> sgd(0.5f);
    const std::vector<TokenId> ids{2, 0, 2};
    const RowMatrix<float> grads = make_matrix<float>(3, 2, {1, 1, 2, -2, 0.5f, 0});
    sgd.apply(table, ids, grads);
    // row 2: [5, 6] - 0.5 * ([1, 1] + [0.5, 0]); row 0: [1, 2] - 0.5 * [2, -2]; row 1 untouched.
    CHECK(table.weights() == make_matrix<float>(3, 2, {0, 3, 3, 4, 4.25f, 5.5f}));
}

TEST_CASE("SparseSgd: padding row never changes, set_lr", "[core][sparse_optimizer]") {
    auto table = Embedding<double>::from_matrix(RowMatrix<double>::Ones(3, 2), TokenId{1});
    SparseSgd<double> sgd(0.1);
    sgd.set_lr(1.0);
    CHECK(sgd.lr() == 1.0);
    sgd.apply(table, {1, 0, 1}, RowMatrix<double>::Constant(3, 2, 0.25));
    CHECK(table.row(1).isZero(0.0));
    CHECK(table.row(0) == RowMatrix<double>::Constant(1, 2, 0.75));
    CHECK(table.row(2) == RowMatrix<double>::Ones(1, 2));
}

TEST_CASE("SparseAdagrad: repeated id sums its gradients, then one step", "[core][sparse_optimizer]") {
    auto table = Embedding<double>::from_matrix(make_matrix<double>(2, 2, {1, 2, 3, 4}));
    SparseAdagrad<double> ada(2, 2, 0.1, 0.5);
    CHECK(ada.accumulators().isZero(0.0));

    ada.apply(table, {1, 0, 1}, make_matrix<double>(3, 2, {3, 0, 1, -2, 1, 4}));
    // id 1: g = [3, 0] + [1, 4] = [4, 4]; G = [16, 16]; w -= 0.1 * 4 / (4 + 0.5).
    // id 0: g = [1, -2]; G = [1, 4]; w -= 0.1 * g / (sqrt(G) + 0.5).
    CHECK(ada.accumulators() == make_matrix<double>(2, 2, {1, 4, 16, 16}));
    CHECK(table.weights()(1, 0) == Approx(3.0 - 0.4 / 4.5).epsilon(1e-14));
    CHECK(table.weights()(1, 1) == Approx(4.0 - 0.4 / 4.5).epsilon(1e-14));
    CHECK(table.weights()(0, 0) == Approx(1.0 - 0.1 / 1.5).epsilon(1e-14));
    CHECK(table.weights()(0, 1) == Approx(2.0 + 0.2 / 2.5).epsilon(1e-14));

    // Applying the rows one at a time would have given G = [3^2 + 1^2, 0 + 4^2] = [10, 16].
    CHECK(ada.accumulators()(1, 0) != 10.0);

    // A second batch builds on the accumulators: G(1) = [16, 16 + 9].
    const double w11 = table.weights()(1, 1);
    ada.apply(table, {1}, make_matrix<double>(1, 2, {0, 3}));
    CHECK(ada.accumulators() == make_matrix<double>(2, 2, {1, 4, 16, 25}));
    CHECK(table.weights()(1, 0) == Approx(3.0 - 0.4 / 4.5).epsilon(1e-14));
    CHECK(table.weights()(1, 1) == Approx(w11 - 0.3 / 5.5).epsilon(1e-14));
}

TEST_CASE("SparseAdagrad: random batches match a reference (order-free)", "[core][sparse_optimizer]") {
    embedkit::detail::Rng rng(2024);
    const Eigen::Index rows = 6;
    const Eigen::Index dim = 4;
    const double lr = 0.05;
    const double eps = 1e-6;
    const double g0 = 0.1;
    auto table = Embedding<double>::from_matrix(RowMatrix<double>::Zero(rows, dim), TokenId{5});
    RowMatrix<double> ref_w = table.weights();
    RowMatrix<double> ref_g = RowMatrix<double>::Constant(rows, dim, g0);
    SparseAdagrad<double> ada(rows, dim, lr, eps, g0);
    for (int batch = 0; batch < 20; ++batch) {
        std::vector<TokenId> ids(12);
        RowMatrix<double> grads(12, dim);
        for (std::size_t k = 0; k < ids.size(); ++k) {
            ids[k] = static_cast<TokenId>(rng.below(rows));
            for (Eigen::Index j = 0; j < dim; ++j) grads(static_cast<Eigen::Index>(k), j) = rng.normal<double>();
        }
        ada.apply(table, ids, grads);
        // Reference: sum per id, then one element-wise AdaGrad step; padding row 5 skipped.
        std::map<TokenId, std::vector<double>> sums;
        for (std::size_t k = 0; k < ids.size(); ++k) {
            auto& s = sums[ids[k]];
            s.resize(static_cast<std::size_t>(dim), 0.0);
            for (Eigen::Index j = 0; j < dim; ++j) s[static_cast<std::size_t>(j)] += grads(static_cast<Eigen::Index>(k), j);
        }
        for (const auto& [id, s] : sums) {
            if (id == 5) continue;
            for (Eigen::Index j = 0; j < dim; ++j) {
                const double g = s[static_cast<std::size_t>(j)];
                ref_g(id, j) += g * g;
                ref_w(id, j) -= lr * g / (std::sqrt(ref_g(id, j)) + eps);
            }
        }
    }
    CHECK(table.weights().isApprox(ref_w, 1e-12));
    CHECK(ada.accumulators().isApprox(ref_g, 1e-12));
    CHECK(table.row(5).isZero(0.0));
    CHECK((ada.accumulators().row(5).array() == g0).all());
    CHECK_FALSE(table.weights().topRows(5).isZero(0.0));
}

TEST_CASE("row primitives work on rows, Maps and temporaries", "[core][sparse_optimizer]") {
    float w[3] = {1, 2, 3};
    const float g[3] = {2, 0, -4};
    float acc[3] = {0, 1, 0};
    embedkit::adagrad_row_update(Eigen::Map<embedkit::RowVector<float>>(w, 3),
                                 Eigen::Map<const embedkit::RowVector<float>>(g, 3),
                                 Eigen::Map<embedkit::RowVector<float>>(acc, 3), 1.0f, 0.0f);
    CHECK(acc[0] == 4.0f);
    CHECK(acc[1] == 1.0f);
    CHECK(acc[2] == 16.0f);
    CHECK(w[0] == Approx(1.0f - 2.0f / 2.0f));
    CHECK(w[1] == 2.0f);
    CHECK(w[2] == Approx(3.0f + 4.0f / 4.0f));

    RowMatrix<double> m = RowMatrix<double>::Ones(2, 3);
    const RowMatrix<double> grad = RowMatrix<double>::Constant(1, 3, 2.0);
    embedkit::sgd_row_update(m.row(1), grad.row(0), 0.25);
    CHECK(m.row(0) == RowMatrix<double>::Ones(1, 3));
    CHECK(m.row(1) == RowMatrix<double>::Constant(1, 3, 0.5));
}

TEST_CASE("sparse optimizers: shape and id errors change nothing", "[core][sparse_optimizer]") {
    auto table = Embedding<float>::from_matrix(RowMatrix<float>::Ones(3, 2));
    const RowMatrix<float> before = table.weights();
    const SparseSgd<float> sgd(0.1f);
    SparseAdagrad<float> ada(3, 2, 0.1f);

    CHECK_THROWS_WITH(sgd.apply(table, {0, 1}, RowMatrix<float>::Ones(3, 2)), Catch::Contains("2 ids but 3"));
    CHECK_THROWS_WITH(sgd.apply(table, {0}, RowMatrix<float>::Ones(1, 3)), Catch::Contains("3 columns"));
    CHECK_THROWS_WITH(sgd.apply(table, {0, 3}, RowMatrix<float>::Ones(2, 2)), Catch::Contains("id 3"));
    CHECK_THROWS_WITH(ada.apply(table, {1, -1}, RowMatrix<float>::Ones(2, 2)), Catch::Contains("id -1"));
    CHECK_THROWS_AS(ada.apply(table, {0, 1}, RowMatrix<float>::Ones(1, 2)), embedkit::invalid_argument);
    CHECK(table.weights() == before);
    CHECK(ada.accumulators().isZero(0.0f));

    auto bigger = Embedding<float>::from_matrix(RowMatrix<float>::Ones(4, 2));
    CHECK_THROWS_WITH(ada.apply(bigger, {0}, RowMatrix<float>::Ones(1, 2)), Catch::Contains("accumulators"));

    CHECK_THROWS_WITH(SparseSgd<float>(-1.0f), Catch::Contains("lr"));
    CHECK_THROWS_AS(SparseSgd<float>(std::nanf("")), embedkit::invalid_argument);
    CHECK_THROWS_WITH(SparseAdagrad<float>(-1, 2, 0.1f), Catch::Contains("rows"));
    CHECK_THROWS_WITH(SparseAdagrad<float>(3, 0, 0.1f), Catch::Contains("dim"));
    CHECK_THROWS_WITH(SparseAdagrad<float>(3, 2, -0.1f), Catch::Contains("lr"));
    CHECK_THROWS_WITH(SparseAdagrad<float>(3, 2, 0.1f, -1.0f), Catch::Contains("eps"));
    CHECK_THROWS_WITH(SparseAdagrad<float>(3, 2, 0.1f, 1e-8f, -1.0f), Catch::Contains("initial_accumulator"));
    CHECK_THROWS_WITH(SparseAdagrad<float>(3, 2, 0.1f, 0.0f, 0.0f), Catch::Contains("both be 0"));
    CHECK_NOTHROW(SparseAdagrad<float>(3, 2, 0.1f, 0.0f, 1.0f));
}
