#include <embedkit/eval/similarity_eval.hpp>

#include <embedkit/io/word2vec_format.hpp>

#include <catch2/catch.hpp>

#include "support/test_files.hpp"

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

using embedkit::RowMatrix;
using embedkit::SimilarityEvalOptions;
using embedkit::WordVectors;

namespace {
using embedkit::testing::kEvalDataDir;
}

TEST_CASE("average_ranks gives tied values the mean of their ranks", "[eval][similarity]") {
    const std::vector<double> ranks = embedkit::average_ranks({10, 20, 10, 5, 20, 20});
    // sorted: 5 (1), 10 10 (2,3 -> 2.5), 20 20 20 (4,5,6 -> 5)
    CHECK(ranks == std::vector<double>{2.5, 5, 2.5, 1, 5, 5});
    CHECK(embedkit::average_ranks({}).empty());
}

TEST_CASE("Spearman's rho with ties against a hand computation", "[eval][similarity]") {
    // Human:  8   8   7   1   2   10  6      ranks 5.5 5.5 4 1 2 7 3
    // Model: .5  .5  .47 .24  0   1   .5     ranks 5   5   3 2 1 7 5
    // Deviations from the mean rank 4: x (1.5 1.5 0 -3 -2 3 -1), y (1 1 -1 -2 -3 3 1);
    // sum xy = 23, sum xx = 27.5, sum yy = 26, so rho = 23 / sqrt(715).
    const std::vector<double> human = {8, 8, 7, 1, 2, 10, 6};
    const std::vector<double> model = {0.5, 0.5, 0.47, 0.24, 0.0, 1.0, 0.5};
    CHECK(embedkit::spearman(human, model) == Approx(23.0 / std::sqrt(715.0)).epsilon(1e-12));
    CHECK(embedkit::spearman(model, human) == Approx(23.0 / std::sqrt(715.0)).epsilon(1e-12));
    // Monotone transforms do not change it; reversing one side negates it.
    std::vector<double> cubed = model;
    for (double& v : cubed) v = v * v * v;
    CHECK(embedkit::spearman(human, cubed) == Approx(23.0 / std::sqrt(715.0)).epsilon(1e-12));
    std::vector<double> negated = model;
    for (double& v : negated) v = -v;
    CHECK(embedkit::spearman(human, negated) == Approx(-23.0 / std::sqrt(715.0)).epsilon(1e-12));
    CHECK(embedkit::spearman({1, 2, 3}, {10, 20, 30}) == Approx(1.0));
    // Undefined: constant input or fewer than two values.
    CHECK(std::isnan(embedkit::spearman({1, 2, 3}, {4, 4, 4})));
    CHECK(std::isnan(embedkit::spearman({1}, {2})));
    CHECK_THROWS_AS(embedkit::spearman({1, 2}, {1}), embedkit::invalid_argument);
}

TEST_CASE("Pearson's r against a hand computation", "[eval][similarity]") {
    // x = 1 2 3 4, y = 2 4 5 9: means 2.5 and 5; dx = -1.5 -.5 .5 1.5, dy = -3 -1 0 4;
    // sum dxdy = 4.5 + .5 + 0 + 6 = 11, sum dx^2 = 5, sum dy^2 = 26.
    CHECK(embedkit::pearson({1, 2, 3, 4}, {2, 4, 5, 9}) == Approx(11.0 / std::sqrt(130.0)).epsilon(1e-12));
}

