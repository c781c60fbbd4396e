// embedkit train --model NAME: the shared flags and the dispatch to the trainer that handles NAME.

#include "train_command.hpp"

#include <embedkit/detail/atomic_file.hpp>
#include <embedkit/errors.hpp>

#include <memory>
#include <string>

namespace embedkit::cli {

void check_writable(const std::string& path) {
    if (path.empty()) return;
    detail::AtomicFileWriter::check_writable(path);
}

namespace {

std::string model_names() {
    std::string names;
    for (const auto& m : train_models()) {
        for (const auto& n : m.names) names += (names.empty() ? "" : "|") + n;
    }
    return names;
}

const RegisterCommand registration{[](CLI::App& app) {
    auto args = std::make_shared<TrainArgs>();
    CLI::App* cmd = app.add_subcommand("train", "Train embeddings on a corpus");
    cmd->add_option("--model", args->model, model_names())->capture_default_str();
    cmd->add_option("--input", args->input, "Training text, or - for standard input")->required();
    cmd->add_option("--output", args->output, "Where to write the vectors")->required();
    cmd->add_option("--format", args->format, "vec (word2vec text, also fastText .vec) or bin (word2vec binary)")
        ->capture_default_str();
    cmd->add_option("--dim", args->dim, "Vector dimension (default 100)");
    cmd->add_option("--window", args->window, "Maximum context distance (default: the model's)");
    cmd->add_option("--epochs", args->epochs, "Passes over the data (default: the model's)");
    cmd->add_option("--lr", args->lr, "Initial learning rate (default: the model's)");
    cmd->add_option("--min-count", args->min_count, "Drop words rarer than this (default 5)");
    cmd->add_option("--threads", args->threads, "Worker threads (0: all cores)")->capture_default_str();
    cmd->add_option("--seed", args->seed, "Random seed")->capture_default_str();
    cmd->add_option("--save-vocab", args->save_vocab, "Also write the vocabulary with counts ('word count' lines)");
    cmd->add_flag("-q,--quiet", args->quiet, "No progress output");
    for (const auto& m : train_models()) {
        if (m.add_options) m.add_options(*cmd);
    }
    cmd->callback([args] {
        if (args->format != "vec" && args->format != "bin") {
            throw invalid_options("--format: unknown format '" + args->format + "' (expected vec or bin)");
        }
        for (const auto& m : train_models()) {
            for (const auto& n : m.names) {
                if (n == args->model) return m.run(*args);
            }
        }
        throw invalid_options("--model: unknown model '" + args->model + "' (expected one of " + model_names() + ")");
    });
}};

}  // namespace
}  // namespace embedkit::cli
