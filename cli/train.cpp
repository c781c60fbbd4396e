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
    cmd->add_option("--checkpoint", args->checkpoint,
                    "Save the whole training state to FILE periodically and when stopped by SIGINT/SIGTERM");
    cmd->add_option("--checkpoint-every", args->checkpoint_every,
                    "Seconds between checkpoints (default 600; 0: only when stopped)");
    cmd->add_option("--resume", args->resume,
                    "Continue the run saved in this checkpoint (its options; the same --input)");
    cmd->add_option("--temp-dir", args->temp_dir,
                    "Directory for temporary files: GloVe/PPMI-SVD spills, the streamed corpus (default: $TMPDIR or /tmp)");
    CLI::Option* stream = cmd->add_flag(
        "--stream", args->stream,
        "Keep the encoded corpus in a temporary file read a block at a time, not in memory (default for corpora "
        "whose ids exceed 256 MiB, about 64M tokens)");
    cmd->add_flag("--in-memory", args->in_memory, "Keep the encoded corpus in memory however large it is")->excludes(stream);
    for (const auto& m : train_models()) {
        if (m.add_options) m.add_options(*cmd);
    }
    cmd->callback([args, cmd] {
        for (const CLI::Option* option : cmd->get_options()) {
            if (option->count() > 0) args->given.insert(option->get_name());
        }
        if (args->format != "vec" && args->format != "bin") {
            throw invalid_options("--format: unknown format '" + args->format + "' (expected vec or bin)");
        }
        if (args->checkpoint_every && args->checkpoint.empty()) {
            throw invalid_options("--checkpoint-every needs --checkpoint FILE");
        }
        if (args->checkpoint_every && !(*args->checkpoint_every >= 0)) {
            throw invalid_options("--checkpoint-every must be >= 0 (got " + std::to_string(*args->checkpoint_every) + ")");
        }
        for (const auto& m : train_models()) {
            for (const auto& n : m.names) {
                if (n != args->model) continue;
                if (!m.checkpoints && (!args->checkpoint.empty() || !args->resume.empty())) {
                    throw invalid_options("--checkpoint and --resume are not available for --model " + n +
                                          " (only skipgram, cbow, fasttext and fasttext-cbow)");
                }
                if (!m.checkpoints && (args->stream || args->in_memory)) {
                    throw invalid_options("--stream and --in-memory are not available for --model " + n +
                                          " (only skipgram, cbow, fasttext and fasttext-cbow)");
                }
                return m.run(*args);
            }
        }
        throw invalid_options("--model: unknown model '" + args->model + "' (expected one of " + model_names() + ")");
    });
}};

}  // namespace
}  // namespace embedkit::cli
