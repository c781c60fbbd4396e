// embedkit train --checkpoint / --resume end to end: a run interrupted by SIGINT or SIGTERM writes
// a checkpoint and no output, exits with 128 + the signal, and --resume finishes it with output
// byte-identical to a run never interrupted (one thread, fixed seed).

#include <embedkit/detail/rng.hpp>
#include <embedkit/train/checkpoint.hpp>

#include <catch2/catch.hpp>

#include "support/run_command.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"
#include "support/test_files.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace embedkit;
namespace fs = std::filesystem;
using embedkit::testing::run_cli;
using embedkit::testing::run_command;
using embedkit::testing::shell_quote;
using embedkit::testing::TempDir;

namespace {

/// About 600,000 tokens over 2,000 words: long enough to interrupt mid-training.
void write_skewed_corpus(const std::string& path) {
    std::ofstream out(path, std::ios::binary);
    detail::Rng rng(21);
    for (int line = 0; line < 6000; ++line) {
        for (int k = 0; k < 100; ++k) out << 'w' << static_cast<int>(2000 * rng.uniform<double>() * rng.uniform<double>()) << ' ';
        out << '\n';
    }
}

using embedkit::testing::file_bytes;

/// Starts `args` in the background, sends `signal` once training is about to start (the corpus
/// line is on stderr), and returns the exit status and stderr.
testing::CommandResult interrupt(const std::string& args, const std::string& signal, const TempDir& dir) {
    const std::string log = shell_quote(dir.file("stderr.log"));
    const std::string script = shell_quote(testing::cli_path()) + " " + args + " 2> " + log + " & pid=$!; " +
                               "for i in $(seq 1 2000); do grep -q -e '^corpus:' -e '^resuming' " + log +
                               " && break; sleep 0.01; done; kill -" + signal + " $pid; wait $pid; echo status=$?; cat " + log;
    return run_command("bash -c " + shell_quote(script));
}

}  // namespace

