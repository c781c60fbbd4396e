// kmeans(): planted clusters recovered, no dependence on the thread count, clear errors.

#include <embedkit/core/kmeans.hpp>

#include <embedkit/detail/rng.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <vector>

using embedkit::KMeansOptions;
using embedkit::RowMatrix;

namespace {

// `per` rows around each of `centres` (spread 0.1 around points 10 apart).
RowMatrix<double> blobs(const RowMatrix<double>& centres, int per, std::uint64_t seed) {
    embedkit::detail::Rng rng(seed);
    std::normal_distribution<double> noise(0.0, 0.1);
    RowMatrix<double> out(centres.rows() * per, centres.cols());
    for (Eigen::Index c = 0; c < centres.rows(); ++c)
        for (int r = 0; r < per; ++r)
            for (Eigen::Index j = 0; j < centres.cols(); ++j) out(c * per + r, j) = centres(c, j) + noise(rng);
    return out;
}

}  // namespace

TEST_CASE("kmeans recovers planted clusters and their centres", "[core][kmeans]") {
    RowMatrix<double> centres(4, 3);
    centres << 0, 0, 0,  //
        10, 0, 0,        //
        0, 10, 0,        //
        0, 0, 10;
    const RowMatrix<double> data = blobs(centres, 50, 3);
    KMeansOptions o;
    o.clusters = 4;
    o.threads = 1;
    const auto fit = embedkit::kmeans<double>(data, o);
    REQUIRE(fit.assignment.size() == 200);
    std::set<std::int32_t> used;
    for (int c = 0; c < 4; ++c) {
        const auto cluster = fit.assignment[static_cast<std::size_t>(c * 50)];
        used.insert(cluster);
        for (int r = 0; r < 50; ++r) CHECK(fit.assignment[static_cast<std::size_t>(c * 50 + r)] == cluster);
        CHECK((fit.centroids.row(cluster) - centres.row(c)).norm() < 0.1);
    }
    CHECK(used.size() == 4);
    // The inertia is the sum of squared distances to the assigned centroids, by hand.
    double inertia = 0;
    for (Eigen::Index i = 0; i < 200; ++i) inertia += (data.row(i) - fit.centroids.row(fit.assignment[static_cast<std::size_t>(i)])).squaredNorm();
    CHECK(fit.inertia == Approx(inertia).epsilon(1e-9));
    CHECK(fit.inertia < 200 * 3 * 0.02);  // about 200 x 3 x 0.1^2
}

TEST_CASE("kmeans gives the same clusters on any thread count", "[core][kmeans]") {
    embedkit::detail::Rng rng(9);
    std::normal_distribution<float> normal;
    RowMatrix<float> data(3000, 8);
    for (Eigen::Index i = 0; i < data.rows(); ++i)
        for (Eigen::Index j = 0; j < data.cols(); ++j) data(i, j) = normal(rng);
    KMeansOptions o;
    o.clusters = 16;
    o.iterations = 10;
    o.threads = 1;
    const auto one = embedkit::kmeans<float>(data, o);
    o.threads = 3;
    const auto three = embedkit::kmeans<float>(data, o);
    CHECK(one.assignment == three.assignment);
    CHECK(one.centroids == three.centroids);
    CHECK(one.iterations == three.iterations);
    // More iterations never raise the inertia (Lloyd's steps only lower it).
    o.iterations = 0;
    const auto start = embedkit::kmeans<float>(data, o);
    CHECK(start.inertia >= one.inertia);
}

TEST_CASE("kmeans rejects impossible requests with clear errors", "[core][kmeans]") {
    RowMatrix<float> data = RowMatrix<float>::Zero(3, 2);
    KMeansOptions o;
    o.clusters = 4;
    CHECK_THROWS_WITH(embedkit::kmeans<float>(data, o), Catch::Contains("3 rows cannot make 4 clusters"));
    o.clusters = 0;
    CHECK_THROWS_AS(embedkit::kmeans<float>(data, o), embedkit::invalid_options);
    o.clusters = 2;
    data(1, 1) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(embedkit::kmeans<float>(data, o), Catch::Contains("row 1 contains NaN"));
    // Identical rows: fewer distinct points than clusters still gives clusters (duplicates).
    const RowMatrix<float> same = RowMatrix<float>::Ones(5, 2);
    o.clusters = 3;
    const auto fit = embedkit::kmeans<float>(same, o);
    CHECK(fit.inertia == 0.0);
}
