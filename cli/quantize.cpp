// embedkit quantize --vectors FILE --output FILE --method int8|pq [--subvectors M] [--metric cosine]:
// compresses a vector file to int8 codes (one byte per coordinate) or product-quantisation codes
// (M bytes per row), with its words as labels, in the format of docs/search.md.

#include "command.hpp"

#include <embedkit/errors.hpp>
#include <embedkit/io/word2vec_format.hpp>
#include <embedkit/search/int8_vectors.hpp>
#include <embedkit/search/pq_vectors.hpp>

#include <fmt/core.h>

#include <memory>
#include <string>

namespace embedkit::cli {
namespace {

struct QuantizeArgs {
    std::string vectors;
    std::string output;
    std::string method;
    std::string metric = "cosine";
    int subvectors = 0;
    int iterations = 20;
    long training_rows = 0;
    unsigned threads = 0;
};

void run_quantize(const QuantizeArgs& args) {
    Metric metric = Metric::cosine;
    if (args.metric == "dot") {
        metric = Metric::dot;
    } else if (args.metric == "l2") {
        metric = Metric::l2;
    } else if (args.metric != "cosine") {
        throw invalid_options("--metric must be cosine, dot or l2, got '" + args.metric + "'");
    }
    if (args.method != "int8" && args.method != "pq") throw invalid_options("--method must be int8 or pq, got '" + args.method + "'");
    if (args.method == "int8" && args.subvectors != 0) throw invalid_options("--subvectors belongs to --method pq");
    const auto loaded = read_word2vec<float>(args.vectors);
    if (args.method == "int8") {
        const Int8Vectors int8(loaded.matrix(), metric, loaded.words());
        int8.save(args.output);
        fmt::print(stderr, "embedkit: {} rows x {} as int8: {} bytes per vector (float: {})\n", int8.rows(), int8.dim(),
                   int8.bytes_per_vector(), 4 * int8.dim());
        return;
    }
    PqOptions o;
    o.subvectors = args.subvectors > 0 ? args.subvectors : static_cast<int>(loaded.dim() % 10 == 0 ? loaded.dim() / 10 : loaded.dim());
    o.iterations = args.iterations;
    o.training_rows = args.training_rows;
    o.threads = args.threads;
    const PqVectors pq(loaded.matrix(), metric, o, loaded.words());
    pq.save(args.output);
    fmt::print(stderr, "embedkit: {} rows x {} as PQ ({} subvectors of {} centroids): {} bytes per vector (float: {})\n",
               pq.rows(), pq.dim(), o.subvectors, pq.centroids(), pq.bytes_per_vector(), 4 * pq.dim());
}

const RegisterCommand registration{[](CLI::App& app) {
    auto args = std::make_shared<QuantizeArgs>();
    CLI::App* cmd = app.add_subcommand("quantize", "Compress a vector file: int8 codes or product quantisation");
    cmd->add_option("--vectors", args->vectors, "Vector file (word2vec text or binary, detected)")->required();
    cmd->add_option("--output", args->output, "The compressed file to write")->required();
    cmd->add_option("--method", args->method, "int8 or pq")->required();
    cmd->add_option("--metric", args->metric, "cosine (rows normalised first), dot or l2")->capture_default_str();
    cmd->add_option("--subvectors", args->subvectors, "PQ: bytes per vector; must divide the dimension (default dim / 10)");
    cmd->add_option("--iterations", args->iterations, "PQ: k-means iterations per subspace")->capture_default_str();
    cmd->add_option("--training-rows", args->training_rows, "PQ: train the codebooks on the first N rows (0: all)")
        ->capture_default_str();
    cmd->add_option("--threads", args->threads, "Threads (0: all cores)")->capture_default_str();
    cmd->callback([args] { run_quantize(*args); });
}};

}  // namespace
}  // namespace embedkit::cli
