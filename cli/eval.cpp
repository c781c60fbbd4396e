// embedkit eval --vectors FILE [--analogies FILE] [--similarity FILE] [--restrict 30000] [--json]:
// analogy accuracy (per section, semantic, syntactic, overall) and word-similarity correlation.

#include "command.hpp"

#include <embedkit/errors.hpp>
#include <embedkit/eval/analogy_eval.hpp>
#include <embedkit/eval/similarity_eval.hpp>
#include <embedkit/io/word2vec_format.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <string>

namespace embedkit::cli {
namespace {

struct EvalArgs {
    std::string vectors;
    std::string analogies;
    std::string similarity;
    long restrict = 30000;
    long similarity_restrict = 300000;
    std::string method = "add";
    bool case_sensitive = false;
    bool json = false;
    unsigned threads = 0;
};

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (const char ch : s) {
        switch (ch) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default:
                if (static_cast<unsigned char>(ch) < 0x20) {
                    out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(ch)));
                } else {
                    out += ch;
                }
        }
    }
    return out + "\"";
}

std::string json_number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : "null"; }

std::string json_score(const AnalogyScore& s) {
    return fmt::format(R"({{"name": {}, "correct": {}, "answered": {}, "skipped": {}, "accuracy": {}}})",
                       json_string(s.name), s.correct, s.answered, s.skipped, json_number(s.accuracy()));
}

void print_score_row(const AnalogyScore& s, std::size_t width) {
    fmt::print("  {:<{}}  {:>8}  {:>8}  {:>8}  {:>8.2f}%\n", s.name, width, s.correct, s.answered, s.skipped,
               100.0 * s.accuracy());
}

