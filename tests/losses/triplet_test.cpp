#include <embedkit/losses/triplet.hpp>

#include "losses/gradient_check.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

using embedkit::RowMatrix;
using embedkit::TripletDistance;
using embedkit::TripletMining;
using embedkit::TripletOptions;
using embedkit::batch_triplet_loss;
using embedkit::triplet_loss;
using embedkit_test::numeric_gradient;
using embedkit_test::random_matrix;
using embedkit_test::relative_error;

namespace {

TripletOptions triplet_options(double margin, TripletDistance d, TripletMining m = TripletMining::batch_hard,
                       bool average_active = false) {
    TripletOptions o;
    o.margin = margin;
    o.distance = d;
    o.mining = m;
    o.average_active = average_active;
    return o;
}

double distance(const RowMatrix<double>& x, Eigen::Index i, const RowMatrix<double>& y, Eigen::Index j,
                TripletDistance d) {
    if (d == TripletDistance::cosine) return 1.0 - x.row(i).dot(y.row(j)) / (x.row(i).norm() * y.row(j).norm());
    const double sq = (x.row(i) - y.row(j)).squaredNorm();
    return d == TripletDistance::l2 ? std::sqrt(sq) : sq;
}

struct Naive {
    double loss = 0;
    std::size_t triplets = 0;
    std::size_t active = 0;
    double min_abs_hinge = std::numeric_limits<double>::infinity();  // distance to the nearest kink
};

// Every triplet of a labelled batch by brute force; batch-hard by explicit search.
Naive naive_batch(const RowMatrix<double>& x, const std::vector<int>& y, const TripletOptions& o) {
    Naive r;
    double total = 0;
    const Eigen::Index n = x.rows();
    for (Eigen::Index a = 0; a < n; ++a) {
        std::vector<double> hinges;
        double far_pos = -1, near_neg = std::numeric_limits<double>::infinity();
        for (Eigen::Index p = 0; p < n; ++p) {
            if (p == a || y[static_cast<std::size_t>(p)] != y[static_cast<std::size_t>(a)]) continue;
            far_pos = std::max(far_pos, distance(x, a, x, p, o.distance));
            for (Eigen::Index q = 0; q < n; ++q) {
                if (y[static_cast<std::size_t>(q)] == y[static_cast<std::size_t>(a)]) continue;
                near_neg = std::min(near_neg, distance(x, a, x, q, o.distance));
                hinges.push_back(distance(x, a, x, p, o.distance) - distance(x, a, x, q, o.distance) + o.margin);
            }
        }
        if (o.mining == TripletMining::batch_hard) {
            hinges.clear();
            if (far_pos >= 0 && std::isfinite(near_neg)) hinges.push_back(far_pos - near_neg + o.margin);
        }
        for (const double h : hinges) {
            ++r.triplets;
            r.min_abs_hinge = std::min(r.min_abs_hinge, std::abs(h));
            if (h > 0) {
                ++r.active;
                total += h;
            }
        }
    }
    const std::size_t count = o.average_active ? r.active : r.triplets;
    r.loss = count == 0 ? 0.0 : total / static_cast<double>(count);
    return r;
}

// Smallest gap between the hardest positive (negative) of an anchor and the runner-up: batch-hard's
// choice must not flip under the finite-difference step.
double hard_mining_gap(const RowMatrix<double>& x, const std::vector<int>& y, TripletDistance d) {
    double gap = std::numeric_limits<double>::infinity();
    for (Eigen::Index a = 0; a < x.rows(); ++a) {
        std::vector<double> pos, neg;
        for (Eigen::Index j = 0; j < x.rows(); ++j) {
            if (j == a) continue;
            (y[static_cast<std::size_t>(j)] == y[static_cast<std::size_t>(a)] ? pos : neg).push_back(distance(x, a, x, j, d));
        }
        std::sort(pos.rbegin(), pos.rend());
        std::sort(neg.begin(), neg.end());
        if (pos.size() > 1) gap = std::min(gap, pos[0] - pos[1]);
        if (neg.size() > 1) gap = std::min(gap, neg[1] - neg[0]);
    }
    return gap;
}

const TripletDistance kDistances[] = {TripletDistance::cosine, TripletDistance::l2, TripletDistance::squared_l2};

}  // namespace

