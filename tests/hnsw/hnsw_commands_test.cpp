// embedkit index / search / nn --index on the hand-made vectors of tests/data/eval: on 19 rows the
// HNSW search is exact, so nn --index must print what nn --vectors prints.

#include <catch2/catch.hpp>

#include "support/run_command.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"
#include "support/test_files.hpp"

#include <string>

namespace {

using embedkit::testing::cli_path;
using embedkit::testing::kEvalDataDir;
using embedkit::testing::run_cli;
using embedkit::testing::shell_quote;

const std::string kTinyVectors = kEvalDataDir + "tiny_vectors.txt";

}  // namespace

TEST_CASE("embedkit nn --index prints exactly what nn --vectors prints", "[cli][hnsw]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    embedkit::testing::TempDir dir;
    const std::string index = dir.file("tiny.hnsw");
    auto r = run_cli("index --vectors " + shell_quote(kTinyVectors) + " --output " + shell_quote(index) + " --m 4");
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("indexed 19 rows of dimension 16"));
    const auto exact = run_cli("nn --vectors " + shell_quote(kTinyVectors) + " -k 4 GIRL man paris", false);
    const auto approx = run_cli("nn --index " + shell_quote(index) + " -k 4 GIRL man paris", false);
    REQUIRE(exact.status == 0);
    REQUIRE(approx.status == 0);
    CHECK(approx.out == exact.out);
    r = run_cli("nn --index " + shell_quote(index) + " nosuchword");
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("word not in vocabulary: 'nosuchword'"));
}

TEST_CASE("embedkit search reads words and vectors, one query per line", "[cli][hnsw]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    embedkit::testing::TempDir dir;
    const std::string index = dir.file("tiny.hnsw");
    REQUIRE(run_cli("index --vectors " + shell_quote(kTinyVectors) + " --output " + shell_quote(index)).status == 0);
    const std::string queries = dir.file("queries.txt");
    // The vector of "man" (e0 + e2) as numbers: its best match is man itself (cosine 1).
    embedkit::testing::put_file(queries, "man\n\n1 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
    auto r = run_cli("search --index " + shell_quote(index) + " --ef 32 -k 2 < " + shell_quote(queries), false);
    INFO(r.out);
    REQUIRE(r.status == 0);
    const auto nn = run_cli("nn --vectors " + shell_quote(kTinyVectors) + " -k 2 man", false);
    CHECK(r.out.rfind(nn.out, 0) == 0);  // the word query prints as nn does
    CHECK_THAT(r.out, Catch::Contains("line 3:\n   1  man    1.0000\n"));

    embedkit::testing::put_file(queries, "man\n1 2 x\n");
    r = run_cli("search --index " + shell_quote(index) + " < " + shell_quote(queries));
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("line 2: expected a word of the index or 16 numbers, got 3 fields"));
    CHECK(r.out.find("man:") == std::string::npos);  // nothing printed before the error

    // Rows added to an existing index are found.
    const std::string more = dir.file("more.txt");
    embedkit::testing::put_file(more, "2 16\nprince 1 0 0 1 0 0 0 0 0 0 0 0 0 0 0 1\nprincess 0 1 0 1 0 0 0 0 0 0 0 0 0 0 0 1\n");
    const std::string grown = dir.file("grown.hnsw");
    r = run_cli("index --vectors " + shell_quote(more) + " --add-to " + shell_quote(index) + " --output " + shell_quote(grown));
    REQUIRE(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("2 rows added, 21 rows"));
    r = run_cli("nn --index " + shell_quote(grown) + " -k 1 king", false);
    CHECK_THAT(r.out, Catch::Contains("king:\n   1  prince  0.8165\n"));  // 2 / sqrt(6)

    // A file that is not an index fails with its name.
    r = run_cli("search --index " + shell_quote(kTinyVectors) + " < " + shell_quote(queries));
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("tiny_vectors.txt"));
    CHECK_THAT(r.out, Catch::Contains("wrong magic"));
}