void run_eval(const EvalArgs& args) {
    if (args.analogies.empty() && args.similarity.empty()) {
        throw invalid_options("eval: give --analogies FILE and/or --similarity FILE");
    }
    if (args.restrict < 0) throw invalid_options("--restrict must be >= 0, got " + std::to_string(args.restrict));
    if (args.similarity_restrict < 0) {
        throw invalid_options("--similarity-restrict must be >= 0, got " + std::to_string(args.similarity_restrict));
    }
    AnalogyEvalOptions aopts;
    aopts.restrict_vocab = args.restrict;
    aopts.case_insensitive = !args.case_sensitive;
    aopts.threads = args.threads;
    if (args.method == "add") {
        aopts.method = AnalogyMethod::cos_add;
    } else if (args.method == "mul") {
        aopts.method = AnalogyMethod::cos_mul;
    } else {
        throw invalid_options("--method: unknown method '" + args.method + "' (expected add or mul)");
    }
    SimilarityEvalOptions sopts;
    sopts.restrict_vocab = args.similarity_restrict;
    sopts.case_insensitive = !args.case_sensitive;

    // Read only as many vectors as the restrictions use (0 = all).
    long limit = 0;
    if (!args.analogies.empty() && !args.similarity.empty()) {
        limit = (args.restrict == 0 || args.similarity_restrict == 0) ? 0 : std::max(args.restrict, args.similarity_restrict);
    } else {
        limit = args.analogies.empty() ? args.similarity_restrict : args.restrict;
    }
    // Parse the evaluation files first: a malformed one fails before the (slow) vector read.
    std::optional<std::vector<AnalogySection>> questions;
    std::optional<std::vector<WordPair>> pairs;
    if (!args.analogies.empty()) questions = read_analogy_questions(args.analogies);
    if (!args.similarity.empty()) pairs = read_word_pairs(args.similarity);
    ReadVectorsOptions read;
    read.limit = static_cast<std::size_t>(limit);
    const auto vectors = read_word2vec<float>(args.vectors, read);

    std::optional<AnalogyEvalResult> analogy;
    std::optional<SimilarityEvalResult> similarity;
    if (questions) analogy = evaluate_analogies(vectors, *questions, aopts);
    if (pairs) similarity = evaluate_word_pairs(vectors, *pairs, sopts);

    if (args.json) {
        std::string out = fmt::format("{{\n  \"vectors\": {},\n  \"words\": {},\n  \"dim\": {}", json_string(args.vectors),
                                      vectors.size(), vectors.dim());
        if (analogy) {
            out += fmt::format(",\n  \"analogies\": {{\n    \"file\": {},\n    \"restrict\": {},\n    \"method\": {},\n"
                               "    \"sections\": [",
                               json_string(args.analogies), args.restrict, json_string(to_string(aopts.method)));
            for (std::size_t i = 0; i < analogy->sections.size(); ++i) {
                out += (i == 0 ? "\n      " : ",\n      ") + json_score(analogy->sections[i]);
            }
            out += fmt::format("\n    ],\n    \"semantic\": {},\n    \"syntactic\": {},\n    \"overall\": {}\n  }}",
                               json_score(analogy->semantic), json_score(analogy->syntactic),
                               json_score(analogy->overall));
        }
        if (similarity) {
            out += fmt::format(",\n  \"similarity\": {{\"file\": {}, \"restrict\": {}, \"spearman\": {}, \"pearson\": {}, "
                               "\"found\": {}, \"total\": {}, \"coverage\": {}}}",
                               json_string(args.similarity), args.similarity_restrict, json_number(similarity->spearman),
                               json_number(similarity->pearson), similarity->found, similarity->total,
                               json_number(similarity->coverage()));
        }
        fmt::print("{}\n}}\n", out);
        return;
    }

    fmt::print("vectors: {} ({} words read, dim {})\n", args.vectors, vectors.size(), vectors.dim());
    if (analogy) {
        fmt::print("\nanalogies: {} ({}, questions restricted to the first {} words{})\n", args.analogies,
                   to_string(aopts.method), args.restrict == 0 ? std::string("(all)") : std::to_string(args.restrict),
                   aopts.case_insensitive ? ", case-insensitive" : "");
        std::size_t width = 9;
        for (const auto& s : analogy->sections) width = std::max(width, s.name.size());
        fmt::print("  {:<{}}  {:>8}  {:>8}  {:>8}  {:>9}\n", "section", width, "correct", "answered", "skipped",
                   "accuracy");
        for (const auto& s : analogy->sections) print_score_row(s, width);
        fmt::print("  {:-<{}}\n", "", width + 48);
        print_score_row(analogy->semantic, width);
        print_score_row(analogy->syntactic, width);
        print_score_row(analogy->overall, width);
    }
    if (similarity) {
        fmt::print("\nword similarity: {} (first {} words)\n", args.similarity,
                   args.similarity_restrict == 0 ? std::string("(all)") : std::to_string(args.similarity_restrict));
        fmt::print("  spearman {:.4f}  pearson {:.4f}  pairs found {}/{} ({:.1f}%)\n", similarity->spearman,
                   similarity->pearson, similarity->found, similarity->total, 100.0 * similarity->coverage());
    }
}

const RegisterCommand registration{[](CLI::App& app) {
    auto args = std::make_shared<EvalArgs>();
    CLI::App* cmd = app.add_subcommand("eval", "Analogy accuracy and word-similarity correlation of a vector file");
    cmd->add_option("--vectors", args->vectors, "Vector file (word2vec text or binary, detected)")->required();
    cmd->add_option("--analogies", args->analogies, "Analogy questions (questions-words format)");
    cmd->add_option("--similarity", args->similarity, "Word pairs with human scores (word1 word2 score)");
    cmd->add_option("--restrict", args->restrict, "Analogies: only the first N words (0: all)")->capture_default_str();
    cmd->add_option("--similarity-restrict", args->similarity_restrict, "Word pairs: only the first N words (0: all)")
        ->capture_default_str();
    cmd->add_option("--method", args->method, "add (3CosAdd) or mul (3CosMul)")->capture_default_str();
    cmd->add_flag("--case-sensitive", args->case_sensitive, "Match words exactly (default: ignore ASCII case)");
    cmd->add_flag("--json", args->json, "Print JSON instead of a table");
    cmd->add_option("--threads", args->threads, "Threads (0: all cores)")->capture_default_str();
    cmd->callback([args] { run_eval(*args); });
}};

}  // namespace
}  // namespace embedkit::cli
