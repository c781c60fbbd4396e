// embedkit train --model fasttext, embedkit vectors --model, embedkit nn --model: end to end on
// a small generated corpus.

#include <embedkit/io/word2vec_format.hpp>
#include <embedkit/models/fasttext.hpp>

#include <catch2/catch.hpp>

#include "support/run_command.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

using namespace embedkit;
namespace fs = std::filesystem;

namespace {

using embedkit::testing::cli_path;

using embedkit::testing::CommandResult;
using embedkit::testing::TempDir;

// Runs the CLI with `args` (already shell-quoted) and `input` (no single quotes) on stdin;
// stdout, plus stderr when `merge_stderr`.
CommandResult run(const std::string& args, bool merge_stderr = true, const std::string& input = "") {
    return embedkit::testing::run_command(
        "printf '" + input + "' | " + embedkit::testing::shell_quote(cli_path()) + " " + args, merge_stderr);
}


void write_inflected_corpus(const std::string& path) {
    std::ofstream out(path, std::ios::binary);
    detail::Rng rng(3);
    const std::vector<std::vector<std::string>> topics = {{"garden", "flower", "forest", "meadow"},
                                                          {"engine", "piston", "turbine", "gearbox"}};
    const std::vector<std::string> suffixes = {"", "s", "ing"};
    for (int line = 0; line < 600; ++line) {
        const auto& stems = topics[rng.below(2)];
        for (int k = 0; k < 12; ++k) out << stems[rng.below(stems.size())] << suffixes[rng.below(3)] << ' ';
        out << '\n';
    }
}

}  // namespace

TEST_CASE("embedkit train --model fasttext, vectors and nn --model", "[cli][fasttext]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    const TempDir dir;
    write_inflected_corpus(dir.file("corpus.txt"));
    const std::string common = "--input '" + dir.file("corpus.txt") + "' --dim 12 --epochs 5 --min-count 1 --threads 1 "
                               "--sample 0 --minn 3 --maxn 5 --buckets 10000 -q";
    for (const std::string model : {"fasttext", "fasttext-cbow"}) {
        INFO(model);
        const auto r = run("train --model " + model + " " + common + " --output '" + dir.file(model + ".vec") +
                           "' --save-model '" + dir.file(model + ".ekft") + "'");
        INFO(r.out);
        REQUIRE(r.status == 0);
        const auto vec = read_word2vec<float>(dir.file(model + ".vec"));
        const auto saved = FastTextModel<float>::load(dir.file(model + ".ekft"));
        CHECK(vec.size() == saved.vocab().size());
        CHECK(vec.dim() == 12);
        CHECK(saved.subwords().minn == 3);
        CHECK(saved.subwords().maxn == 5);
        CHECK(saved.subwords().buckets == 10000);
        // The .vec rows are the model's vocabulary vectors (written as text: 6+ significant digits).
        const auto id = vec.at("pistons");
        CHECK((vec.matrix().row(id) - saved.word_vector("pistons")).cwiseAbs().maxCoeff() < 1e-5);
    }

    const std::string model = dir.file("fasttext.ekft");
    const auto saved = FastTextModel<float>::load(model);
    std::string stranger;  // a word nothing is known about: not in the vocabulary, no trained n-gram
    for (int i = 0; i < 1000 && stranger.empty(); ++i) {
        if (!saved.knows("q" + std::to_string(i))) stranger = "q" + std::to_string(i);
    }
    REQUIRE_FALSE(stranger.empty());

    SECTION("vectors prints known and unseen words") {
        const auto r = run("vectors --model '" + model + "' -q", false, "garden pistoning\\n" + stranger + "\\n");
        REQUIRE(r.status == 0);
        std::istringstream lines(r.out);
        std::string line;
        std::vector<std::string> words;
        while (std::getline(lines, line)) {
            std::istringstream fields(line);
            std::string word;
            fields >> word;
            words.push_back(word);
            std::vector<float> values;
            float x = 0;
            while (fields >> x) values.push_back(x);
            REQUIRE(values.size() == 12);
            const auto expected = saved.word_vector(word);
            for (int c = 0; c < 12; ++c) CHECK(values[static_cast<std::size_t>(c)] == Approx(expected[c]).margin(1e-6));
        }
        CHECK(words == std::vector<std::string>{"garden", "pistoning", stranger});
        CHECK(saved.word_vector(stranger).isZero(0));
        // Without -q, a word nothing is known about gets a warning on stderr.
        const auto warned = run("vectors --model '" + model + "'", true, stranger);
        CHECK_THAT(warned.out, Catch::Contains("warning"));
    }

    SECTION("nn --model accepts unseen words") {
        const auto r = run("nn --model '" + model + "' -k 3 gardening flowered");
        INFO(r.out);
        REQUIRE(r.status == 0);
        CHECK_THAT(r.out, Catch::Contains("gardening:"));
        CHECK_THAT(r.out, Catch::Contains("flowered (from n-grams):"));
        // The unseen "flowered" lands among its stem's forms.
        const auto at = r.out.find("flowered (from n-grams):");
        CHECK(r.out.find("flower", at + 25) != std::string::npos);
        const auto none = run("nn --model '" + model + "' " + stranger);
        CHECK(none.status != 0);
        CHECK_THAT(none.out, Catch::Contains("no vector for '" + stranger + "'"));
        const auto both = run("nn --model '" + model + "' --vectors '" + dir.file("fasttext.vec") + "' garden");
        CHECK(both.status != 0);
    }

    SECTION("fastText-only flags are rejected for Word2Vec models") {
        const auto r = run("train --model skipgram " + common + " --output '" + dir.file("w2v.vec") + "'");
        CHECK(r.status != 0);
        CHECK_THAT(r.out, Catch::Contains("--minn"));
        const auto bad = run("train --model fasttext --input '" + dir.file("corpus.txt") + "' --output '" +
                             dir.file("x.vec") + "' --minn 7 --maxn 6 -q");
        CHECK(bad.status != 0);
        CHECK_THAT(bad.out, Catch::Contains("minn"));
        const auto scale = run("train --model skipgram --input '" + dir.file("corpus.txt") + "' --output '" +
                               dir.file("w2v.vec") + "' --no-gensim-input-scale -q");
        CHECK(scale.status != 0);
        CHECK_THAT(scale.out, Catch::Contains("--gensim-input-scale"));
    }

    SECTION("--gensim-input-scale and --no-gensim-input-scale choose the input; a small corpus takes gensim's") {
        const auto r = run("train --model fasttext " + common + " --gensim-input-scale --output '" +
                           dir.file("scaled.vec") + "'");
        INFO(r.out);
        REQUIRE(r.status == 0);
        const auto scaled = read_word2vec<float>(dir.file("scaled.vec"));
        const auto chosen = read_word2vec<float>(dir.file("fasttext.vec"));  // the default below 10M tokens
        REQUIRE(chosen.size() == scaled.size());
        CHECK(chosen.matrix() == scaled.matrix());
        const auto explicit_mean = run("train --model fasttext " + common + " --no-gensim-input-scale --output '" +
                                       dir.file("mean.vec") + "'");
        REQUIRE(explicit_mean.status == 0);
        CHECK_FALSE(read_word2vec<float>(dir.file("mean.vec")).matrix() == chosen.matrix());
    }
}
