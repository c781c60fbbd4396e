// Every invalid command line the CLI rejects, one row each, as listed in docs/reliability.md:
// the exit status (1) and an excerpt of the message. A command that must fail before writing
// anything also leaves no output file.

#include <catch2/catch.hpp>

#include "support/run_command.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"
#include "support/write_failures.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using embedkit::testing::put_file;
using embedkit::testing::shell_quote;
using embedkit::testing::TempDir;

using embedkit::testing::cli_path;

struct BadCommand {
    std::string args;  ///< after `embedkit`; {dir} is the scratch directory, {data} tests/data/eval
    std::string message;
};

// {dir}/corpus.txt: 40 lines of 6 words; pairs.txt: 30 pairs; empty.txt; rare.txt: 3 words once.
const std::vector<BadCommand> kBadCommands = {
    // usage errors (CLI11)
    {"", "A subcommand is required"},
    {"frobnicate", "A subcommand is required"},
    {"train --output {dir}/o.vec", "--input is required"},
    {"train --input {dir}/corpus.txt", "--output is required"},
    {"train --input {dir}/corpus.txt --output {dir}/o.vec --bogus", "The following argument was not expected: --bogus"},
    {"train --input {dir}/corpus.txt --output {dir}/o.vec --dim abc", "Could not convert: --dim = abc"},
    {"train --input {dir}/corpus.txt --output {dir}/o.vec --threads -1", "Could not convert: --threads = -1"},
    {"nn --vectors {data}/tiny_vectors.txt", "words is required"},
    {"nn --vectors {data}/tiny_vectors.txt --model {dir}/m.ekft king", "--vectors excludes --model"},
    {"analogy --vectors {data}/tiny_vectors.txt man king", "words: At least 3 required but received 2"},
    {"vectors", "--model is required"},
    // train: shared flags
    {"train --model glovo --input {dir}/corpus.txt --output {dir}/o.vec", "--model: unknown model 'glovo'"},
    {"train --format txt --input {dir}/corpus.txt --output {dir}/o.vec", "--format: unknown format 'txt'"},
    {"train --dim 0 --input {dir}/corpus.txt --output {dir}/o.vec", "Word2VecOptions.dim must be positive (got 0)"},
    {"train --window -1 --input {dir}/corpus.txt --output {dir}/o.vec", "Word2VecOptions.window must be positive"},
    {"train --epochs 0 --input {dir}/corpus.txt --output {dir}/o.vec", "Word2VecOptions.epochs must be positive"},
    {"train --lr 0 --input {dir}/corpus.txt --output {dir}/o.vec", "Word2VecOptions.lr must be positive and finite"},
    {"train --lr nan --input {dir}/corpus.txt --output {dir}/o.vec", "Word2VecOptions.lr must be positive and finite (got nan)"},
    {"train --lr inf --model cbow --input {dir}/corpus.txt --output {dir}/o.vec", "Word2VecOptions.lr must be positive and finite (got inf)"},
    {"train --min-count -1 --input {dir}/corpus.txt --output {dir}/o.vec", "Word2VecOptions.min_count must be >= 1"},
    {"train --negative -1 --input {dir}/corpus.txt --output {dir}/o.vec", "Word2VecOptions.negative must be >= 0"},
    {"train --negative 0 --input {dir}/corpus.txt --output {dir}/o.vec", "negative is 0 and hierarchical_softmax is off"},
    {"train --sample -1 --input {dir}/corpus.txt --output {dir}/o.vec", "Word2VecOptions.sample must be >= 0"},
    {"train --minn 3 --input {dir}/corpus.txt --output {dir}/o.vec", "apply only to --model fasttext|fasttext-cbow"},
    {"train --save-model {dir}/m.ekft --input {dir}/corpus.txt --output {dir}/o.vec", "apply only to --model fasttext"},
    // train: inputs
    {"train --input {dir}/missing.txt --output {dir}/o.vec", "missing.txt: cannot open the input: No such file or directory"},
    {"train --input {dir} --output {dir}/o.vec", ": the input is a directory"},
    {"train --input {dir}/empty.txt --output {dir}/o.vec", "empty.txt: the corpus is empty"},
    {"train --input {dir}/rare.txt --output {dir}/o.vec", "rare.txt: no word occurs at least --min-count 5 times"},
    // train --model fasttext
    {"train --model fasttext --minn 7 --maxn 6 --input {dir}/corpus.txt --output {dir}/o.vec", "FastTextOptions.minn must be <= maxn"},
    {"train --model fasttext --minn -1 --input {dir}/corpus.txt --output {dir}/o.vec", "FastTextOptions.minn must be >= 0"},
    {"train --model fasttext --maxn 300 --input {dir}/corpus.txt --output {dir}/o.vec", "FastTextOptions.maxn must be in [0, 256]"},
    {"train --model fasttext --buckets 0 --input {dir}/corpus.txt --output {dir}/o.vec", "FastTextOptions.buckets must be in [1, 2^31-1]"},
    // train --model pairs
    {"train --model pairs --loss hinge --input {dir}/pairs.txt --output {dir}/o.vec", "--loss: unknown pair loss 'hinge'"},
    {"train --model pairs --similarity l1 --input {dir}/pairs.txt --output {dir}/o.vec", "--similarity: unknown similarity 'l1'"},
    {"train --model pairs --distance l1 --input {dir}/pairs.txt --output {dir}/o.vec", "--distance: unknown triplet distance 'l1'"},
    {"train --model pairs --loss triplet --mining x --input {dir}/pairs.txt --output {dir}/o.vec", "--mining: unknown triplet mining 'x'"},
    {"train --model pairs --optimizer adam --input {dir}/pairs.txt --output {dir}/o.vec", "--optimizer: unknown optimizer 'adam'"},
    {"train --model pairs --pair-keys x --input {dir}/pairs.txt --output {dir}/o.vec", "--pair-keys: unknown value 'x'"},
    {"train --model pairs --temperature 0 --input {dir}/pairs.txt --output {dir}/o.vec", "InfoNceOptions.temperature must be finite and > 0"},
    {"train --model pairs --loss mnrl --scale 0 --input {dir}/pairs.txt --output {dir}/o.vec", "MnrlOptions.scale must be finite and > 0"},
    {"train --model pairs --loss triplet --margin -1 --input {dir}/pairs.txt --output {dir}/o.vec", "TripletOptions.margin must be finite and >= 0"},
    {"train --model pairs --batch-size 0 --input {dir}/pairs.txt --output {dir}/o.vec", "PairTrainerOptions.batch_size must be positive"},
    {"train --model pairs --dim 0 --input {dir}/pairs.txt --output {dir}/o.vec", "PairTrainerOptions.dim must be positive"},
    {"train --model pairs --lr 0 --input {dir}/pairs.txt --output {dir}/o.vec", "PairTrainerOptions.lr must be positive and finite"},
    {"train --model pairs --loss nt-xent --pair-negatives 3 --input {dir}/pairs.txt --output {dir}/o.vec", "PairTrainerOptions.negatives must be 0 for nt-xent"},
    {"train --model pairs --loss logistic --pair-negatives -1 --input {dir}/pairs.txt --output {dir}/o.vec", "PairTrainerOptions.negatives must be >= 0"},
    {"train --model pairs --output-positive {dir}/p.vec --input {dir}/pairs.txt --output {dir}/o.vec", "--output-positive needs --two-tower"},
    {"train --model pairs --separate-keys --corpus-pairs --input {dir}/corpus.txt --output {dir}/o.vec", "--separate-keys does not apply to --corpus-pairs"},
    {"train --model pairs --corpus-pairs --pair-sample -1 --input {dir}/corpus.txt --output {dir}/o.vec", "WindowPairsOptions.sample must be finite and >= 0"},
    {"train --model pairs --corpus-pairs --window 0 --min-count 1 --input {dir}/corpus.txt --output {dir}/o.vec", "WindowPairsOptions.window must be > 0"},
    {"train --model pairs --input {dir}/empty.txt --output {dir}/o.vec", "empty.txt: no pairs"},
    {"train --model pairs --input {dir}/corpus.txt --output {dir}/o.vec", "corpus.txt:1: expected 2 fields 'anchor positive', got 6"},
    {"train --model pairs --pair-keys ids --input {dir}/sparse.txt --output {dir}/o.vec", "sparse.txt:2: id 99999999 would make 100000000 rows"},
    // nn, analogy, eval, vectors
    {"nn --vectors {data}/tiny_vectors.txt -k 0 king", "-k must be positive, got 0"},
    {"nn --vectors {data}/tiny_vectors.txt --restrict -1 king", "--restrict must be >= 0, got -1"},
    {"nn king", "give exactly one of --vectors, --model and --index"},
    {"nn --vectors {data}/tiny_vectors.txt nosuchword", "word not in vocabulary: 'nosuchword'"},
    {"nn --vectors {dir}/missing.vec king", "missing.vec: cannot open for reading: No such file or directory"},
    {"nn --vectors {dir}/corpus.txt king", "corpus.txt:1: the header must be two integers 'count dim'"},
    {"nn --model {dir}/missing.ekft king", "missing.ekft: cannot open for reading"},
    {"nn --model {dir}/corpus.txt king", "not a fastText model: wrong magic number"},
    {"analogy --vectors {data}/tiny_vectors.txt -k 0 man king woman", "-k must be positive, got 0"},
    {"analogy --vectors {data}/tiny_vectors.txt --restrict -2 man king woman", "--restrict must be >= 0, got -2"},
    {"analogy --vectors {data}/tiny_vectors.txt --method x man king woman", "--method: unknown method 'x'"},
    {"analogy --vectors {data}/tiny_vectors.txt man king nosuchword", "word not in vocabulary: 'nosuchword'"},
    {"eval --vectors {data}/tiny_vectors.txt", "eval: give --analogies FILE and/or --similarity FILE"},
    {"eval --vectors {data}/tiny_vectors.txt --analogies {data}/tiny_questions.txt --restrict -1", "--restrict must be >= 0, got -1"},
    {"eval --vectors {data}/tiny_vectors.txt --similarity {data}/tiny_pairs.txt --similarity-restrict -1", "--similarity-restrict must be >= 0"},
    {"eval --vectors {data}/tiny_vectors.txt --analogies {data}/tiny_questions.txt --method y", "--method: unknown method 'y'"},
    {"eval --vectors {data}/tiny_vectors.txt --analogies {data}/tiny_pairs.txt", "tiny_pairs.txt:1: question before the first ': section' header"},
    {"eval --vectors {data}/tiny_vectors.txt --similarity {data}/tiny_questions.txt", "tiny_questions.txt:1: expected 'word1 word2 score', got 2 fields"},
    {"eval --vectors {dir}/missing.vec --similarity {data}/tiny_pairs.txt", "missing.vec: cannot open for reading"},
    {"vectors --model {dir}/missing.ekft", "missing.ekft: cannot open for reading"},
};

