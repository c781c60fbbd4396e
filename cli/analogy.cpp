// embedkit analogy --vectors FILE A B C [-k 5]: words x with A : B :: C : x (B - A + C).

#include "command.hpp"

#include <embedkit/errors.hpp>
#include <embedkit/io/word2vec_format.hpp>
#include <embedkit/search/analogy.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace embedkit::cli {
namespace {

struct AnalogyArgs {
    std::string vectors;
    std::vector<std::string> words;
    long k = 5;
    long restrict = 0;
    std::string method = "add";
    unsigned threads = 0;
};

void run_analogy(const AnalogyArgs& args) {
    if (args.k <= 0) throw invalid_options("-k must be positive, got " + std::to_string(args.k));
    if (args.restrict < 0) throw invalid_options("--restrict must be >= 0, got " + std::to_string(args.restrict));
    AnalogyOptions opts;
    if (args.method == "add") {
        opts.method = AnalogyMethod::cos_add;
    } else if (args.method == "mul") {
        opts.method = AnalogyMethod::cos_mul;
    } else {
        throw invalid_options("--method: unknown method '" + args.method + "' (expected add or mul)");
    }
    ReadVectorsOptions read;
    read.limit = static_cast<std::size_t>(args.restrict);  // only the first N words are needed
    const auto vectors = read_word2vec<float>(args.vectors, read);
    const AnalogySolver<float> solver(vectors, 0, args.threads);
    const TokenId a = solver.word_id(args.words[0]);
    const TokenId b = solver.word_id(args.words[1]);
    const TokenId c = solver.word_id(args.words[2]);
    const auto answers = solver.solve(a, b, c, args.k, opts);
    fmt::print("{} : {} :: {} : ?   ({})\n", vectors.word(a), vectors.word(b), vectors.word(c), to_string(opts.method));
    std::size_t width = 4;
    for (const auto& n : answers) width = std::max(width, vectors.word(n.id).size());
    for (std::size_t r = 0; r < answers.size(); ++r) {
        fmt::print("{:>4}  {:<{}}  {:.4f}\n", r + 1, vectors.word(answers[r].id), width, answers[r].score);
    }
}

const RegisterCommand registration{[](CLI::App& app) {
    auto args = std::make_shared<AnalogyArgs>();
    CLI::App* cmd = app.add_subcommand("analogy", "Solve A : B :: C : ? (B - A + C) over unit vectors");
    cmd->add_option("--vectors", args->vectors, "Vector file (word2vec text or binary, detected)")->required();
    cmd->add_option("-k", args->k, "Answers to print")->capture_default_str();
    cmd->add_option("--method", args->method, "add (3CosAdd) or mul (3CosMul)")->capture_default_str();
    cmd->add_option("--restrict", args->restrict, "Use only the first N words (0: all)")->capture_default_str();
    cmd->add_option("--threads", args->threads, "Threads (0: all cores)")->capture_default_str();
    cmd->add_option("words", args->words, "A B C")->required()->expected(3);
    cmd->callback([args] { run_analogy(*args); });
}};

}  // namespace
}  // namespace embedkit::cli
