// embedkit embed --vectors FILE --counts VOCAB | --model FILE [--method mean|sif] < lines > vectors:
// one output line per input line, in order, holding that line's passage vector (space-separated
// values; --word2vec writes a word2vec text file labelled by line number instead, which `embedkit
// index --vectors` reads). A line without a known word gets a zero vector, counted in a warning.
// SIF fits the common component on the lines read unless --component gives one fitted before;
// --save-component keeps it so that queries are later embedded the same way.

#include "command.hpp"

#include <embedkit/errors.hpp>
#include <embedkit/io/fasttext_bin.hpp>
#include <embedkit/io/word2vec_format.hpp>
#include <embedkit/search/passage_embedder.hpp>
#include <embedkit/text/vocab.hpp>

#include <fmt/core.h>
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace embedkit::cli {
namespace {

struct EmbedArgs {
    std::string vectors;
    std::string model;
    std::string counts;
    std::string method = "sif";
    double sif_a = 1e-3;
    std::string component;
    std::string save_component;
    bool word2vec = false;
    bool quiet = false;
};

void write_rows(const RowMatrix<float>& rows, bool word2vec) {
    fmt::memory_buffer out;
    if (word2vec) fmt::format_to(std::back_inserter(out), "{} {}\n", rows.rows(), rows.cols());
    for (Eigen::Index i = 0; i < rows.rows(); ++i) {
        if (word2vec) fmt::format_to(std::back_inserter(out), "{} ", i + 1);
        for (Eigen::Index j = 0; j < rows.cols(); ++j) {
            if (j > 0) out.push_back(' ');
            fmt::format_to(std::back_inserter(out), "{}", rows(i, j));
        }
        out.push_back('\n');
        if (out.size() > (1u << 16)) {
            if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) throw io_error("<stdout>", "write failed");
            out.clear();
        }
    }
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) throw io_error("<stdout>", "write failed");
}

void run_embed(const EmbedArgs& args) {
    if (args.vectors.empty() == args.model.empty()) throw invalid_options("give exactly one of --vectors and --model");
    PassageOptions options;
    if (args.method == "mean") {
        options.method = PassageMethod::mean;
    } else if (args.method != "sif") {
        throw invalid_options("--method must be mean or sif, got '" + args.method + "'");
    }
    options.sif_a = args.sif_a;
    validate(options);
    if (options.method == PassageMethod::mean && (!args.component.empty() || !args.save_component.empty())) {
        throw invalid_options("--component and --save-component belong to --method sif");
    }
    if (!args.model.empty() && !args.counts.empty()) {
        throw invalid_options("--counts goes with --vectors; a fastText model has its own counts");
    }
    if (options.method == PassageMethod::sif && !args.vectors.empty() && args.counts.empty()) {
        throw invalid_options("--method sif with --vectors needs --counts FILE (the vocabulary with counts that "
                              "training wrote with --save-vocab), or use --method mean");
    }

    std::optional<WordVectors<float>> vectors;
    std::optional<FastTextModel<float>> model;
    std::optional<Vocab> counts;
    WordSource<float> source;
    if (!args.model.empty()) {
        model.emplace(read_fasttext_model<float>(args.model));
        source = word_source(*model);
    } else {
        vectors.emplace(read_word2vec<float>(args.vectors));
        if (!args.counts.empty()) counts.emplace(Vocab::load(args.counts));
        source = word_source(*vectors, counts ? &*counts : nullptr);
    }
    PassageEmbedder<float> embedder(std::move(source), options);
    if (!args.component.empty()) embedder.load_component(args.component);

    // The lines' vectors are kept (not the lines): SIF's component is fitted on all of them.
    std::vector<float> values;
    std::string line;
    std::size_t lines = 0;
    std::size_t unknown = 0;
    const auto d = static_cast<std::size_t>(embedder.dim());
    while (std::getline(std::cin, line)) {
        values.resize(values.size() + d);
        Eigen::Map<RowVector<float>> row(values.data() + lines * d, embedder.dim());
        if (embedder.pool(split_words(line), row) == 0) ++unknown;
        ++lines;
    }
    if (std::cin.bad()) throw io_error("<stdin>", "read error");
    Eigen::Map<RowMatrix<float>> pooled(values.data(), static_cast<Eigen::Index>(lines), embedder.dim());
    if (options.method == PassageMethod::sif && !embedder.has_component()) embedder.fit_component(pooled);
    embedder.remove_component(pooled);
    if (!args.save_component.empty()) embedder.save_component(args.save_component);
    write_rows(pooled, args.word2vec);
    if (unknown > 0 && !args.quiet) {
        fmt::print(stderr, "embedkit: warning: {} of {} lines had no known word and got a zero vector\n", unknown, lines);
    }
}

const RegisterCommand registration{[](CLI::App& app) {
    auto args = std::make_shared<EmbedArgs>();
    CLI::App* cmd = app.add_subcommand(
        "embed", "Embed each line of standard input as a passage vector (mean or SIF of its word vectors)");
    auto* vectors = cmd->add_option("--vectors", args->vectors, "Vector file (word2vec text or binary, detected)");
    cmd->add_option("--model", args->model, "fastText model instead of --vectors; unseen words through n-grams")
        ->excludes(vectors);
    cmd->add_option("--counts", args->counts, "With --vectors: vocabulary with counts (train --save-vocab), for SIF");
    cmd->add_option("--method", args->method, "mean or sif")->capture_default_str();
    cmd->add_option("--sif-a", args->sif_a, "SIF's a: a word of probability p weighs a / (a + p)")->capture_default_str();
    cmd->add_option("--component", args->component, "SIF: use this saved component instead of fitting one");
    cmd->add_option("--save-component", args->save_component, "SIF: write the component used, for embedding queries");
    cmd->add_flag("--word2vec", args->word2vec, "Write a word2vec text file labelled by line number (1, 2, ...)");
    cmd->add_flag("-q,--quiet", args->quiet, "No warning about lines without a known word");
    cmd->callback([args] { run_embed(*args); });
}};

}  // namespace
}  // namespace embedkit::cli
