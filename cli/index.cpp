// embedkit index --vectors FILE --output INDEX [--metric cosine --m 16 --ef-construction 200]:
// builds an HNSW index (approximate nearest neighbours) over a vector file, its words as labels;
// --add-to INDEX adds the file's rows to an existing index instead.
// embedkit search --index INDEX [--ef 64] [-k 10] < queries: one query per input line, either a
// word of the index (its own row, excluded from its results) or dim numbers (a vector); prints
// the lists as `embedkit nn` does. Both exist only in an embedkit built with hnswlib.

#include "command.hpp"

#ifdef EMBEDKIT_CLI_WITH_HNSW

#include "hnsw_commands.hpp"
#include "neighbour_list.hpp"

#include <embedkit/detail/folded_vocab.hpp>
#include <embedkit/errors.hpp>
#include <embedkit/hnsw/hnsw_index.hpp>
#include <embedkit/io/word2vec_format.hpp>
#include <embedkit/search/passage_embedder.hpp>

#include <fmt/core.h>

#include <iostream>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace embedkit::cli {
namespace {

Metric parse_metric(const std::string& name) {
    if (name == "cosine") return Metric::cosine;
    if (name == "dot") return Metric::dot;
    if (name == "l2") return Metric::l2;
    throw invalid_options("--metric must be cosine, dot or l2, got '" + name + "'");
}

struct IndexArgs {
    std::string vectors;
    std::string output;
    std::string add_to;
    std::string metric = "cosine";
    int m = 16;
    int ef_construction = 200;
    int ef = 64;
    unsigned threads = 0;
};

void run_index(const IndexArgs& args) {
    auto loaded = read_word2vec<float>(args.vectors);
    if (!args.add_to.empty()) {
        HnswIndex index = HnswIndex::load(args.add_to, args.threads);
        if (index.labels().empty()) throw invalid_argument(args.add_to + ": the index has no labels to add words to");
        index.add(loaded.matrix(), loaded.words());
        index.save(args.output);
        fmt::print(stderr, "embedkit: {} rows added, {} rows in {}\n", loaded.size(), index.rows(), args.output);
        return;
    }
    HnswOptions o;
    o.metric = parse_metric(args.metric);
    o.m = args.m;
    o.ef_construction = args.ef_construction;
    o.ef_search = args.ef;
    o.threads = args.threads;
    validate(o);
    const HnswIndex index(loaded.matrix(), o, loaded.words());
    index.save(args.output);
    fmt::print(stderr, "embedkit: indexed {} rows of dimension {} ({}, m {}, ef_construction {}) in {}\n", index.rows(),
               index.dim(), to_string(o.metric), o.m, o.ef_construction, args.output);
}

struct SearchArgs {
    std::string index;
    long k = 10;
    int ef = 0;
    unsigned threads = 0;
};

// The dim numbers of `tokens`, or false when they are not exactly that.
bool parse_vector(const std::vector<std::string_view>& tokens, Eigen::Index dim, Eigen::Ref<RowVector<float>> out) {
    if (static_cast<Eigen::Index>(tokens.size()) != dim) return false;
    for (Eigen::Index j = 0; j < dim; ++j) {
        const std::string_view t = tokens[static_cast<std::size_t>(j)];
        try {
            std::size_t used = 0;
            out(j) = std::stof(std::string(t), &used);
            if (used != t.size()) return false;
        } catch (const std::exception&) {
            return false;
        }
    }
    return true;
}

void run_search(const SearchArgs& args) {
    if (args.k <= 0) throw invalid_options("-k must be positive, got " + std::to_string(args.k));
    HnswIndex index = HnswIndex::load(args.index, args.threads);
    if (args.ef > 0) index.set_ef_search(args.ef);
    if (args.ef < 0) throw invalid_options("--ef must be positive, got " + std::to_string(args.ef));
    std::vector<std::string> labels = index.labels();
    if (labels.empty()) {
        for (Eigen::Index i = 0; i < index.rows(); ++i) labels.push_back(std::to_string(i));
    }
    std::unordered_map<std::string, TokenId> ids;
    for (std::size_t i = 0; i < labels.size(); ++i) ids.emplace(labels[i], static_cast<TokenId>(i));

    // Every line is read and checked before any search, so bad input fails before any output.
    RowMatrix<float> queries(0, index.dim());
    std::vector<RowVector<float>> rows;
    SearchOptions opts;
    std::vector<std::string> headings;
    std::string line;
    std::size_t line_no = 0;
    while (std::getline(std::cin, line)) {
        ++line_no;
        const auto tokens = split_words(line);
        if (tokens.empty()) continue;
        RowVector<float> q(index.dim());
        if (tokens.size() == 1 && index.dim() != 1) {
            auto it = ids.find(std::string(tokens[0]));
            if (it == ids.end()) it = ids.find(detail::ascii_lower(tokens[0]));
            if (it == ids.end()) {
                throw invalid_argument("<stdin>: line " + std::to_string(line_no) + ": word not in the index: '" +
                                       std::string(tokens[0]) + "'");
            }
            q = index.row(it->second);
            opts.exclude_per_query.push_back({it->second});
            headings.push_back(it->first);
        } else if (parse_vector(tokens, index.dim(), q)) {
            opts.exclude_per_query.emplace_back();
            headings.push_back("line " + std::to_string(line_no));
        } else {
            throw invalid_argument("<stdin>: line " + std::to_string(line_no) + ": expected a word of the index or " +
                                   std::to_string(index.dim()) + " numbers, got " + std::to_string(tokens.size()) +
                                   " fields");
        }
        rows.push_back(std::move(q));
    }
    queries.resize(static_cast<Eigen::Index>(rows.size()), index.dim());
    for (std::size_t i = 0; i < rows.size(); ++i) queries.row(static_cast<Eigen::Index>(i)) = rows[i];
    print_neighbours(headings, labels, index.topk_batch(queries, args.k, opts));
}

}  // namespace