TEST_CASE("triplet_loss: hand-computed values", "[losses][triplet]") {
    RowMatrix<double> a(2, 2), p(2, 2), n(2, 2);
    a << 0, 0, 1, 0;
    p << 3, 4, 1, 1;
    n << 0, 1, 5, 0;
    // L2: d(a0,p0) = 5, d(a0,n0) = 1: hinge 5 - 1 + 1 = 5; d(a1,p1) = 1, d(a1,n1) = 4: 1 - 4 + 1 < 0.
    const auto l2 = triplet_loss(a, p, n, triplet_options(1.0, TripletDistance::l2));
    CHECK(l2.loss == Approx(2.5));
    CHECK(l2.triplets == 2);
    CHECK(l2.active == 1);
    // Only the active triplet moves: row 1 gradients are zero, row 0's: d/da0 = (a-p)/5 - (a-n)/1, halved.
    CHECK(l2.grad_anchors.row(1).isZero(0));
    CHECK(l2.grad_anchors(0, 0) == Approx(0.5 * (-3.0 / 5 - 0.0)));
    CHECK(l2.grad_anchors(0, 1) == Approx(0.5 * (-4.0 / 5 + 1.0)));
    CHECK(l2.grad_positives(0, 0) == Approx(0.5 * 3.0 / 5));
    CHECK(l2.grad_negatives(0, 1) == Approx(0.5 * -1.0));
    // Squared L2: 25 - 1 + 1 = 25 and 1 - 16 + 1 < 0; mean over the active one only.
    const auto sq = triplet_loss(a, p, n, triplet_options(1.0, TripletDistance::squared_l2, TripletMining::batch_hard, true));
    CHECK(sq.loss == Approx(25.0));
    // Cosine: a1 = (1,0), p1 = (1,1)/sqrt2, n1 = (1,0): d_ap = 1 - 1/sqrt2, d_an = 0.
    const auto cos = triplet_loss(a.bottomRows(1), p.bottomRows(1), n.bottomRows(1), triplet_options(0.1, TripletDistance::cosine));
    CHECK(cos.loss == Approx(1 - 1 / std::sqrt(2.0) + 0.1));
    // Margin 0 and an easy triplet: nothing to learn.
    const auto easy = triplet_loss(a.bottomRows(1), p.bottomRows(1), (n.bottomRows(1).array() + 10).matrix(), triplet_options(0, TripletDistance::l2));
    CHECK(easy.loss == 0);
    CHECK(easy.active == 0);
    CHECK(easy.grad_anchors.isZero(0));
}

TEST_CASE("triplet_loss: gradients match central differences for every distance", "[losses][triplet][gradient]") {
    RowMatrix<double> a = random_matrix(5, 4, 1);
    RowMatrix<double> p = random_matrix(5, 4, 2);
    RowMatrix<double> n = random_matrix(10, 4, 3);  // K = 2
    for (const TripletDistance d : kDistances) {
        const double margin = d == TripletDistance::squared_l2 ? 2.0 : d == TripletDistance::l2 ? 0.5 : 0.2;
        const TripletOptions o = triplet_options(margin, d);
        const auto r = triplet_loss(a, p, n, o);
        INFO("distance " << embedkit::to_string(d));
        // Some triplets active, some not, none at a kink.
        CHECK(r.active > 0);
        CHECK(r.active < r.triplets);
        double min_abs_hinge = 1e9, total = 0;
        for (Eigen::Index i = 0; i < 5; ++i) {
            for (Eigen::Index j = 0; j < 2; ++j) {
                const double h = distance(a, i, p, i, d) - distance(a, i, n, 2 * i + j, d) + margin;
                min_abs_hinge = std::min(min_abs_hinge, std::abs(h));
                total += std::max(h, 0.0);
            }
        }
        REQUIRE(min_abs_hinge > 1e-4);
        CHECK(r.loss == Approx(total / 10).epsilon(1e-12));
        auto f = [&] { return triplet_loss(a, p, n, o).loss; };
        CHECK(relative_error(r.grad_anchors, numeric_gradient(a, f)) < 1e-6);
        CHECK(relative_error(r.grad_positives, numeric_gradient(p, f)) < 1e-6);
        CHECK(relative_error(r.grad_negatives, numeric_gradient(n, f)) < 1e-6);
    }
}

