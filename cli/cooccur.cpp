// embedkit cooccur: count a corpus's co-occurrence matrix into a file, in bounded memory, for
// models brought by the user (CooccurrenceMatrix::load reads it) or for later training runs.

#include "command.hpp"
#include "distributed_count.hpp"
#include "mpi_world.hpp"
#include "progress_printer.hpp"
#include "train_command.hpp"
#include "training_corpus.hpp"

#include <embedkit/models/cooccurrence.hpp>

#include <fmt/core.h>

#include <cstdint>
#include <memory>
#include <string>

namespace embedkit::cli {
namespace {

struct CooccurArgs {
    std::string input;
    std::string output;
    std::int64_t min_count = 5;
    int window = 10;
    bool uniform = false;
    double memory_mb = 1024;
    std::string temp_dir;
    int max_open_files = 64;
    unsigned threads = 0;
    bool quiet = false;
};

const RegisterCommand registration{[](CLI::App& app) {
    auto args = std::make_shared<CooccurArgs>();
    CLI::App* cmd = app.add_subcommand("cooccur", "Count a corpus's word co-occurrences into a matrix file");
    cmd->add_option("--input", args->input, "Training text, or - for standard input")->required();
    cmd->add_option("--output", args->output, "Where to write the matrix")->required();
    cmd->add_option("--min-count", args->min_count, "Drop words rarer than this")->capture_default_str();
    cmd->add_option("--window", args->window, "Maximum distance of two co-occurring words")->capture_default_str();
    cmd->add_flag("--uniform", args->uniform, "Weigh every pair 1 instead of 1/distance");
    cmd->add_option("--memory", args->memory_mb, "MiB for counting; past it, sorted runs spill to disk")
        ->capture_default_str();
    cmd->add_option("--temp-dir", args->temp_dir, "Directory for spill files (default: the system temporary directory)");
    cmd->add_option("--max-open-files", args->max_open_files, "Spill files open at once while merging")
        ->capture_default_str();
    cmd->add_option("--threads", args->threads, "Worker threads (0: all cores)")->capture_default_str();
    cmd->add_flag("-q,--quiet", args->quiet, "No progress output");
    cmd->callback([args] {
        const CooccurArgs& a = *args;
        CooccurrenceOptions o;
        o.window = a.window;
        o.distance_weighting = !a.uniform;
        o.memory_mb = a.memory_mb;
        o.temp_dir = a.temp_dir;
        o.max_open_files = a.max_open_files;
        o.threads = a.threads;
        validate(o);
        if (a.min_count < 1) throw invalid_options("--min-count must be >= 1 (got " + std::to_string(a.min_count) + ")");
#ifdef EMBEDKIT_CLI_WITH_MPI
        if (const mpi::Communicator* world = mpi_world()) {
            // Across ranks: each counts its own byte range; rank 0 writes the same bytes as below.
            mpi::collectively(*world, [&] {
                if (world->rank() == 0) check_writable(a.output);
            });
            const mpi::DistributedCooccurrence share = count_across_ranks(a.input, a.min_count, o, a.quiet, *world);
            mpi::save_cooccurrences(share, a.output, *world);
            if (!a.quiet && world->rank() == 0) {
                fmt::print(stderr, "done: {} stored cells, {} spilled runs, {} merge passes in {:.1f} s on {} ranks; wrote {}\n",
                           share.stats.entries, share.stats.spilled_runs, share.stats.merge_passes, share.stats.seconds,
                           world->size(), a.output);
            }
            return;
        }
#endif
        check_writable(a.output);
        const TrainingCorpus t = read_training_corpus(a.input, a.min_count, a.quiet, CorpusStorage::memory, "", whole_lines());
        auto printer = std::make_shared<ProgressPrinter>("cooccur", a.quiet, ProgressStyle{"words/sec/thread", false, ""});
        o.progress = [printer](const TrainingProgress& p) { return (*printer)(p); };
        o.progress_interval = printer->interval();
        const CooccurrenceStats s = count_cooccurrences_to_file(t.vocab, t.corpus.view(), a.output, o);
        if (!a.quiet) {
            fmt::print(stderr, "done: {} stored cells, {} spilled runs, {} merge passes in {:.1f} s; wrote {}\n",
                       s.entries, s.spilled_runs, s.merge_passes, s.seconds, a.output);
        }
    });
}};

}  // namespace
}  // namespace embedkit::cli