std::string expand(std::string text, const TempDir& dir) {
    const std::string data = std::string(EMBEDKIT_TEST_DATA_DIR) + "/eval";
    for (const auto& [key, value] : {std::pair<std::string, std::string>{"{dir}", dir.path().string()}, {"{data}", data}}) {
        for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size())) {
            text.replace(at, key.size(), value);
        }
    }
    return text;
}

}  // namespace

TEST_CASE("embedkit rejects every bad command line with exit 1 and a message", "[cli][bad_input]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    const TempDir dir;
    std::string corpus, pairs;
    for (int i = 0; i < 40; ++i) corpus += "the cat sat on the mat\n";
    for (int i = 0; i < 10; ++i) pairs += "a b\nb c\nc a\n";
    put_file(dir.file("corpus.txt"), corpus);
    put_file(dir.file("pairs.txt"), pairs);
    put_file(dir.file("empty.txt"), "");
    put_file(dir.file("rare.txt"), "x y z\n");
    put_file(dir.file("sparse.txt"), "0 1\n0 99999999\n");
    for (const BadCommand& bad : kBadCommands) {
        const std::string args = expand(bad.args, dir);
        const auto r = embedkit::testing::run_command(shell_quote(cli_path()) + " " + args + " < /dev/null");
        INFO("embedkit " << args << "\n" << r.out);
        CHECK(r.status == 1);
        CHECK_THAT(r.out, Catch::Contains(expand(bad.message, dir)));
        CHECK_FALSE(fs::exists(dir.file("o.vec")));
        CHECK_FALSE(fs::exists(dir.file("p.vec")));
    }
    // --help and --version are not errors.
    CHECK(embedkit::testing::run_command(shell_quote(cli_path()) + " --help").status == 0);
    CHECK(embedkit::testing::run_command(shell_quote(cli_path()) + " train --help").status == 0);
    CHECK(embedkit::testing::run_command(shell_quote(cli_path()) + " --version").status == 0);
}
