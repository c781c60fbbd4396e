#pragma once

// `embedkit train --model NAME ...`: one subcommand for every trainer. The flags every trainer
// shares live in TrainArgs; each trainer (cli/train_<model>.cpp) registers a TrainModel with its
// names, its own extra flags and its run function. Shared flags are optional so that each trainer
// applies its own defaults (GloVe's window is 10, Word2Vec's 5). `train --model M --help` lists
// only the flags that apply to M (applies_to), `train --help` those of every model and the models.

#include "command.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace embedkit::cli {

struct TrainArgs {
    std::string model = "skipgram";
    std::string input;
    std::string output;
    std::string format = "vec";
    std::string save_vocab;
    std::optional<int> dim;
    std::optional<int> window;
    std::optional<int> epochs;
    std::optional<double> lr;
    std::optional<std::int64_t> min_count;
    unsigned threads = 0;
    std::uint64_t seed = 1;
    bool quiet = false;
    std::string checkpoint;                 ///< --checkpoint FILE
    std::optional<double> checkpoint_every;  ///< --checkpoint-every SECONDS
    std::string resume;                     ///< --resume FILE
    std::string temp_dir;                   ///< --temp-dir DIR (GloVe spills, a streamed corpus)
    bool stream = false;                    ///< --stream
    bool in_memory = false;                 ///< --in-memory
    std::set<std::string> given;            ///< the flags on the command line ("--dim", ...)
};

struct TrainModel {
    std::vector<std::string> names;  ///< values of --model it handles
    std::string summary;             ///< one line for --help
    /// Adds the model's own flags (called once when the command is built). A flag that applies to
    /// only some of `names` says so with applies_to; the others apply to all of `names`.
    std::function<void(CLI::App&)> add_options;
    std::function<void(const TrainArgs&)> run;
    /// Whether the trainer writes checkpoints and resumes (--checkpoint, --resume) and streams its
    /// corpus (--stream, --in-memory): the Word2Vec engine's trainers.
    bool checkpoints = false;
};

inline std::vector<TrainModel>& train_models() {
    static std::vector<TrainModel> models;
    return models;
}

struct RegisterTrainModel {
    explicit RegisterTrainModel(TrainModel model) { train_models().push_back(std::move(model)); }
};

/// Marks `option` as applying only to the models `models` (values of --model), for `train --model M
/// --help`; returns it. A shared flag never marked applies to every model, a model's own flag to
/// the names of the TrainModel that added it. Help only: parsing and the checks are unchanged.
CLI::Option* applies_to(CLI::Option* option, std::vector<std::string> models);

/// Fails now, before a long run, if `path` cannot be written later (missing directory, no permission).
void check_writable(const std::string& path);

}  // namespace embedkit::cli