void print_index_neighbours(const std::string& index_path, const std::vector<std::string>& words, long k,
                            unsigned threads) {
    if (k <= 0) throw invalid_options("-k must be positive, got " + std::to_string(k));
    const HnswIndex index = HnswIndex::load(index_path, threads);
    if (index.labels().empty()) throw invalid_argument(index_path + ": the index has no row labels to look words up");
    std::unordered_map<std::string, TokenId> ids;
    for (std::size_t i = 0; i < index.labels().size(); ++i) ids.emplace(index.labels()[i], static_cast<TokenId>(i));
    RowMatrix<float> queries(static_cast<Eigen::Index>(words.size()), index.dim());
    SearchOptions opts;
    std::vector<std::string> headings;
    for (std::size_t i = 0; i < words.size(); ++i) {
        auto it = ids.find(words[i]);
        if (it == ids.end()) it = ids.find(detail::ascii_lower(words[i]));
        if (it == ids.end()) throw invalid_argument("word not in vocabulary: '" + words[i] + "'");
        queries.row(static_cast<Eigen::Index>(i)) = index.row(it->second);
        opts.exclude_per_query.push_back({it->second});
        headings.push_back(it->first);
    }
    print_neighbours(headings, index.labels(), index.topk_batch(queries, k, opts));
}

namespace {

const RegisterCommand index_registration{[](CLI::App& app) {
    auto args = std::make_shared<IndexArgs>();
    CLI::App* cmd = app.add_subcommand("index", "Build an HNSW index (approximate nearest neighbours) over a vector file");
    cmd->add_option("--vectors", args->vectors, "Vector file (word2vec text or binary, detected)")->required();
    cmd->add_option("--output", args->output, "The index file to write")->required();
    cmd->add_option("--add-to", args->add_to, "Add the vectors to this existing index (its options are kept)");
    cmd->add_option("--metric", args->metric, "cosine, dot or l2")->capture_default_str();
    cmd->add_option("--m", args->m, "Links per node")->capture_default_str();
    cmd->add_option("--ef-construction", args->ef_construction, "Candidates while inserting")->capture_default_str();
    cmd->add_option("--ef", args->ef, "Default candidates while searching (saved with the index)")->capture_default_str();
    cmd->add_option("--threads", args->threads, "Threads (0: all cores)")->capture_default_str();
    cmd->callback([args] { run_index(*args); });
}};

const RegisterCommand search_registration{[](CLI::App& app) {
    auto args = std::make_shared<SearchArgs>();
    CLI::App* cmd = app.add_subcommand(
        "search", "Nearest neighbours from an HNSW index of the words or vectors on standard input, one per line");
    cmd->add_option("--index", args->index, "The index (embedkit index)")->required();
    cmd->add_option("-k", args->k, "Neighbours per query")->capture_default_str();
    cmd->add_option("--ef", args->ef, "Candidates while searching (0: the index's own)")->capture_default_str();
    cmd->add_option("--threads", args->threads, "Threads (0: all cores)")->capture_default_str();
    cmd->callback([args] { run_search(*args); });
}};

}  // namespace
}  // namespace embedkit::cli

#endif  // EMBEDKIT_CLI_WITH_HNSW