TEST_CASE("batch_triplet_loss: counts and values against brute force", "[losses][triplet]") {
    const RowMatrix<double> x = random_matrix(9, 3, 11);
    const std::vector<int> y{0, 0, 1, 1, 1, 2, 2, 2, 2};
    for (const TripletDistance d : kDistances) {
        for (const TripletMining m : {TripletMining::batch_all, TripletMining::batch_hard}) {
            for (const bool active_only : {false, true}) {
                const TripletOptions o = triplet_options(d == TripletDistance::squared_l2 ? 1.0 : 0.3, d, m, active_only);
                const auto r = batch_triplet_loss(x, y, o);
                const Naive expected = naive_batch(x, y, o);
                INFO(embedkit::to_string(d) << " " << embedkit::to_string(m) << " active_only " << active_only);
                CHECK(r.triplets == expected.triplets);
                CHECK(r.active == expected.active);
                CHECK(r.loss == Approx(expected.loss).epsilon(1e-12));
            }
        }
    }
    // batch-all over labels {0,0,1,1,1}: class 0 anchors 2 x (1 positive x 3 negatives),
    // class 1 anchors 3 x (2 positives x 2 negatives) = 6 + 12.
    const auto all = batch_triplet_loss(x.topRows(5), std::vector<int>{0, 0, 1, 1, 1},
                                        triplet_options(0.3, TripletDistance::l2, TripletMining::batch_all));
    CHECK(all.triplets == 18);
    // An anchor alone in its class has no positive and is skipped by batch-hard.
    const auto hard = batch_triplet_loss(x.topRows(5), std::vector<int>{0, 0, 1, 1, 2},
                                         triplet_options(0.3, TripletDistance::l2, TripletMining::batch_hard));
    CHECK(hard.triplets == 4);
}

TEST_CASE("batch_triplet_loss: gradients match central differences", "[losses][triplet][gradient]") {
    RowMatrix<double> x = random_matrix(8, 3, 21);
    const std::vector<int> y{0, 1, 0, 1, 2, 2, 0, 1};
    for (const TripletDistance d : kDistances) {
        REQUIRE(hard_mining_gap(x, y, d) > 1e-4);
        for (const TripletMining m : {TripletMining::batch_all, TripletMining::batch_hard}) {
            const TripletOptions o = triplet_options(d == TripletDistance::squared_l2 ? 3.0 : d == TripletDistance::l2 ? 0.8 : 0.3, d, m);
            const Naive expected = naive_batch(x, y, o);
            INFO(embedkit::to_string(d) << " " << embedkit::to_string(m));
            REQUIRE(expected.min_abs_hinge > 1e-4);
            const auto r = batch_triplet_loss(x, y, o);
            CHECK(r.active > 0);
            auto f = [&] { return batch_triplet_loss(x, y, o).loss; };
            CHECK(relative_error(r.grad_embeddings, numeric_gradient(x, f)) < 1e-6);
        }
    }
}

TEST_CASE("batch_triplet_loss: degenerate batches", "[losses][triplet]") {
    // Every row the same class: no negatives, no triplets, loss 0, zero gradient.
    const RowMatrix<double> x = random_matrix(4, 3, 31);
    const auto none = batch_triplet_loss(x, std::vector<int>{5, 5, 5, 5});
    CHECK(none.triplets == 0);
    CHECK(none.loss == 0);
    CHECK(none.grad_embeddings.isZero(0));
    // Duplicate rows (L2 distance 0 between positives) and a zero row (cosine): finite, no NaN.
    RowMatrix<double> dup = x;
    dup.row(1) = dup.row(0);
    dup.row(3).setZero();
    for (const TripletDistance d : kDistances) {
        const auto r = batch_triplet_loss(dup, std::vector<int>{0, 0, 1, 1}, triplet_options(0.5, d, TripletMining::batch_all));
        CHECK(std::isfinite(r.loss));
        CHECK(r.grad_embeddings.allFinite());
    }
}

