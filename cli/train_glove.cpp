// embedkit train --model glove|ppmi-svd: the count-based models. Both count co-occurrences first
// (bounded memory, --memory MB, spilling to --temp-dir), then GloVe trains on them with AdaGrad
// or PPMI-SVD factorises their positive PMI.

#include "distributed_count.hpp"
#include "mpi_world.hpp"
#include "progress_printer.hpp"
#include "train_command.hpp"
#include "training_corpus.hpp"

#include <embedkit/io/word2vec_format.hpp>
#include <embedkit/models/cooccurrence.hpp>
#include <embedkit/models/glove.hpp>
#include <embedkit/models/ppmi_svd.hpp>
#ifdef EMBEDKIT_CLI_WITH_MPI
#include <embedkit/mpi/distributed_glove.hpp>
#endif

#include <fmt/core.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace embedkit::cli {
namespace {

struct CountModelArgs {
    std::optional<double> x_max;
    std::optional<double> alpha;
    bool word_only = false;
    std::optional<double> context_smoothing;
    std::optional<double> eigenvalue_power;
    std::optional<int> power_iterations;
    std::optional<double> memory_mb;
    std::string save_cooccurrence;
};

CountModelArgs& count_args() {
    static CountModelArgs args;
    return args;
}

// Flags that belong to the other count-based model (or to none of them) are errors, not no-ops.
void reject(bool given, const std::string& flag, const std::string& model) {
    if (given) throw invalid_options(flag + " does not apply to --model " + model);
}

CooccurrenceOptions counting_options(const TrainArgs& a, int default_window) {
    const CountModelArgs& c = count_args();
    CooccurrenceOptions o;
    o.window = a.window.value_or(default_window);
    if (c.memory_mb) o.memory_mb = *c.memory_mb;
    o.temp_dir = a.temp_dir;
    o.threads = a.threads;
    return o;
}

// Counts with a progress line of its own and a summary; returns the matrix.
CooccurrenceMatrix count(const TrainArgs& a, const TrainingCorpus& t, CooccurrenceOptions o) {
    auto printer = std::make_shared<ProgressPrinter>("cooccur", a.quiet, ProgressStyle{"words/sec/thread", false, ""});
    o.progress = [printer](const TrainingProgress& p) { return (*printer)(p); };
    o.progress_interval = printer->interval();
    CooccurrenceMatrix m = count_cooccurrences(t.vocab, t.corpus.view(), o);
    if (!a.quiet) {
        const CooccurrenceStats& s = m.stats();
        fmt::print(stderr, "co-occurrence: window {}, {} stored cells ({} non-zeros), {} spilled runs, {} merge passes, {:.1f} s\n",
                   o.window, s.entries, m.nonzeros(), s.spilled_runs, s.merge_passes, s.seconds);
    }
    if (!count_args().save_cooccurrence.empty()) m.save(count_args().save_cooccurrence);
    return m;
}

#ifdef EMBEDKIT_CLI_WITH_MPI
// GloVe across the ranks of `world`: each rank counts its byte range, trains on the cells it
// owns, and the ranks merge their parameters a few times an epoch; rank 0 prints and writes.
void run_glove_across_ranks(const TrainArgs& a, GloveOptions g, std::int64_t min_count, const mpi::Communicator& world) {
    const CountModelArgs& c = count_args();
    const bool talk = !a.quiet && world.rank() == 0;
    mpi::collectively(world, [&] {
        if (world.rank() != 0) return;
        check_writable(a.output);
        check_writable(a.save_vocab);
        check_writable(c.save_cooccurrence);
    });
    const auto start = std::chrono::steady_clock::now();
    std::optional<mpi::DistributedCooccurrence> share(count_across_ranks(a.input, min_count, g.cooccurrence, a.quiet, world));
    if (talk) {
        fmt::print(stderr, "co-occurrence: window {}, {} stored cells, {} spilled runs, {:.1f} s on {} ranks\n",
                   share->window, share->stats.entries, share->stats.spilled_runs, share->stats.seconds, world.size());
    }
    if (!c.save_cooccurrence.empty()) mpi::save_cooccurrences(*share, c.save_cooccurrence, world);
    if (share->stats.entries == 0) {
        throw invalid_argument(a.input + ": no two vocabulary words occur within the window of each other");
    }
    auto printer = std::make_shared<ProgressPrinter>("glove", !talk, ProgressStyle{"cells/sec/thread", true, "cost"});
    if (talk) {
        g.progress = [printer](const TrainingProgress& pr) { return (*printer)(pr); };
        g.progress_interval = printer->interval();
    }
    const GloveModel<float> model = mpi::train_glove_distributed<float>(*share, g, world);
    const std::uint64_t cells = share->stats.entries;
    share.reset();
    mpi::collectively(world, [&] {
        if (world.rank() != 0) return;
        write_word2vec(a.output, model.vectors(), a.format == "bin" ? VectorFormat::binary : VectorFormat::text);
        if (!a.save_vocab.empty()) model.vocab.save(a.save_vocab);
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (talk) {
        fmt::print(stderr, "done: {} cells, {} words x {} dims in {:.1f} s on {} ranks; wrote {}\n", cells,
                   model.vocab.size(), g.dim, seconds, world.size(), a.output);
    }
}
#endif

void run_count_model(const TrainArgs& a) {
    const CountModelArgs& c = count_args();
    const bool glove = a.model == "glove";
    GloveOptions g;
    PpmiSvdOptions p;
    if (glove) {
        reject(c.context_smoothing.has_value(), "--context-smoothing", a.model);
        reject(c.eigenvalue_power.has_value(), "--eigenvalue-power", a.model);
        reject(c.power_iterations.has_value(), "--power-iterations", a.model);
        if (a.dim) g.dim = *a.dim;
        if (a.epochs) g.epochs = *a.epochs;
        if (a.lr) g.lr = *a.lr;
        if (c.x_max) g.x_max = *c.x_max;
        if (c.alpha) g.alpha = *c.alpha;
        g.add_context_vectors = !c.word_only;
        g.threads = a.threads;
        g.seed = a.seed;
        g.cooccurrence = counting_options(a, g.cooccurrence.window);
        validate(g);
    } else {
        reject(a.epochs.has_value(), "--epochs", a.model);
        reject(a.lr.has_value(), "--lr", a.model);
        reject(c.x_max.has_value(), "--x-max", a.model);
        reject(c.alpha.has_value(), "--alpha", a.model);
        reject(c.word_only, "--word-only", a.model);
        if (a.dim) p.dim = *a.dim;
        if (c.context_smoothing) p.context_smoothing = *c.context_smoothing;
        if (c.eigenvalue_power) p.eigenvalue_power = *c.eigenvalue_power;
        if (c.power_iterations) p.power_iterations = *c.power_iterations;
        p.threads = a.threads;
        p.seed = a.seed;
        p.cooccurrence = counting_options(a, p.cooccurrence.window);
        validate(p);
    }
    const std::int64_t min_count = a.min_count.value_or(5);
    if (min_count < 1) throw invalid_options("--min-count must be >= 1 (got " + std::to_string(min_count) + ")");
#ifdef EMBEDKIT_CLI_WITH_MPI
    if (const mpi::Communicator* world = mpi_world()) {
        if (!glove) {
            throw invalid_options("--model " + a.model + " does not run across MPI ranks yet; run it in one process "
                                  "(or count with `mpirun ... embedkit cooccur`)");
        }
        run_glove_across_ranks(a, g, min_count, *world);
        return;
    }
#endif
    check_writable(a.output);
    check_writable(a.save_vocab);
    check_writable(c.save_cooccurrence);

    const auto start = std::chrono::steady_clock::now();
    std::optional<TrainingCorpus> corpus(read_training_corpus(a.input, min_count, a.quiet, CorpusStorage::memory, a.temp_dir, whole_lines()));
    const Vocab vocab = corpus->vocab;
    const CooccurrenceMatrix matrix = count(a, *corpus, glove ? g.cooccurrence : p.cooccurrence);
    corpus.reset();  // the ids are not needed any more
    if (matrix.entries().empty()) {
        throw invalid_argument(a.input + ": no two vocabulary words occur within the window of each other");
    }
    const VectorFormat format = a.format == "bin" ? VectorFormat::binary : VectorFormat::text;
    if (glove) {
        auto printer = std::make_shared<ProgressPrinter>("glove", a.quiet, ProgressStyle{"cells/sec/thread", true, "cost"});
        g.progress = [printer](const TrainingProgress& pr) { return (*printer)(pr); };
        g.progress_interval = printer->interval();
        const GloveModel<float> model = train_glove<float>(matrix, g);
        write_word2vec(a.output, model.vectors(), format);
    } else {
        auto printer = std::make_shared<ProgressPrinter>("ppmi-svd", a.quiet, ProgressStyle{"", false, ""});
        p.progress = [printer](const TrainingProgress& pr) { return (*printer)(pr); };
        p.progress_interval = printer->interval();
        const PpmiSvdModel<float> model = train_ppmi_svd<float>(matrix, p);
        write_word2vec(a.output, model.vectors(), format);
    }
    if (!a.save_vocab.empty()) vocab.save(a.save_vocab);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!a.quiet) {
        fmt::print(stderr, "done: {} cells, {} words x {} dims in {:.1f} s; wrote {}\n", matrix.entries().size(),
                   vocab.size(), glove ? g.dim : p.dim, seconds, a.output);
    }
}

const RegisterTrainModel registration{TrainModel{
    {"glove", "ppmi-svd"},
    "GloVe or PPMI-SVD on a co-occurrence matrix counted in bounded memory",
    [](CLI::App& cmd) {
        CountModelArgs& c = count_args();
        const std::vector<std::string> glove = {"glove"};
        const std::vector<std::string> ppmi_svd = {"ppmi-svd"};
        applies_to(cmd.add_option("--x-max", c.x_max,
                                  "GloVe: weighting cutoff x_max in f(x) = min(1, (x/x_max)^alpha) (default 100)"),
                   glove);
        applies_to(cmd.add_option("--alpha", c.alpha, "GloVe: weighting exponent alpha (default 0.75)"), glove);
        applies_to(cmd.add_flag("--word-only", c.word_only, "GloVe: write the word vectors W instead of W + W~"), glove);
        applies_to(cmd.add_option("--context-smoothing", c.context_smoothing,
                                  "PPMI-SVD: context counts are raised to this power (default 0.75)"),
                   ppmi_svd);
        applies_to(cmd.add_option("--eigenvalue-power", c.eigenvalue_power,
                                  "PPMI-SVD: vectors are U * Sigma^p (default 0.5)"),
                   ppmi_svd);
        applies_to(cmd.add_option("--power-iterations", c.power_iterations,
                                  "PPMI-SVD: randomized SVD subspace iterations (default 3)"),
                   ppmi_svd);
        cmd.add_option("--memory", c.memory_mb,
                       "GloVe, PPMI-SVD: MiB for counting co-occurrences; past it, sorted runs spill to disk (default 1024)");
        cmd.add_option("--save-cooccurrence", c.save_cooccurrence,
                       "GloVe, PPMI-SVD: also save the co-occurrence matrix (embedkit's binary format)");
    },
    run_count_model,
}};

}  // namespace
}  // namespace embedkit::cli
