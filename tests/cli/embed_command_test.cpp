// embedkit embed on the hand-made vectors of tests/data/eval: one output line per input line,
// the mean by hand, SIF's component saved and reused for queries, and clear errors.

#include <catch2/catch.hpp>

#include "support/run_command.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"
#include "support/test_files.hpp"

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

namespace {

using embedkit::testing::cli_path;
using embedkit::testing::kEvalDataDir;
using embedkit::testing::shell_quote;

std::vector<std::vector<double>> parse_rows(const std::string& text) {
    std::vector<std::vector<double>> rows;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::vector<double> row;
        double v = 0;
        while (fields >> v) row.push_back(v);
        rows.push_back(row);
    }
    return rows;
}

embedkit::testing::CommandResult embed(const std::string& args, const std::string& input_path, bool merge_stderr) {
    return embedkit::testing::run_command(shell_quote(cli_path()) + " embed --vectors " +
                                              shell_quote(kEvalDataDir + "tiny_vectors.txt") + " " + args + " < " +
                                              shell_quote(input_path),
                                          merge_stderr);
}

}  // namespace

TEST_CASE("embedkit embed writes one mean vector per input line, zeros for unknown lines", "[cli][passage]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    embedkit::testing::TempDir dir;
    const std::string input = dir.file("lines.txt");
    embedkit::testing::put_file(input, "man KING\n\nzzz qqq\nparis\n");
    auto r = embed("--method mean", input, false);
    REQUIRE(r.status == 0);
    const auto rows = parse_rows(r.out);
    REQUIRE(rows.size() == 4);
    for (const auto& row : rows) REQUIRE(row.size() == 16);
    // man = e0 + e2, king = e0 + e3 (tiny_vectors.txt): their mean by hand.
    const std::vector<double> want = {1, 0, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(rows[0] == want);
    CHECK(rows[1] == std::vector<double>(16, 0.0));
    CHECK(rows[2] == std::vector<double>(16, 0.0));
    r = embed("--method mean", input, true);
    CHECK_THAT(r.out, Catch::Contains("2 of 4 lines had no known word"));
}

TEST_CASE("embedkit embed --method sif saves its component and embeds queries with it", "[cli][passage]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    embedkit::testing::TempDir dir;
    const std::string counts = dir.file("counts.txt");
    embedkit::testing::put_file(counts, "man 50\nwoman 40\nking 5\nqueen 5\n");
    const std::string input = dir.file("passages.txt");
    embedkit::testing::put_file(input, "man king\nwoman queen\nman woman\nking queen paris\n");
    const std::string component = dir.file("c.sif");
    auto r = embed("--counts " + shell_quote(counts) + " --save-component " + shell_quote(component), input, false);
    INFO(r.out);
    REQUIRE(r.status == 0);
    const auto passages = parse_rows(r.out);
    REQUIRE(passages.size() == 4);
    // Every passage is orthogonal to the saved component.
    const auto file = embedkit::testing::file_bytes(component);
    std::istringstream lines(file);
    std::string line;
    for (int i = 0; i < 4; ++i) std::getline(lines, line);
    const auto u = parse_rows(line)[0];
    REQUIRE(u.size() == 16);
    for (const auto& p : passages) {
        double dot = 0;
        for (std::size_t j = 0; j < 16; ++j) dot += p[j] * u[j];
        CHECK(std::abs(dot) < 1e-5);
    }
    // A query embedded alone with the saved component equals the collection's row.
    const std::string query = dir.file("query.txt");
    embedkit::testing::put_file(query, "woman queen\n");
    r = embed("--counts " + shell_quote(counts) + " --component " + shell_quote(component), query, false);
    REQUIRE(r.status == 0);
    const auto q = parse_rows(r.out);
    REQUIRE(q.size() == 1);
    for (std::size_t j = 0; j < 16; ++j) CHECK(q[0][j] == Approx(passages[1][j]).margin(1e-6));
}

TEST_CASE("embedkit embed rejects missing counts and bad options with clear errors", "[cli][passage]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    embedkit::testing::TempDir dir;
    const std::string input = dir.file("lines.txt");
    embedkit::testing::put_file(input, "man\n");
    auto r = embed("", input, true);
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("needs --counts FILE"));
    r = embed("--method max", input, true);
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("--method must be mean or sif"));
    const std::string counts = dir.file("counts.txt");
    embedkit::testing::put_file(counts, "man 5\nwoman x\n");
    r = embed("--counts " + shell_quote(counts), input, true);
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("counts.txt"));
    CHECK_THAT(r.out, Catch::Contains("counts.txt:2: count"));
}