TEST_CASE("Word-pair files: comments, a header, tabs or spaces", "[eval][similarity]") {
    std::istringstream in("# comment\n\nWord 1\tWord 2\tHuman (mean)\nlove\tsex\t6.77\r\nnew york\tcity\t7\n"
                          "tiger cat 7.35\n");
    const auto pairs = embedkit::parse_word_pairs(in, "mem");
    REQUIRE(pairs.size() == 3);
    CHECK(pairs[0].first == "love");
    CHECK(pairs[0].second == "sex");
    CHECK(pairs[0].score == 6.77);
    CHECK(pairs[1].first == "new york");  // tab-separated lines may hold phrases
    CHECK(pairs[2].second == "cat");
    CHECK(pairs[2].score == 7.35);

    using Catch::Matchers::Contains;
    std::istringstream bad_score("a\tb\t1\nc\td\tlots\n");
    CHECK_THROWS_WITH(embedkit::parse_word_pairs(bad_score, "ws.txt"), Contains("ws.txt:2:") && Contains("lots"));
    std::istringstream two_fields("a\tb\t1\nc\td\n");
    CHECK_THROWS_WITH(embedkit::parse_word_pairs(two_fields, "ws.txt"), Contains("ws.txt:2:") && Contains("got 2"));
    std::istringstream nan_score("a b nan\n");  // a first line with a non-finite score is a header
    CHECK(embedkit::parse_word_pairs(nan_score, "ws.txt").empty());
    std::istringstream inf_score("a b 1\nc d inf\n");
    CHECK_THROWS_AS(embedkit::parse_word_pairs(inf_score, "ws.txt"), embedkit::io_error);
    CHECK_THROWS_WITH(embedkit::read_word_pairs(kEvalDataDir + "missing.tsv"), Contains("missing.tsv"));
}

TEST_CASE("Word similarity on the hand-made vectors", "[eval][similarity]") {
    // Cosines (words are sums of two basis vectors; girl has an extra 0.5): man-woman, king-queen,
    // Paris-berlin .5; boy-girl .47; car-girl .24; man-car 0; paris-paris 1 -- the model column
    // of the hand computation above, against the same human scores.
    const auto vectors = embedkit::read_word2vec<float>(kEvalDataDir + "tiny_vectors.txt");
    SimilarityEvalOptions opts;
    opts.restrict_vocab = 16;  // rome and italy are out
    auto r = embedkit::evaluate_word_pairs(vectors, kEvalDataDir + "tiny_pairs.txt", opts);
    CHECK(r.total == 9);
    CHECK(r.found == 7);
    CHECK(r.coverage() == Approx(7.0 / 9.0));
    CHECK(r.spearman == Approx(23.0 / std::sqrt(715.0)).epsilon(1e-12));
    CHECK(r.pearson == Approx(0.871851).epsilon(1e-5));  // scipy.stats.pearsonr on the exact cosines

    // All words: rome-italy (human 7, cosine .5) joins. Human ranks 6.5 6.5 4.5 1 2 8 3 4.5,
    // model ranks 5.5 5.5 3 2 1 8 5.5 5.5: sum xy = 32.25, xx = 41, yy = 37.
    opts.restrict_vocab = 0;
    r = embedkit::evaluate_word_pairs(vectors, kEvalDataDir + "tiny_pairs.txt", opts);
    CHECK(r.found == 8);
    CHECK(r.spearman == Approx(32.25 / std::sqrt(1517.0)).epsilon(1e-12));

    // Case-sensitive: "Paris" is not a word.
    opts.case_insensitive = false;
    r = embedkit::evaluate_word_pairs(vectors, kEvalDataDir + "tiny_pairs.txt", opts);
    CHECK(r.found == 7);

    opts.restrict_vocab = -1;
    CHECK_THROWS_WITH(embedkit::evaluate_word_pairs(vectors, kEvalDataDir + "tiny_pairs.txt", opts),
                      Catch::Matchers::Contains("restrict_vocab"));
}

TEST_CASE("Word similarity with zero vectors and no coverage", "[eval][similarity]") {
    RowMatrix<double> m(3, 2);
    m << 0, 0, 1, 0, 0, 1;
    const WordVectors<double> vectors({"zero", "x", "y"}, m);
    const std::vector<embedkit::WordPair> pairs = {{"zero", "x", 1}, {"x", "y", 2}, {"x", "x", 3}, {"q", "x", 4}};
    const auto r = embedkit::evaluate_word_pairs(vectors, pairs);
    CHECK(r.found == 3);
    CHECK(r.total == 4);
    // cosines 0, 0, 1 against 1, 2, 3: ranks (1.5 1.5 3) vs (1 2 3) -> rho = 1.5 / sqrt(1.5 * 2)
    CHECK(r.spearman == Approx(1.5 / std::sqrt(3.0)));
    const auto none = embedkit::evaluate_word_pairs(vectors, std::vector<embedkit::WordPair>{{"p", "q", 1}});
    CHECK(none.found == 0);
    CHECK(none.coverage() == 0.0);
    CHECK(std::isnan(none.spearman));
}
