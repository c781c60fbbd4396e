#include <embedkit/search/analogy.hpp>

#include <embedkit/detail/rng.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using embedkit::AnalogyMethod;
using embedkit::AnalogyOptions;
using embedkit::AnalogyQuestion;
using embedkit::AnalogySolver;
using embedkit::RowMatrix;
using embedkit::TokenId;
using embedkit::WordVectors;

namespace {

// Each word is the sum of two basis vectors, so b - a + c is exactly another word when the
// analogy holds: man = male + person, king = male + royal, woman = female + person, ...
WordVectors<float> family_vectors() {
    const std::vector<std::pair<std::string, std::vector<int>>> table = {
        {"man", {0, 2}},   {"woman", {1, 2}},  {"king", {0, 3}},  {"queen", {1, 3}},
        {"boy", {0, 4}},   {"girl", {1, 4}},   {"prince", {3, 4}}, {"Crown", {3, 5}},
    };
    RowMatrix<float> m = RowMatrix<float>::Zero(static_cast<Eigen::Index>(table.size()), 6);
    std::vector<std::string> words;
    for (std::size_t i = 0; i < table.size(); ++i) {
        words.push_back(table[i].first);
        for (int axis : table[i].second) m(static_cast<Eigen::Index>(i), axis) = 1.0f;
    }
    return WordVectors<float>(std::move(words), std::move(m));
}

// Brute-force answers in double with the textbook formulas.
std::vector<std::pair<double, TokenId>> oracle(const RowMatrix<double>& unit, const AnalogyQuestion& q,
                                               AnalogyMethod method, Eigen::Index restrict) {
    const Eigen::Index rows = restrict > 0 ? std::min(restrict, unit.rows()) : unit.rows();
    Eigen::RowVectorXd target = unit.row(q.b) - unit.row(q.a) + unit.row(q.c);
    target /= target.norm();
    std::vector<std::pair<double, TokenId>> all;
    for (Eigen::Index i = 0; i < rows; ++i) {
        const auto id = static_cast<TokenId>(i);
        if (id == q.a || id == q.b || id == q.c) continue;
        double score = unit.row(i).dot(target);
        if (method == AnalogyMethod::cos_mul) {
            const double ca = (unit.row(i).dot(unit.row(q.a)) + 1) / 2;
            const double cb = (unit.row(i).dot(unit.row(q.b)) + 1) / 2;
            const double cc = (unit.row(i).dot(unit.row(q.c)) + 1) / 2;
            score = cb * cc / (ca + 0.001);
        }
        all.emplace_back(score, id);
    }
    std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) {
        return x.first > y.first || (x.first == y.first && x.second < y.second);
    });
    return all;
}

}  // namespace

TEST_CASE("3CosAdd answers planted analogies and never returns the question words", "[search][analogy]") {
    const auto vectors = family_vectors();
    const AnalogySolver<float> solver(vectors, 0, 1);
    // man : king :: woman : queen
    auto r = solver.solve("man", "king", "woman", 3);
    REQUIRE(r.size() == 3);
    CHECK(vectors.word(r[0].id) == "queen");
    CHECK(r[0].score == Approx(1.0f));
    for (const auto& n : r) {
        CHECK(n.id != vectors.at("man"));
        CHECK(n.id != vectors.at("king"));
        CHECK(n.id != vectors.at("woman"));
    }
    // Upper-case question words fall back to their lower-case form.
    r = solver.solve("BOY", "Girl", "king", 1);
    CHECK(vectors.word(r.front().id) == "queen");
    // An exact match wins over the lower-case fallback.
    CHECK(solver.word_id("Crown") == 7);
    // k larger than the candidates: every other word, best first.
    r = solver.solve(vectors.at("man"), vectors.at("king"), vectors.at("woman"), 100);
    CHECK(r.size() == vectors.size() - 3);
}

TEST_CASE("3CosMul follows Levy and Goldberg's formula", "[search][analogy]") {
    const auto vectors = family_vectors();
    const AnalogySolver<float> solver(vectors, 0, 1);
    AnalogyOptions opts;
    opts.method = AnalogyMethod::cos_mul;
    const auto r = solver.solve("man", "king", "woman", 2, opts);
    REQUIRE(r.size() == 2);
    CHECK(vectors.word(r[0].id) == "queen");
    // queen: cos to king 1/2, to woman 1/2, to man 0 -> (3/4)(3/4)/(1/2 + 0.001)
    CHECK(r[0].score == Approx(0.5625 / 0.501).epsilon(1e-5));
    // then girl: cos to king 0, woman 1/2, man 0 -> (1/2)(3/4)/(1/2 + 0.001); prince: (3/4)(1/2)/(1/2+0.001):
    // a tie broken by the lower id (girl = 5 < prince = 6).
    CHECK(vectors.word(r[1].id) == "girl");
    CHECK(r[1].score == Approx(0.375 / 0.501).epsilon(1e-5));
}

