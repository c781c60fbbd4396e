// embedkit train --model skipgram|cbow end to end: outputs, progress and summary, --save-vocab,
// determinism, and every error the Word2Vec issue lists (clear message, exit status 1, no output
// file left behind).

#include <embedkit/detail/rng.hpp>
#include <embedkit/io/word2vec_format.hpp>
#include <embedkit/text/vocab.hpp>

#include <catch2/catch.hpp>

#include "support/run_command.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"
#include "support/test_files.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace embedkit;
namespace fs = std::filesystem;
using embedkit::testing::run_cli;
using embedkit::testing::shell_quote;
using embedkit::testing::TempDir;

namespace {

void write_topics_corpus(const std::string& path) {
    std::ofstream out(path, std::ios::binary);
    detail::Rng rng(11);
    const std::vector<std::vector<std::string>> topics = {{"apple", "pear", "plum", "fig", "grape"},
                                                          {"oak", "elm", "pine", "birch", "ash"}};
    for (int line = 0; line < 400; ++line) {
        const auto& words = topics[rng.below(2)];
        for (int k = 0; k < 15; ++k) out << words[rng.below(words.size())] << ' ';
        out << '\n';
    }
}

using embedkit::testing::file_bytes;

}  // namespace

TEST_CASE("embedkit train --model skipgram|cbow writes vectors, vocabulary, progress and a summary", "[cli][word2vec]") {
    if (testing::cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    const TempDir dir;
    const std::string corpus = dir.file("corpus.txt");
    write_topics_corpus(corpus);
    const std::string common = "--input " + shell_quote(corpus) + " --dim 16 --epochs 3 --min-count 1 --threads 1 --sample 0";
    for (const std::string model : {"skipgram", "cbow"}) {
        INFO(model);
        for (const std::string format : {"vec", "bin"}) {
            const std::string out = dir.file(model + "." + format);
            const auto r = run_cli("train --model " + model + " " + common + " --format " + format + " --output " +
                                   shell_quote(out) + " --save-vocab " + shell_quote(dir.file(model + ".vocab")));
            INFO(r.out);
            REQUIRE(r.status == 0);
            // Progress lines (a log, not a terminal) and the summary.
            CHECK_THAT(r.out, Catch::Contains("words/sec/thread"));
            CHECK_THAT(r.out, Catch::Contains("loss"));
            CHECK_THAT(r.out, Catch::Contains("ETA"));
            CHECK_THAT(r.out, Catch::Contains("done: 6000 tokens x 3 epochs, 10 words x 16 dims"));
            const auto vectors = read_word2vec<float>(out);
            CHECK(vectors.size() == 10);
            CHECK(vectors.dim() == 16);
            // Words of one topic end closer to each other than to the other topic's.
            const auto a = vectors.vector("apple").normalized();
            CHECK(a.dot(vectors.vector("pear").normalized()) > a.dot(vectors.vector("oak").normalized()));
        }
        const Vocab vocab = Vocab::load(dir.file(model + ".vocab"));
        CHECK(vocab.size() == 10);
        CHECK(vocab.total_count() == 6000);
    }
    SECTION("one thread and a seed give identical files; another seed does not") {
        auto train = [&](const std::string& name, int seed) {
            const auto r = run_cli("train --model skipgram " + common + " -q --seed " + std::to_string(seed) +
                                   " --output " + shell_quote(dir.file(name)));
            REQUIRE(r.status == 0);
            CHECK(r.out.empty());  // -q: nothing on stderr
            return file_bytes(dir.file(name));
        };
        const std::string first = train("a.vec", 7);
        CHECK(first == train("b.vec", 7));
        CHECK(first != train("c.vec", 8));
    }
    SECTION("standard input") {
        const auto r = run_cli("train --model cbow --input - --dim 8 --epochs 1 --min-count 1 -q --output " +
                               shell_quote(dir.file("stdin.vec")) + " < " + shell_quote(corpus));
        REQUIRE(r.status == 0);
        CHECK(read_word2vec<float>(dir.file("stdin.vec")).size() == 10);
    }
}

TEST_CASE("embedkit train --stream and --in-memory write the same vectors and leave no temporary file", "[cli][word2vec]") {
    if (testing::cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    const TempDir dir;
    const TempDir temp("embedkit_test_stream_");  // --temp-dir: must be empty after every run
    const std::string corpus = dir.file("corpus.txt");
    write_topics_corpus(corpus);
    const std::string common = "train --input " + shell_quote(corpus) + " --dim 16 --epochs 3 --min-count 1 --threads 1 " +
                               "--temp-dir " + shell_quote(temp.path().string()) + " --output ";
    for (const std::string model : {"skipgram", "fasttext"}) {
        INFO(model);
        const auto in_memory = run_cli(common + shell_quote(dir.file("memory.vec")) + " --model " + model + " --in-memory");
        const auto streamed = run_cli(common + shell_quote(dir.file("stream.vec")) + " --model " + model + " --stream");
        INFO(in_memory.out << streamed.out);
        REQUIRE(in_memory.status == 0);
        REQUIRE(streamed.status == 0);
        CHECK_THAT(streamed.out, Catch::Contains("corpus: streamed from a temporary file in " + temp.path().string()));
        CHECK_THAT(in_memory.out, !Catch::Contains("streamed"));
        CHECK(file_bytes(dir.file("stream.vec")) == file_bytes(dir.file("memory.vec")));
        CHECK(temp.entries().empty());
    }
    // A small corpus stays in memory by default.
    const auto by_default = run_cli(common + shell_quote(dir.file("default.vec")));
    CHECK(by_default.status == 0);
    CHECK_THAT(by_default.out, !Catch::Contains("streamed"));
    // A run that fails after its corpus was streamed leaves nothing behind either.
    const auto failed = run_cli(common + shell_quote(dir.file("failed.vec")) + " --stream --lr 1e30");
    INFO(failed.out);
    CHECK(failed.status == 1);
    CHECK_THAT(failed.out, Catch::Contains("try a lower one"));
    CHECK_FALSE(fs::exists(dir.file("failed.vec")));
    CHECK(temp.entries().empty());
}

TEST_CASE("embedkit train fails clearly and leaves no output file", "[cli][word2vec]") {
    if (testing::cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    const TempDir dir;
    const std::string corpus = dir.file("corpus.txt");
    write_topics_corpus(corpus);
    std::ofstream(dir.file("empty.txt")).close();
    std::ofstream(dir.file("blank.txt")) << "  \n\t\n";
    std::ofstream(dir.file("rare.txt")) << "every word here occurs once only\n";
    const std::string out = dir.file("out.vec");
    const std::string good = "--input " + shell_quote(corpus) + " --output " + shell_quote(out) + " -q ";
    struct Case {
        std::string args;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"--input " + shell_quote(dir.file("missing.txt")) + " --output " + shell_quote(out), "missing.txt"},
        {"--input " + shell_quote(dir.path().string()) + " --output " + shell_quote(out), "directory"},
        {"--input " + shell_quote(dir.file("empty.txt")) + " --output " + shell_quote(out), "empty"},
        {"--input " + shell_quote(dir.file("blank.txt")) + " --output " + shell_quote(out), "empty"},
        {"--input " + shell_quote(dir.file("rare.txt")) + " --output " + shell_quote(out), "min-count"},
        {good + "--dim 0", "dim"},
        {good + "--dim -3", "dim"},
        {good + "--window 0", "window"},
        {good + "--lr 0", "lr"},
        {good + "--lr -1", "lr"},
        {good + "--negative -1", "negative"},
        {good + "--negative 0", "negative"},
        {good + "--epochs 0", "epochs"},
        {good + "--sample -1", "sample"},
        {good + "--negative-power -1", "negative_power"},
        {good + "--model glovo", "unknown model 'glovo'"},
        {good + "--format txt", "unknown format 'txt'"},
        {good + "--dim abc", "dim"},
        {"--input " + shell_quote(corpus) + " --output " + shell_quote(dir.file("no/such/dir/out.vec")),
         "no/such/dir"},
        {good + "--update-per-prediction", "apply only to --model fasttext"},
    };
    for (const auto& c : cases) {
        INFO(c.args);
        const auto r = run_cli("train " + c.args);
        INFO(r.out);
        CHECK(r.status != 0);
        CHECK_THAT(r.out, Catch::Contains(c.message));
        CHECK_FALSE(fs::exists(out));
    }
    // Nothing but the inputs is left in the directory: no temporary files either.
    std::vector<std::string> left = dir.entries();
    std::sort(left.begin(), left.end());
    CHECK(left == std::vector<std::string>{"blank.txt", "corpus.txt", "empty.txt", "rare.txt"});
}

TEST_CASE("embedkit train says which defaults the corpus size chose, and flags override them", "[cli][word2vec]") {
    if (testing::cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    const TempDir dir;
    const std::string corpus = dir.file("corpus.txt");
    write_topics_corpus(corpus);  // 6,000 tokens: a small corpus, twice word2vec.c's rate
    const std::string common = "--input " + shell_quote(corpus) + " --output " + shell_quote(dir.file("v.vec")) +
                               " --dim 8 --epochs 1 --min-count 1 --threads 1";
    const auto skipgram = run_cli("train --model skipgram " + common);
    INFO(skipgram.out);
    REQUIRE(skipgram.status == 0);
    CHECK_THAT(skipgram.out, Catch::Contains("lr 0.05 chosen for a corpus of 6k tokens (--lr sets it)"));
    const auto cbow = run_cli("train --model cbow " + common);
    CHECK_THAT(cbow.out, Catch::Contains("lr 0.1 chosen for a corpus of 6k tokens"));
    const auto fasttext = run_cli("train --model fasttext " + common);
    INFO(fasttext.out);
    REQUIRE(fasttext.status == 0);
    CHECK_THAT(fasttext.out, Catch::Contains("negatives from unigram^0.75 chosen for a corpus of 6k tokens"));
    CHECK_THAT(fasttext.out, Catch::Contains("gensim's input scale chosen for a corpus of 6k tokens"));
    // A flag given is the choice: nothing to explain.
    const auto given = run_cli("train --model fasttext " + common +
                               " --lr 0.01 --negative-power 0.5 --no-gensim-input-scale");
    REQUIRE(given.status == 0);
    CHECK_THAT(given.out, !Catch::Contains("chosen for a corpus"));
}
