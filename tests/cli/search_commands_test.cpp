// embedkit nn / analogy / eval on the hand-made vectors of tests/data/eval (answers known by
// construction: every word is the sum of two basis vectors).

#include <catch2/catch.hpp>

#include "support/run_command.hpp"
#include "support/skip.hpp"
#include "support/test_files.hpp"

#include <string>


namespace {

using embedkit::testing::cli_path;

using embedkit::testing::kEvalDataDir;
using embedkit::testing::run_cli;

std::string vectors() { return "--vectors '" + kEvalDataDir + "tiny_vectors.txt'"; }

}  // namespace

TEST_CASE("embedkit nn prints neighbours with cosine scores", "[cli][search]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    // girl = female + boy-ish axis + 0.5 on the "singular" axis: its neighbours are boy and woman
    // (cosine 1/(1.5 sqrt 2) = 0.4714), then queen (same), then words sharing the 0.5 axis.
    const auto r = run_cli("nn " + vectors() + " -k 2 GIRL man");
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("girl:\n   1  woman  0.4714\n   2  queen  0.4714\n") != std::string::npos);
    // man = male + person: woman, king, boy share one axis (0.5); lowest ids first.
    CHECK(r.out.find("man:\n   1  woman  0.5000\n   2  king   0.5000\n") != std::string::npos);
}

TEST_CASE("embedkit analogy answers B - A + C", "[cli][search]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    auto r = run_cli("analogy " + vectors() + " paris france berlin -k 1");
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("paris : france :: berlin : ?") != std::string::npos);
    CHECK(r.out.find("   1  germany  1.0000") != std::string::npos);
    r = run_cli("analogy " + vectors() + " man king woman -k 2 --method mul");
    REQUIRE(r.status == 0);
    CHECK(r.out.find("   1  queen   1.1228") != std::string::npos);  // (3/4)(3/4)/(1/2 + 0.001)
}

TEST_CASE("embedkit eval prints the analogy table, the correlation and JSON", "[cli][eval]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    const std::string files = " --analogies '" + kEvalDataDir + "tiny_questions.txt' --similarity '" + kEvalDataDir + "tiny_pairs.txt'";
    auto r = run_cli("eval " + vectors() + files + " --restrict 16 --similarity-restrict 16");
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("overall                           9        11         4     81.82%") != std::string::npos);
    CHECK(r.out.find("semantic                          5         6         4     83.33%") != std::string::npos);
    CHECK(r.out.find("spearman 0.8602") != std::string::npos);  // 23 / sqrt(715)
    CHECK(r.out.find("pairs found 7/9 (77.8%)") != std::string::npos);

    r = run_cli("eval " + vectors() + files + " --restrict 16 --json");
    REQUIRE(r.status == 0);
    CHECK(r.out.find(R"("overall": {"name": "overall", "correct": 9, "answered": 11, "skipped": 4)") !=
          std::string::npos);
    CHECK(r.out.find(R"("found": 8, "total": 9)") != std::string::npos);
    CHECK(r.out.front() == '{');
}

TEST_CASE("embedkit search commands fail with exit 1 on bad input", "[cli][search]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    auto r = run_cli("nn --vectors /nonexistent/vectors.txt king");
    CHECK(r.status == 1);
    CHECK(r.out.find("/nonexistent/vectors.txt") != std::string::npos);
    r = run_cli("nn " + vectors() + " king nosuchword");
    CHECK(r.status == 1);
    CHECK(r.out.find("nosuchword") != std::string::npos);
    CHECK(r.out.find("king:") == std::string::npos);  // nothing printed before the error
    r = run_cli("analogy " + vectors() + " man king nosuchword");
    CHECK(r.status == 1);
    CHECK(r.out.find("not in vocabulary: 'nosuchword'") != std::string::npos);
    r = run_cli("eval " + vectors());
    CHECK(r.status == 1);
    CHECK(r.out.find("--analogies") != std::string::npos);
    r = run_cli("eval " + vectors() + " --analogies '" + kEvalDataDir + "tiny_pairs.txt'");
    CHECK(r.status == 1);
    CHECK(r.out.find("tiny_pairs.txt:1:") != std::string::npos);  // malformed: named with its line
    r = run_cli("nn " + vectors() + " -k 0 king");
    CHECK(r.status == 1);
}