TEST_CASE("embedkit train --checkpoint: SIGINT and SIGTERM save the state, --resume finishes the run", "[cli][checkpoint]") {
    if (testing::cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    const TempDir dir;
    write_skewed_corpus(dir.file("corpus.txt"));
    for (const std::string model : {"skipgram", "fasttext"}) {
        INFO(model);
        const std::string common = "train --model " + model + " --input " + shell_quote(dir.file("corpus.txt")) +
                                   " --dim 24 --epochs 4 --threads 1 --seed 3 --sample 1e-3" +
                                   (model == "fasttext" ? " --buckets 20000" : "");
        const auto reference = run_cli(common + " -q --output " + shell_quote(dir.file("reference.vec")));
        INFO(reference.out);
        REQUIRE(reference.status == 0);

        const std::string ckpt = dir.file(model + ".ckpt");
        const std::string out = dir.file(model + ".vec");
        const auto first = interrupt(common + " --checkpoint " + shell_quote(ckpt) + " --output " + shell_quote(out),
                                     "INT", dir);
        INFO(first.out);
        CHECK_THAT(first.out, Catch::Contains("status=130"));
        CHECK_THAT(first.out, Catch::Contains("interrupted; the training state is saved in " + ckpt));
        CHECK_THAT(first.out, Catch::Contains("continue with: embedkit train --resume"));
        CHECK_FALSE(fs::exists(out));
        REQUIRE(fs::exists(ckpt));
        CHECK(read_checkpoint<float>(ckpt).state.processed > 0);

        // Resume with the corpus streamed from a temporary file (the first run held it in memory:
        // the ids and their fingerprint are the same), and stop again with SIGTERM: the
        // temporary file goes too.
        const TempDir temp("embedkit_test_stream_");
        const auto second = interrupt("train --resume " + shell_quote(ckpt) + " --input " +
                                          shell_quote(dir.file("corpus.txt")) + " --output " + shell_quote(out) +
                                          " --stream --temp-dir " + shell_quote(temp.path().string()),
                                      "TERM", dir);
        INFO(second.out);
        CHECK_THAT(second.out, Catch::Contains("status=143"));
        CHECK_THAT(second.out, Catch::Contains("corpus: streamed from a temporary file"));
        CHECK_FALSE(fs::exists(out));
        CHECK(temp.entries().empty());

        // Options cannot change on resume: each flag that differs from the checkpoint is named with
        // both values (equal ones, --epochs 4 here, are accepted); the corpus cannot change either.
        const std::string resume = "train --resume " + shell_quote(ckpt) + " --input " +
                                   shell_quote(dir.file("corpus.txt")) + " --output " + shell_quote(out);
        const auto changed = run_cli(resume + " --dim 8 --epochs 4");
        INFO(changed.out);
        CHECK(changed.status == 1);
        CHECK_THAT(changed.out, Catch::Contains("--dim: the checkpoint was trained with 24, the command line says 8"));
        CHECK_THAT(changed.out, !Catch::Contains("--epochs"));
        const auto two = run_cli(resume + " --sample 1e-4 --threads 2 --seed 3");
        INFO(two.out);
        CHECK(two.status == 1);
        CHECK_THAT(two.out,
                   Catch::Contains("--sample: the checkpoint was trained with 0.001, the command line says 0.0001"));
        CHECK_THAT(two.out, Catch::Contains("--threads: the checkpoint was trained with 1, the command line says 2"));
        CHECK_THAT(two.out, !Catch::Contains("--seed"));
        const auto other_model = run_cli(resume + (model == "fasttext" ? " --model fasttext-cbow --buckets 100"
                                                                         : " --model cbow --negative 3 --hs"));
        INFO(other_model.out);
        CHECK(other_model.status == 1);
        CHECK_THAT(other_model.out, Catch::Contains("--model: the checkpoint was trained with " + model +
                                                    ", the command line says " +
                                                    (model == "fasttext" ? "fasttext-cbow" : "cbow")));
        if (model == "fasttext") {
            CHECK_THAT(other_model.out,
                       Catch::Contains("--buckets: the checkpoint was trained with 20000, the command line says 100"));
        } else {
            CHECK_THAT(other_model.out, Catch::Contains("--negative: the checkpoint was trained with 5, the command line says 3"));
            CHECK_THAT(other_model.out, Catch::Contains("--hs: the checkpoint was trained with no --hs, the command line says --hs"));
        }
        const auto not_word2vec = run_cli(resume + " --x-max 10");
        CHECK(not_word2vec.status == 1);
        CHECK_THAT(not_word2vec.out, Catch::Contains("--x-max does not apply to --model " + model));
        std::ofstream(dir.file("other.txt")) << file_bytes(dir.file("corpus.txt")).substr(0, 100000);
        const auto other = run_cli("train --resume " + shell_quote(ckpt) + " --input " + shell_quote(dir.file("other.txt")) +
                                   " --output " + shell_quote(out));
        CHECK(other.status == 1);
        CHECK_THAT(other.out, Catch::Contains("not the one this run was checkpointed on"));
        CHECK_FALSE(fs::exists(out));

        // The first run's command line again, with --resume: its options are the checkpoint's.
        const auto last = run_cli(common + " --checkpoint " + shell_quote(ckpt) + " --output " + shell_quote(out) +
                                  " --resume " + shell_quote(ckpt) + " -q --stream");
        INFO(last.out);
        REQUIRE(last.status == 0);
        CHECK(file_bytes(out) == file_bytes(dir.file("reference.vec")));
        fs::remove(out);
    }
}

TEST_CASE("embedkit train --checkpoint flags are checked", "[cli][checkpoint]") {
    if (testing::cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    const TempDir dir;
    std::ofstream(dir.file("corpus.txt")) << "a b c a b c a b c a b c a b c\n";
    const std::string common = "train --input " + shell_quote(dir.file("corpus.txt")) + " --min-count 1 --output " +
                               shell_quote(dir.file("o.vec")) + " -q ";
    const std::string resume = "train --input " + shell_quote(dir.file("corpus.txt")) + " --output " +
                               shell_quote(dir.file("o.vec")) + " -q --resume ";
    struct Case {
        std::string args;
        std::string message;
    };
    const std::vector<Case> cases = {
        {common + "--checkpoint-every 10", "--checkpoint-every needs --checkpoint"},
        {common + "--checkpoint " + shell_quote(dir.file("c.ckpt")) + " --checkpoint-every -1", "must be >= 0"},
        {common + "--checkpoint " + shell_quote(dir.file("no/dir/c.ckpt")), "no/dir/c.ckpt"},
        {resume + shell_quote(dir.file("missing.ckpt")), "missing.ckpt"},
        {resume + shell_quote(dir.file("corpus.txt")), "not an embedkit checkpoint"},
        {common + "--model glove --checkpoint " + shell_quote(dir.file("c.ckpt")), "not available for --model glove"},
        {common + "--stream --in-memory", "--stream excludes --in-memory"},
        {common + "--model glove --stream", "--stream and --in-memory are not available for --model glove"},
        {common + "--stream --temp-dir " + shell_quote(dir.file("no/dir")),
         "no/dir: cannot create a temporary file for the streamed corpus"},
    };
    for (const auto& c : cases) {
        INFO(c.args);
        const auto r = run_cli(c.args);
        INFO(r.out);
        CHECK(r.status == 1);
        CHECK_THAT(r.out, Catch::Contains(c.message));
        CHECK_FALSE(fs::exists(dir.file("o.vec")));
    }
}
