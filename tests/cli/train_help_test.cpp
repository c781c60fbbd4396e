// embedkit train --help: without --model, the flags every model has and the list of models;
// with --model M (before or after --help), exactly the flags that apply to M.

#include <catch2/catch.hpp>

#include "support/run_command.hpp"
#include "support/skip.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using embedkit::testing::cli_path;
using embedkit::testing::run_cli;

namespace {

/// The flags a help text lists in its option column ("  -q,--quiet", "  --x-max FLOAT",
/// "  --shared-negatives,--no-shared-negatives{false}", "  --stream Excludes: --in-memory").
std::set<std::string> help_flags(const std::string& help) {
    std::set<std::string> flags;
    std::istringstream lines(help);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("  -", 0) != 0) continue;
        std::istringstream names(line.substr(2, line.find(' ', 2) - 2));
        std::string name;
        while (std::getline(names, name, ',')) flags.insert(name.substr(0, name.find('{')));
    }
    return flags;
}

const std::vector<std::string> kHelpModels = {"skipgram", "cbow",     "fasttext", "fasttext-cbow",
                                              "glove",    "ppmi-svd", "pairs"};

/// The flags that apply to only some models, and those models (every other flag applies to all).
const std::map<std::string, std::set<std::string>> kModelFlags = {
    {"--epochs", {"skipgram", "cbow", "fasttext", "fasttext-cbow", "glove", "pairs"}},
    {"--lr", {"skipgram", "cbow", "fasttext", "fasttext-cbow", "glove", "pairs"}},
    {"--temp-dir", {"skipgram", "cbow", "fasttext", "fasttext-cbow", "glove", "ppmi-svd"}},
    {"--checkpoint", {"skipgram", "cbow", "fasttext", "fasttext-cbow"}},
    {"--checkpoint-every", {"skipgram", "cbow", "fasttext", "fasttext-cbow"}},
    {"--resume", {"skipgram", "cbow", "fasttext", "fasttext-cbow"}},
    {"--stream", {"skipgram", "cbow", "fasttext", "fasttext-cbow"}},
    {"--in-memory", {"skipgram", "cbow", "fasttext", "fasttext-cbow"}},
    {"--negative", {"skipgram", "cbow", "fasttext", "fasttext-cbow"}},
    {"--hs", {"skipgram", "cbow", "fasttext", "fasttext-cbow"}},
    {"--sample", {"skipgram", "cbow", "fasttext", "fasttext-cbow"}},
    {"--negative-power", {"skipgram", "cbow", "fasttext", "fasttext-cbow"}},
    {"--sync-words", {"skipgram", "cbow", "fasttext", "fasttext-cbow"}},
    {"--full-sync-words", {"skipgram", "cbow", "fasttext", "fasttext-cbow"}},
    {"--sync-rows", {"skipgram", "cbow", "fasttext", "fasttext-cbow"}},
    {"--sync-merge", {"skipgram", "cbow", "fasttext", "fasttext-cbow"}},
    {"--sync-settling", {"skipgram", "cbow", "fasttext", "fasttext-cbow"}},
    {"--sync-precision", {"skipgram", "cbow", "fasttext", "fasttext-cbow"}},
    {"--cbow-sum", {"cbow", "fasttext-cbow"}},
    {"--shared-negatives", {"skipgram", "fasttext"}},
    {"--no-shared-negatives", {"skipgram", "fasttext"}},
    {"--minn", {"fasttext", "fasttext-cbow"}},
    {"--maxn", {"fasttext", "fasttext-cbow"}},
    {"--buckets", {"fasttext", "fasttext-cbow"}},
    {"--save-model", {"fasttext", "fasttext-cbow"}},
    {"--gensim-input-scale", {"fasttext"}},
    {"--no-gensim-input-scale", {"fasttext"}},
    {"--update-per-prediction", {"fasttext"}},
    {"--x-max", {"glove"}},
    {"--alpha", {"glove"}},
    {"--word-only", {"glove"}},
    {"--context-smoothing", {"ppmi-svd"}},
    {"--eigenvalue-power", {"ppmi-svd"}},
    {"--power-iterations", {"ppmi-svd"}},
    {"--memory", {"glove", "ppmi-svd"}},
    {"--save-cooccurrence", {"glove", "ppmi-svd"}},
    {"--loss", {"pairs"}},
    {"--batch-size", {"pairs"}},
    {"--temperature", {"pairs"}},
    {"--similarity", {"pairs"}},
    {"--scale", {"pairs"}},
    {"--margin", {"pairs"}},
    {"--distance", {"pairs"}},
    {"--mining", {"pairs"}},
    {"--optimizer", {"pairs"}},
    {"--pair-negatives", {"pairs"}},
    {"--two-tower", {"pairs"}},
    {"--pair-keys", {"pairs"}},
    {"--separate-keys", {"pairs"}},
    {"--corpus-pairs", {"pairs"}},
    {"--pair-sample", {"pairs"}},
    {"--output-positive", {"pairs"}},
};

const std::vector<std::string> kEveryModelFlags = {
    "-h",   "--help",    "--model",   "--input",  "--output",     "--format", "--dim",
    "--window", "--min-count", "--threads", "--seed", "--save-vocab", "-q",       "--quiet"};

}  // namespace

TEST_CASE("embedkit train --help lists the shared flags and the models", "[cli][help]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    const auto r = run_cli("train --help");
    INFO(r.out);
    REQUIRE(r.status == 0);
    const std::set<std::string> flags = help_flags(r.out);
    for (const std::string& flag : kEveryModelFlags) {
        INFO(flag);
        CHECK(flags.count(flag) == 1);
    }
    for (const auto& [flag, models] : kModelFlags) {
        INFO(flag);
        CHECK(flags.count(flag) == 0);
    }
    for (const std::string& model : kHelpModels) CHECK_THAT(r.out, Catch::Contains(model));
    CHECK_THAT(r.out, Catch::Contains("`embedkit train --model M --help` shows the options of model M"));
}

TEST_CASE("embedkit train --model M --help lists the flags that apply to M and no others", "[cli][help]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    for (const std::string& model : kHelpModels) {
        // --model before --help, and after it.
        for (const std::string& args : {"train --model " + model + " --help", "train --help --model " + model}) {
            INFO(args);
            const auto r = run_cli(args);
            INFO(r.out);
            REQUIRE(r.status == 0);
            const std::set<std::string> flags = help_flags(r.out);
            for (const std::string& flag : kEveryModelFlags) {
                INFO(flag);
                CHECK(flags.count(flag) == 1);
            }
            for (const auto& [flag, models] : kModelFlags) {
                INFO(flag);
                CHECK(flags.count(flag) == models.count(model));
            }
            // Nothing the test does not know of.
            for (const std::string& flag : flags) {
                INFO(flag);
                const bool known = kModelFlags.count(flag) == 1 ||
                                   std::find(kEveryModelFlags.begin(), kEveryModelFlags.end(), flag) != kEveryModelFlags.end();
                CHECK(known);
            }
            CHECK_THAT(r.out, Catch::Contains(model + " options:"));
        }
    }
}

TEST_CASE("embedkit train --help with an unknown --model lists the models", "[cli][help]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    const auto r = run_cli("train --model nosuch --help");
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("Unknown model 'nosuch'"));
    CHECK_THAT(r.out, Catch::Contains("Models (--model):"));
    CHECK(help_flags(r.out).count("--x-max") == 0);
}
