// Every file the CLI writes (train --output, --save-vocab, --save-model, --output-positive, and
// standard output) against targets that cannot be written: exit status 1, a message naming the
// target, and whatever file was there before byte for byte intact, nothing left beside it.

#include <catch2/catch.hpp>

#include "support/run_command.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"
#include "support/test_files.hpp"
#include "support/write_failures.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using embedkit::testing::CommandResult;
using embedkit::testing::file_bytes;
using embedkit::testing::put_file;
using embedkit::testing::shell_quote;
using embedkit::testing::TempDir;

using embedkit::testing::cli_path;

// 120 distinct words, each often enough for --min-count 1 training; the vocabulary file is
// well over the 512-byte file-size limit used below.
std::string corpus_text() {
    std::string text;
    for (int line = 0; line < 60; ++line) {
        for (int k = 0; k < 12; ++k) text += "word" + std::to_string((line * 7 + k * 13) % 120) + " ";
        text += "\n";
    }
    return text;
}

// One output of one command: `args` has every other output on /dev/null; `flag` is the one tested.
struct Output {
    std::string name;
    std::string args;
    std::string flag;
};

std::vector<Output> outputs(const TempDir& dir) {
    const std::string corpus = shell_quote(dir.file("corpus.txt"));
    const std::string pairs = shell_quote(dir.file("pairs.txt"));
    const std::string w2v = "train --model skipgram --input " + corpus + " --dim 8 --epochs 1 --min-count 1 --threads 1 -q";
    const std::string ft = "train --model fasttext --input " + corpus +
                           " --dim 8 --epochs 1 --min-count 1 --threads 1 --buckets 1000 -q --output /dev/null";
    const std::string pair = "train --model pairs --two-tower --input " + pairs + " --dim 8 --epochs 1 --threads 1 -q";
    return {
        {"word2vec --output", w2v, "--output"},
        {"word2vec --output --format bin", w2v + " --format bin", "--output"},
        {"word2vec --save-vocab", w2v + " --output /dev/null", "--save-vocab"},
        {"fasttext --save-model", ft, "--save-model"},
        {"pairs --output", pair + " --output-positive /dev/null", "--output"},
        {"pairs --output-positive", pair + " --output /dev/null", "--output-positive"},
    };
}

void check_failure(const CommandResult& r, const std::string& target, const std::string& reason) {
    INFO(r.out);
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("embedkit: error: " + target));
    CHECK_THAT(r.out, Catch::Contains(reason));
}

}  // namespace

TEST_CASE("embedkit train: unwritable outputs exit 1 and keep the previous file", "[cli][write_failure]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    if (!embedkit::testing::is_char_device("/dev/full")) EMBEDKIT_SKIP("no /dev/full on this system");
    if (::geteuid() == 0 && !fs::is_directory("/sys")) {
        EMBEDKIT_SKIP("running as root without /sys: no way to test a permission failure");
    }
    const TempDir dir;
    put_file(dir.file("corpus.txt"), corpus_text());
    std::string pairs;
    for (int u = 0; u < 40; ++u) pairs += "user" + std::to_string(u) + " item" + std::to_string(u % 7) + "\n";
    put_file(dir.file("pairs.txt"), pairs);
    const std::string old_content = "the previous file, which must survive\n";

    for (const Output& o : outputs(dir)) {
        INFO(o.name);
        auto run = [&](const std::string& target, const std::string& prefix = "") {
            return embedkit::testing::run_command(prefix + shell_quote(cli_path()) + " " + o.args + " " + o.flag + " " +
                                                  shell_quote(target));
        };
        // The control: the command works with a writable target.
        const CommandResult ok = run(dir.file("fine.out"));
        INFO(ok.out);
        REQUIRE(ok.status == 0);
        REQUIRE(file_bytes(dir.file("fine.out")).size() > 512);
        fs::remove(dir.file("fine.out"));

        check_failure(run(dir.file("missing/out")), dir.file("missing/out"), "No such file or directory");
        put_file(dir.file("plain"), old_content);
        check_failure(run(dir.file("plain/out")), dir.file("plain/out"), "Not a directory");
        CHECK(file_bytes(dir.file("plain")) == old_content);
        fs::remove(dir.file("plain"));
        fs::create_directory(dir.file("taken"));
        check_failure(run(dir.file("taken")), dir.file("taken"), "is a directory");
        CHECK(fs::is_directory(dir.file("taken")));
        fs::remove(dir.file("taken"));
        check_failure(run("/dev/full"), "/dev/full", "No space left on device");
        CHECK(embedkit::testing::is_char_device("/dev/full"));
        // A full disk while the temporary file is written: `ulimit -f 1` allows 512 bytes.
        put_file(dir.file("old.out"), old_content);
        check_failure(run(dir.file("old.out"), "ulimit -f 1; "), dir.file("old.out"), "File too large");
        CHECK(file_bytes(dir.file("old.out")) == old_content);
        // No permission: root ignores permission bits, but not /sys's refusal of new files.
        if (::geteuid() == 0) {
            check_failure(run("/sys/embedkit_out"), "/sys/embedkit_out", "");
        } else {
            fs::create_directory(dir.file("locked"));
            put_file(dir.file("locked/out"), old_content);
            fs::permissions(dir.file("locked"), fs::perms::owner_read | fs::perms::owner_exec);
            check_failure(run(dir.file("locked/out")), dir.file("locked/out"), "Permission denied");
            fs::permissions(dir.file("locked"), fs::perms::owner_all);
            CHECK(file_bytes(dir.file("locked/out")) == old_content);
            fs::remove_all(dir.file("locked"));
        }
        std::vector<std::string> left = dir.entries();
        std::sort(left.begin(), left.end());
        CHECK(left == std::vector<std::string>{"corpus.txt", "old.out", "pairs.txt"});
        fs::remove(dir.file("old.out"));
    }
}

TEST_CASE("embedkit commands that print fail with exit 1 when standard output cannot be written", "[cli][write_failure]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    if (!embedkit::testing::is_char_device("/dev/full")) EMBEDKIT_SKIP("no /dev/full on this system");
    const std::string vectors = shell_quote(embedkit::testing::kEvalDataDir + "tiny_vectors.txt");
    for (const std::string& args : {"nn --vectors " + vectors + " king", "analogy --vectors " + vectors + " man king woman",
                                   "eval --vectors " + vectors + " --similarity " +
                                       shell_quote(embedkit::testing::kEvalDataDir + "tiny_pairs.txt")}) {
        // stderr to the captured pipe, stdout to the full device.
        const CommandResult r =
            embedkit::testing::run_command("{ " + shell_quote(cli_path()) + " " + args + " 2>&1 >/dev/full; }", false);
        INFO(args << "\n" << r.out);
        CHECK(r.status == 1);
        CHECK_THAT(r.out, Catch::Contains("No space left on device"));
    }
}
