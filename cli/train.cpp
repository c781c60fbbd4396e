// embedkit train --model NAME: the shared flags and the dispatch to the trainer that handles NAME.

#include "train_command.hpp"

#include <embedkit/detail/atomic_file.hpp>
#include <embedkit/errors.hpp>

#include <algorithm>
#include <cstddef>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace embedkit::cli {

void check_writable(const std::string& path) {
    if (path.empty()) return;
    detail::AtomicFileWriter::check_writable(path);
}

namespace {

/// The options marked by applies_to, and the models each applies to.
std::map<const CLI::Option*, std::vector<std::string>>& option_models() {
    static std::map<const CLI::Option*, std::vector<std::string>> models;
    return models;
}

}  // namespace

CLI::Option* applies_to(CLI::Option* option, std::vector<std::string> models) {
    option_models()[option] = std::move(models);
    return option;
}

namespace {

/// The group of the flags a trainer adds; `train --model M --help` titles it "M options".
const std::string kModelGroup = "Model options";

const TrainModel* find_model(const std::string& name) {
    for (const auto& m : train_models()) {
        if (std::find(m.names.begin(), m.names.end(), name) != m.names.end()) return &m;
    }
    return nullptr;
}

/// Every model name but `except`, for the shared flags that some models do not use.
std::vector<std::string> models_except(const std::vector<std::string>& except) {
    std::vector<std::string> names;
    for (const auto& m : train_models()) {
        for (const auto& n : m.names) {
            if (std::find(except.begin(), except.end(), n) == except.end()) names.push_back(n);
        }
    }
    return names;
}

/// The models that checkpoint and stream their corpus.
std::vector<std::string> checkpointing_models() {
    std::vector<std::string> names;
    for (const auto& m : train_models()) {
        if (m.checkpoints) names.insert(names.end(), m.names.begin(), m.names.end());
    }
    return names;
}

/// Whether `option` is listed in the help of `model` ("": the help without --model, which lists
/// the flags of every model).
bool listed_for(const CLI::Option* option, const std::string& model) {
    const auto it = option_models().find(option);
    if (it == option_models().end()) return true;
    return !model.empty() && std::find(it->second.begin(), it->second.end(), model) != it->second.end();
}

/// `embedkit train --help`: the flags every model has, and the models. `embedkit train --model M
/// --help` (--model before or after --help): the flags that apply to M, the shared ones first.
class TrainHelpFormatter : public CLI::Formatter {
public:
    std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override {
        if (mode == CLI::AppFormatMode::Sub) return CLI::Formatter::make_help(app, std::move(name), mode);
        // Help is handled after the whole command line is parsed, so --model's value is known.
        const CLI::Option* model_option = app->get_option("--model");
        const std::string given = model_option->count() > 0 ? model_option->results().front() : "";
        const std::string model = find_model(given) != nullptr ? given : "";
        std::string out = make_description(app) + make_usage(app, std::move(name));
        for (const std::string& group : app->get_groups()) {
            const std::vector<const CLI::Option*> options = app->get_options([&](const CLI::Option* o) {
                return o->get_group() == group && o->nonpositional() && listed_for(o, model);
            });
            if (!options.empty()) out += make_group(group == kModelGroup ? model + " options" : group, false, options);
        }
        std::ostringstream footer;
        if (model.empty()) {
            if (!given.empty()) footer << "\nUnknown model '" << given << "'.\n";
            footer << "\nModels (--model):\n";
            for (const auto& m : train_models()) {
                std::string names;
                for (const auto& n : m.names) names += (names.empty() ? "" : ", ") + n;
                CLI::detail::format_help(footer, names, m.summary, get_column_width());
            }
            footer << "\n`embedkit train --model M --help` shows the options of model M.\n";
        } else {
            footer << "\n`embedkit train --help` lists the models.\n";
        }
        return out + footer.str();
    }
};

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
    applies_to(cmd->add_option("--epochs", args->epochs, "Passes over the data (default: the model's)"),
               models_except({"ppmi-svd"}));
    applies_to(cmd->add_option("--lr", args->lr, "Initial learning rate (default: the model's)"),
               models_except({"ppmi-svd"}));
    cmd->add_option("--min-count", args->min_count, "Drop words rarer than this (default 5)");
    cmd->add_option("--threads", args->threads, "Worker threads (0: all cores)")->capture_default_str();
    cmd->add_option("--seed", args->seed, "Random seed")->capture_default_str();
    cmd->add_option("--save-vocab", args->save_vocab, "Also write the vocabulary with counts ('word count' lines)");
    cmd->add_flag("-q,--quiet", args->quiet, "No progress output");
    const std::vector<std::string> checkpointing = checkpointing_models();
    applies_to(cmd->add_option("--checkpoint", args->checkpoint,
                               "Save the whole training state to FILE periodically and when stopped by SIGINT/SIGTERM"),
               checkpointing);
    applies_to(cmd->add_option("--checkpoint-every", args->checkpoint_every,
                               "Seconds between checkpoints (default 600; 0: only when stopped)"),
               checkpointing);
    applies_to(cmd->add_option("--resume", args->resume,
                               "Continue the run saved in this checkpoint (its options: the flags given must have "
                               "its values; the same --input)"),
               checkpointing);
    applies_to(cmd->add_option("--temp-dir", args->temp_dir,
                               "Directory for temporary files: GloVe/PPMI-SVD spills, the streamed corpus (default: "
                               "$TMPDIR or /tmp)"),
               models_except({"pairs"}));
    CLI::Option* stream = applies_to(
        cmd->add_flag("--stream", args->stream,
                      "Keep the encoded corpus in a temporary file read a block at a time, not in memory (default for "
                      "corpora whose ids exceed 256 MiB, about 64M tokens)"),
        checkpointing);
    applies_to(
        cmd->add_flag("--in-memory", args->in_memory, "Keep the encoded corpus in memory however large it is")->excludes(stream),
        checkpointing);
    for (const auto& m : train_models()) {
        if (!m.add_options) continue;
        const std::size_t before = cmd->get_options().size();
        m.add_options(*cmd);
        const std::vector<CLI::Option*> options = cmd->get_options([](CLI::Option*) { return true; });
        for (std::size_t i = before; i < options.size(); ++i) {
            options[i]->group(kModelGroup);
            if (option_models().count(options[i]) == 0) applies_to(options[i], m.names);
        }
    }
    cmd->formatter(std::make_shared<TrainHelpFormatter>());
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
