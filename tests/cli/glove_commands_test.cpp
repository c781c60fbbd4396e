// embedkit train --model glove|ppmi-svd and embedkit cooccur, end to end on a small generated
// corpus: outputs, determinism with and without spills, errors and no partial files.

#include <embedkit/io/word2vec_format.hpp>
#include <embedkit/models/cooccurrence.hpp>

#include <catch2/catch.hpp>

#include "support/run_command.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"
#include "support/test_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace embedkit;
namespace fs = std::filesystem;

namespace {

using embedkit::testing::run_cli;
using embedkit::testing::TempDir;

void write_topic_corpus(const std::string& path) {
    std::ofstream out(path, std::ios::binary);
    detail::Rng rng(5);
    const std::vector<std::vector<std::string>> topics = {{"garden", "flower", "forest", "meadow", "river"},
                                                          {"engine", "piston", "turbine", "gearbox", "valve"}};
    for (int line = 0; line < 300; ++line) {
        const auto& words = topics[rng.below(2)];
        for (int k = 0; k < 12; ++k) out << words[rng.below(words.size())] << ' ';
        out << '\n';
    }
}

using embedkit::testing::file_bytes;

}  // namespace

TEST_CASE("embedkit train --model glove|ppmi-svd write vectors", "[cli][glove]") {
    if (embedkit::testing::cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    const TempDir dir("embedkit_cli_glove_");
    write_topic_corpus(dir.file("corpus.txt"));
    const std::string input = " --input '" + dir.file("corpus.txt") + "' --min-count 1 --dim 6 --temp-dir '" +
                              dir.path().string() + "'";
    auto r = run_cli("train --model glove" + input + " --epochs 3 --window 4 --output '" + dir.file("g.vec") +
                     "' --save-cooccurrence '" + dir.file("m.bin") + "' --save-vocab '" + dir.file("vocab.txt") + "'");
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("co-occurrence: window 4") != std::string::npos);
    CHECK(r.out.find("glove: 100.0%") != std::string::npos);
    const auto glove = read_word2vec<float>(dir.file("g.vec"));
    CHECK(glove.size() == 10);
    CHECK(glove.dim() == 6);
    const CooccurrenceMatrix m = CooccurrenceMatrix::load(dir.file("m.bin"));
    CHECK(m.window() == 4);
    CHECK(m.vocab().size() == 10);
    CHECK(fs::exists(dir.file("vocab.txt")));

    r = run_cli("train --model ppmi-svd" + input + " --output '" + dir.file("p.vec") + "' --format bin -q");
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(r.out.empty());
    const auto ppmi = read_word2vec<float>(dir.file("p.vec"));
    CHECK(ppmi.size() == 10);
    CHECK(ppmi.dim() == 6);
    // Only the outputs are left: the spill directories are gone.
    CHECK(dir.entries().size() == 5);
}

TEST_CASE("embedkit train --model glove: one thread and a seed give identical files, with or without spills",
          "[cli][glove]") {
    if (embedkit::testing::cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    const TempDir dir("embedkit_cli_glove_");
    write_topic_corpus(dir.file("corpus.txt"));
    auto train = [&](const std::string& extra, const std::string& out) {
        const auto r = run_cli("train --model glove --input '" + dir.file("corpus.txt") +
                               "' --min-count 1 --dim 8 --epochs 4 --threads 1 -q --output '" + dir.file(out) + "' " + extra);
        INFO(r.out);
        REQUIRE(r.status == 0);
        return file_bytes(dir.file(out));
    };
    const std::string a = train("--seed 3", "a.vec");
    const std::string b = train("--seed 3 --memory 0.0001", "b.vec");
    const std::string c = train("--seed 4", "c.vec");
    CHECK(a.size() > 100);
    CHECK(a == b);
    CHECK(a != c);
}

TEST_CASE("embedkit cooccur writes a matrix the library loads", "[cli][glove]") {
    if (embedkit::testing::cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    const TempDir dir("embedkit_cli_glove_");
    write_topic_corpus(dir.file("corpus.txt"));
    const auto r = run_cli("cooccur --input '" + dir.file("corpus.txt") + "' --output '" + dir.file("m.bin") +
                           "' --min-count 1 --window 3 --memory 0.0001 --max-open-files 4 --temp-dir '" +
                           dir.path().string() + "'");
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("spilled runs") != std::string::npos);
    const CooccurrenceMatrix m = CooccurrenceMatrix::load(dir.file("m.bin"));
    CHECK(m.window() == 3);
    CHECK(m.entries().size() > 20);
    CHECK(dir.entries().size() == 2);  // corpus.txt and m.bin
}

TEST_CASE("embedkit train --model glove|ppmi-svd: errors name the problem and leave no output", "[cli][glove]") {
    if (embedkit::testing::cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    const TempDir dir("embedkit_cli_glove_");
    write_topic_corpus(dir.file("corpus.txt"));
    const std::string input = " --input '" + dir.file("corpus.txt") + "'";
    const std::string output = " --output '" + dir.file("out.vec") + "'";
    struct Case {
        std::string args;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"--model glove --x-max -1" + input + output, "GloveOptions.x_max must be > 0 (got -1)"},
        {"--model glove --memory 0" + input + output, "CooccurrenceOptions.memory_mb"},
        {"--model glove --context-smoothing 0.5" + input + output, "--context-smoothing does not apply to --model glove"},
        {"--model ppmi-svd --x-max 10" + input + output, "--x-max does not apply to --model ppmi-svd"},
        {"--model ppmi-svd --epochs 3" + input + output, "--epochs does not apply to --model ppmi-svd"},
        {"--model ppmi-svd --context-smoothing 2" + input + output, "PpmiSvdOptions.context_smoothing"},
        {"--model glove --input '" + dir.file("missing.txt") + "'" + output, "missing.txt"},
        {"--model glove --min-count 100000" + input + output, "no word occurs at least --min-count 100000 times"},
        {"--model ppmi-svd --min-count 1 --dim 50" + input + output, "dim 50 exceeds the vocabulary of 10 words"},
        {"--model glove --min-count 1 --lr 1e30" + input + output, "try a lower one"},
        {"--model glove" + input + " --output '" + dir.file("no/such/dir/out.vec") + "'", "no/such/dir/out.vec"},
    };
    for (const Case& c : cases) {
        const auto r = run_cli("train " + c.args);
        INFO(c.args << "\n" << r.out);
        CHECK(r.status == 1);
        CHECK(r.out.find(c.message) != std::string::npos);
        CHECK(!fs::exists(dir.file("out.vec")));
    }
    CHECK(dir.entries() == std::vector<std::string>{"corpus.txt"});
}