TEST_CASE("batch_triplet_loss: float L2 of nearly identical rows keeps its precision", "[losses][triplet]") {
    // Rows of norm ~28 that differ by ~1e-2: squared distances ~1e-3 against |x|^2 ~ 800, which the
    // Gram-matrix formula alone would cancel to ~10% noise in float.
    RowMatrix<double> x = RowMatrix<double>::Constant(4, 8, 10.0) + random_matrix(4, 8, 41, 1e-2);
    x.row(3) = x.row(0);
    x(3, 0) += 0.02;
    const std::vector<int> y{0, 0, 0, 1};
    const TripletOptions o = triplet_options(0.01, TripletDistance::l2, TripletMining::batch_all);
    const auto rd = batch_triplet_loss(x, y, o);
    const auto rf = batch_triplet_loss(x.cast<float>().eval(), y, o);
    REQUIRE(rd.active > 0);
    CHECK(static_cast<double>(rf.loss) == Approx(rd.loss).epsilon(1e-3));
    CHECK(relative_error(rf.grad_embeddings.cast<double>(), rd.grad_embeddings) < 1e-2);
}

TEST_CASE("triplet: errors and parsing", "[losses][triplet]") {
    using Catch::Matchers::Contains;
    const RowMatrix<double> a = random_matrix(3, 2, 51);
    CHECK_THROWS_WITH(triplet_loss(a, random_matrix(3, 3, 1), a), Contains("anchors are 3 x 2 but positives are 3 x 3"));
    CHECK_THROWS_WITH(triplet_loss(a, a, random_matrix(4, 2, 1)), Contains("not a positive multiple of the 3 anchors"));
    CHECK_THROWS_WITH(batch_triplet_loss(a, std::vector<int>{1, 2}), Contains("labels has 2 entries for 3 rows"));
    CHECK_THROWS_WITH(batch_triplet_loss(RowMatrix<double>(0, 2), std::vector<int>{}), Contains("embeddings is 0 x 2"));
    CHECK_THROWS_WITH(triplet_loss(a, a, a, triplet_options(-0.1, TripletDistance::l2)), Contains("TripletOptions.margin"));
    CHECK_THROWS_AS(triplet_loss(a, a, a, triplet_options(std::numeric_limits<double>::infinity(), TripletDistance::l2)),
                    embedkit::invalid_options);
    CHECK(embedkit::parse_triplet_distance("squared-l2") == TripletDistance::squared_l2);
    CHECK(embedkit::parse_triplet_distance(embedkit::to_string(TripletDistance::l2)) == TripletDistance::l2);
    CHECK(embedkit::parse_triplet_mining("batch-all") == TripletMining::batch_all);
    CHECK_THROWS_WITH(embedkit::parse_triplet_mining("hardest"), Contains("'hardest'"));
    CHECK_THROWS_AS(embedkit::parse_triplet_distance("L1"), embedkit::invalid_argument);
}

TEST_CASE("triplet: a reused result matches the by-value answer", "[losses][triplet]") {
    const RowMatrix<double> a = random_matrix(4, 3, 61), p = random_matrix(4, 3, 62), n = random_matrix(8, 3, 63);
    const std::vector<int> y{0, 1, 0, 1, 2, 2, 0, 1};
    embedkit::TripletResult<double> out;
    embedkit::BatchTripletResult<double> batch;
    for (int round = 0; round < 2; ++round) {
        for (const TripletDistance d : kDistances) {
            const TripletOptions o = triplet_options(1.0, d, TripletMining::batch_all);
            triplet_loss(a, p, n, o, out);
            const auto fresh = triplet_loss(a, p, n, o);
            CHECK(out.loss == fresh.loss);
            CHECK(out.active == fresh.active);
            CHECK(out.grad_negatives == fresh.grad_negatives);
            batch_triplet_loss(n, y, o, batch);
            const auto fresh_batch = batch_triplet_loss(n, y, o);
            CHECK(batch.loss == fresh_batch.loss);
            CHECK(batch.grad_embeddings == fresh_batch.grad_embeddings);
        }
    }
}