TEST_CASE("Analogy batches agree with a brute-force oracle for both methods", "[search][analogy]") {
    embedkit::detail::Rng rng(99);
    const Eigen::Index n = 700, d = 24;
    RowMatrix<float> m(n, d);
    for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j < d; ++j) m(i, j) = rng.normal<float>();
    std::vector<std::string> words;
    for (Eigen::Index i = 0; i < n; ++i) words.push_back("w" + std::to_string(i));
    const WordVectors<float> vectors(std::move(words), m);
    RowMatrix<double> unit = m.cast<double>();
    for (Eigen::Index i = 0; i < n; ++i) unit.row(i) /= unit.row(i).norm();

    std::vector<AnalogyQuestion> questions;
    for (int i = 0; i < 60; ++i) {
        questions.push_back({static_cast<TokenId>(rng.below(500)), static_cast<TokenId>(rng.below(500)),
                             static_cast<TokenId>(rng.below(500))});
    }
    for (const auto method : {AnalogyMethod::cos_add, AnalogyMethod::cos_mul}) {
        for (const Eigen::Index restrict : {Eigen::Index{0}, Eigen::Index{300}}) {
            for (const unsigned threads : {1u, 2u}) {
                const AnalogySolver<float> solver(vectors, 500, threads);
                CHECK(solver.rows() == 500);
                AnalogyOptions opts;
                opts.method = method;
                opts.restrict_rows = restrict;
                const auto batch = solver.solve_batch(questions, 5, opts);
                REQUIRE(batch.size() == questions.size());
                for (std::size_t qi = 0; qi < questions.size(); ++qi) {
                    INFO("method " << embedkit::to_string(method) << " restrict " << restrict << " question " << qi);
                    const auto want = oracle(unit.topRows(500), questions[qi], method, restrict);
                    const auto& got = batch[qi];
                    REQUIRE(got.size() == 5);
                    for (std::size_t j = 0; j < got.size(); ++j) {
                        CHECK(got[j].score == Approx(want[j].first).margin(1e-5));
                        if (got[j].id != want[j].second) {
                            // only a near-tie may swap
                            const auto it = std::find_if(want.begin(), want.end(),
                                                         [&](const auto& w) { return w.second == got[j].id; });
                            REQUIRE(it != want.end());
                            CHECK(std::abs(it->first - want[j].first) < 1e-5);
                        }
                        if (restrict > 0) CHECK(got[j].id < restrict);
                    }
                    if (qi < 3) {
                        const auto single = solver.solve(questions[qi].a, questions[qi].b, questions[qi].c, 5, opts);
                        REQUIRE(single.size() == 5);
                        CHECK(single[0].id == got[0].id);
                    }
                }
            }
        }
    }
}

TEST_CASE("AnalogySolver extra exclusions and coverage", "[search][analogy]") {
    const auto vectors = family_vectors();
    const AnalogySolver<float> solver(vectors, 0, 1);
    const AnalogyQuestion q{vectors.at("man"), vectors.at("king"), vectors.at("woman")};
    const auto r = solver.solve_batch({q, q}, 1, {}, {{vectors.at("queen")}, {}});
    CHECK(vectors.word(r[0].front().id) != "queen");
    CHECK(vectors.word(r[1].front().id) == "queen");

    // Covering only the first 4 words: answers and questions come from them.
    const AnalogySolver<float> small(vectors, 4, 1);
    CHECK(small.rows() == 4);
    CHECK(vectors.word(small.solve("man", "king", "woman", 1).front().id) == "queen");
    CHECK_THROWS_WITH(small.solve("boy", "girl", "king", 1), Catch::Matchers::Contains("not among the first 4"));
}

TEST_CASE("AnalogySolver rejects bad input", "[search][analogy]") {
    const auto vectors = family_vectors();
    const AnalogySolver<float> solver(vectors, 0, 1);
    using Catch::Matchers::Contains;
    CHECK_THROWS_AS(solver.solve("man", "king", "nosuchword", 1), embedkit::invalid_argument);
    CHECK_THROWS_WITH(solver.solve("man", "king", "nosuchword", 1), Contains("nosuchword"));
    CHECK_THROWS_WITH(solver.solve(0, 1, 2, 0), Contains("k must be positive"));
    CHECK_THROWS_WITH(solver.solve(0, 1, 99, 1), Contains("outside [0, 8)"));
    CHECK_THROWS_AS(solver.solve_batch({{0, 1, 2}}, 1, {}, {{}, {}}), embedkit::invalid_argument);
    AnalogyOptions bad;
    bad.mul_epsilon = 0;
    CHECK_THROWS_WITH(solver.solve(0, 1, 2, 1, bad), Contains("mul_epsilon"));
    bad = {};
    bad.restrict_rows = -2;
    CHECK_THROWS_AS(solver.solve(0, 1, 2, 1, bad), embedkit::invalid_options);
    CHECK_THROWS_AS(AnalogySolver<float>(vectors, -1), embedkit::invalid_argument);
    CHECK(solver.solve_batch({}, 3).empty());
}
