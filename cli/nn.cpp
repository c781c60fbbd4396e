// embedkit nn --vectors FILE [-k 10] WORD...: nearest neighbours by cosine similarity.
// embedkit nn --model FILE WORD...: the same over a fastText model's vocabulary; query words
// outside it get their vector from their character n-grams.
// embedkit nn --index INDEX WORD...: the same from an HNSW index (embedkit index), approximately.

#include "command.hpp"
#include "hnsw_commands.hpp"
#include "neighbour_list.hpp"

#include <embedkit/detail/folded_vocab.hpp>
#include <embedkit/errors.hpp>
#include <embedkit/io/fasttext_bin.hpp>
#include <embedkit/io/word2vec_format.hpp>
#include <embedkit/models/fasttext.hpp>
#include <embedkit/search/topk_index.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace embedkit::cli {
namespace {

struct NnArgs {
    std::string vectors;
    std::string model;
    std::string index;
    std::vector<std::string> words;
    long k = 10;
    long restrict = 0;
    unsigned threads = 0;
};

/// --model: search the model's vocabulary; a query word in it (exact, else lower-cased) is
/// excluded from its own results, any other word is composed from its n-grams.
void run_nn_model(const NnArgs& args) {
    const FastTextModel<float> model = read_fasttext_model<float>(args.model);
    RowMatrix<float> queries(static_cast<Eigen::Index>(args.words.size()), model.dim());
    SearchOptions opts;
    opts.restrict_rows = args.restrict;
    std::vector<std::string> labels;
    for (std::size_t i = 0; i < args.words.size(); ++i) {
        const std::string& word = args.words[i];
        auto id = model.vocab().find(word);
        if (!id) id = model.vocab().find(detail::ascii_lower(word));
        if (id) {
            labels.push_back(model.vocab().word(*id));
            queries.row(static_cast<Eigen::Index>(i)) = model.word_vector(labels.back());
            opts.exclude_per_query.push_back({*id});
            continue;
        }
        if (!model.knows(word)) {
            throw invalid_argument("no vector for '" + word + "': it is not in the vocabulary and none of its " +
                                   "character n-grams was trained");
        }
        labels.push_back(word + " (from n-grams)");
        queries.row(static_cast<Eigen::Index>(i)) = model.word_vector(word);
        opts.exclude_per_query.push_back({});
    }
    WordVectors<float> vectors = model.vectors(args.threads);
    const TopKIndex<float> index(std::move(vectors.matrix()), Metric::cosine, args.threads);
    print_neighbours(labels, vectors.words(), index.topk_batch(queries, args.k, opts));
}

void run_nn(const NnArgs& args) {
    if (args.k <= 0) throw invalid_options("-k must be positive, got " + std::to_string(args.k));
    if (args.restrict < 0) throw invalid_options("--restrict must be >= 0, got " + std::to_string(args.restrict));
    if (int(!args.vectors.empty()) + int(!args.model.empty()) + int(!args.index.empty()) != 1) {
        throw invalid_options("give exactly one of --vectors, --model and --index");
    }
    if (!args.model.empty()) return run_nn_model(args);
    if (!args.index.empty()) {
        if (args.restrict != 0) throw invalid_options("--restrict cannot be used with --index (HNSW searches every row)");
#ifdef EMBEDKIT_CLI_WITH_HNSW
        return print_index_neighbours(args.index, args.words, args.k, args.threads);
#else
        throw invalid_options("--index needs an embedkit built with hnswlib (libhnswlib-dev)");
#endif
    }
    auto loaded = read_word2vec<float>(args.vectors);
    // Look every word up before searching: an unknown word fails before any output.
    std::vector<TokenId> ids;
    for (const auto& word : args.words) {
        auto id = loaded.find(word);
        if (!id) id = loaded.find(detail::ascii_lower(word));
        if (!id) throw invalid_argument("word not in vocabulary: '" + word + "'");
        ids.push_back(*id);
    }
    std::vector<std::string> words = loaded.words();
    // The index takes the matrix over (normalising it in place), so the vectors are held once;
    // `loaded` is not used after this.
    const TopKIndex<float> index(std::move(loaded.matrix()), Metric::cosine, args.threads);
    RowMatrix<float> queries(static_cast<Eigen::Index>(ids.size()), index.dim());
    SearchOptions opts;
    opts.restrict_rows = args.restrict;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        queries.row(static_cast<Eigen::Index>(i)) = index.vectors().row(ids[i]);
        opts.exclude_per_query.push_back({ids[i]});
    }
    const auto results = index.topk_batch(queries, args.k, opts);
    std::vector<std::string> labels;
    for (const TokenId id : ids) labels.push_back(words[static_cast<std::size_t>(id)]);
    print_neighbours(labels, words, results);
}

const RegisterCommand registration{[](CLI::App& app) {
    auto args = std::make_shared<NnArgs>();
    CLI::App* cmd = app.add_subcommand("nn", "Nearest neighbours of words by cosine similarity");
    auto* vectors = cmd->add_option("--vectors", args->vectors, "Vector file (word2vec text or binary, detected)");
    cmd->add_option("--model", args->model,
                    "fastText model (embedkit's or fastText's .bin) instead of --vectors; unseen words allowed")
        ->excludes(vectors);
    cmd->add_option("--index", args->index, "HNSW index (embedkit index) instead of --vectors: approximate, faster");
    cmd->add_option("-k", args->k, "Neighbours per word")->capture_default_str();
    cmd->add_option("--restrict", args->restrict, "Search only the first N words (0: all)")->capture_default_str();
    cmd->add_option("--threads", args->threads, "Threads (0: all cores)")->capture_default_str();
    cmd->add_option("words", args->words, "Query words (exact, else lower-cased)")->required();
    cmd->callback([args] { run_nn(*args); });
}};

}  // namespace
}  // namespace embedkit::cli
