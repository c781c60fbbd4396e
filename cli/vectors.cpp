// embedkit vectors --model FILE < words: the vector of every word read from standard input
// (whitespace-separated), one "word v1 ... vd" line each, as `fasttext print-word-vectors` prints
// them. Words outside the vocabulary get a vector from their character n-grams; a word without
// any n-gram gets zeros (and a warning on stderr).

#include "command.hpp"

#include <embedkit/io/fasttext_bin.hpp>
#include <embedkit/models/fasttext.hpp>

#include <fmt/core.h>
#include <fmt/format.h>

#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace embedkit::cli {
namespace {

struct VectorsArgs {
    std::string model;
    bool quiet = false;
};

void run_vectors(const VectorsArgs& args) {
    const FastTextModel<float> model = read_fasttext_model<float>(args.model);
    std::vector<float> v(static_cast<std::size_t>(model.dim()));
    fmt::memory_buffer out;
    std::string word;
    while (std::cin >> word) {
        const bool known = model.word_vector(word, v.data());
        if (!known && !args.quiet) {
            fmt::print(stderr, "embedkit: warning: nothing is known about '{}' (no vocabulary entry, no trained n-gram): zero vector\n",
                       word);
        }
        fmt::format_to(std::back_inserter(out), "{}", word);
        for (const float x : v) fmt::format_to(std::back_inserter(out), " {}", x);
        out.push_back('\n');
        if (out.size() > (1u << 16)) {
            std::fwrite(out.data(), 1, out.size(), stdout);
            out.clear();
        }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (std::fflush(stdout) != 0) throw io_error("<stdout>", "write failed");
}

const RegisterCommand registration{[](CLI::App& app) {
    auto args = std::make_shared<VectorsArgs>();
    CLI::App* cmd = app.add_subcommand(
        "vectors", "Print the vectors of the words on standard input (unseen words from their n-grams)");
    cmd->add_option("--model", args->model, "fastText model: embedkit's (train --save-model) or fastText's .bin")
        ->required();
    cmd->add_flag("-q,--quiet", args->quiet, "No warnings for words without any known n-gram");
    cmd->callback([args] { run_vectors(*args); });
}};

}  // namespace
}  // namespace embedkit::cli