TEST_CASE("mined_triplet_loss: a relation with ignored pairs (the pair trainer's mining)", "[losses][triplet][gradient]") {
    // Rows 0-9; rows i and i+5 are the same item (ignored), rows of the same pair {0,1}, {2,3}, ...
    // (modulo 5) are positives, all others negatives: the relation train_pairs mines with.
    RowMatrix<double> x = random_matrix(10, 4, 72);
    auto relation = [](Eigen::Index i, Eigen::Index j) {
        if (i % 5 == j % 5) return 0;
        return (i % 5) / 2 == (j % 5) / 2 ? 1 : -1;
    };
    for (const TripletDistance d : kDistances) {
        for (const TripletMining m : {TripletMining::batch_all, TripletMining::batch_hard}) {
            const TripletOptions o = triplet_options(d == TripletDistance::squared_l2 ? 3.0 : d == TripletDistance::l2 ? 0.8 : 0.3, d, m);
            INFO(embedkit::to_string(d) << " " << embedkit::to_string(m));
            // Brute force, and the distance of the inputs to every kink.
            double total = 0, kink = std::numeric_limits<double>::infinity();
            std::size_t triplets = 0;
            for (Eigen::Index a = 0; a < 10; ++a) {
                std::vector<double> pos, neg;
                for (Eigen::Index j = 0; j < 10; ++j) {
                    if (j == a || relation(a, j) == 0) continue;
                    (relation(a, j) > 0 ? pos : neg).push_back(distance(x, a, x, j, d));
                }
                if (pos.empty() || neg.empty()) continue;
                std::sort(pos.rbegin(), pos.rend());
                std::sort(neg.begin(), neg.end());
                if (m == TripletMining::batch_hard) {
                    if (pos.size() > 1) kink = std::min(kink, pos[0] - pos[1]);
                    if (neg.size() > 1) kink = std::min(kink, neg[1] - neg[0]);
                    pos.resize(1);
                    neg.resize(1);
                }
                for (const double dp : pos) {
                    for (const double dn : neg) {
                        const double h = dp - dn + o.margin;
                        kink = std::min(kink, std::abs(h));
                        total += std::max(h, 0.0);
                        ++triplets;
                    }
                }
            }
            REQUIRE(kink > 1e-4);
            embedkit::BatchTripletResult<double> r;
            embedkit::detail::mined_triplet_loss(x, relation, o, r);
            CHECK(r.triplets == triplets);
            CHECK(r.active > 0);
            CHECK(r.loss == Approx(total / static_cast<double>(triplets)).epsilon(1e-12));
            auto f = [&] {
                embedkit::BatchTripletResult<double> s;
                embedkit::detail::mined_triplet_loss(x, relation, o, s);
                return s.loss;
            };
            CHECK(relative_error(r.grad_embeddings, numeric_gradient(x, f)) < 1e-6);
        }
    }
}

TEST_CASE("TripletOptions: eps and unknown distance or mining values are named", "[losses][triplet]") {
    TripletOptions o;
    o.eps = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH(embedkit::validate(o), Catch::Contains("TripletOptions.eps"));
    o = {};
    o.distance = static_cast<TripletDistance>(9);
    CHECK_THROWS_WITH(embedkit::validate(o), Catch::Contains("TripletOptions.distance"));
    o = {};
    o.mining = static_cast<TripletMining>(9);
    CHECK_THROWS_AS(embedkit::validate(o), embedkit::invalid_options);
    CHECK_THROWS_WITH(embedkit::validate(o), Catch::Contains("TripletOptions.mining"));
}
