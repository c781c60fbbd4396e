#pragma once

// GloVe trained by all ranks of a communicator, each on the co-occurrence cells it owns
// (mpi/distributed_cooccurrence.hpp). Every rank holds a full copy of the parameters, trains it
// on its own cells with Hogwild threads and AdaGrad (updates/glove_cell.hpp, the rule of
// train_glove), and at fixed points of the work the copies are merged with RowSync and are
// bit-identical again. Only for users of the CMake target embedkit::mpi.

#include "embedkit/core/embedding.hpp"
#include "embedkit/detail/parallel.hpp"
#include "embedkit/detail/parallel_shuffle.hpp"
#include "embedkit/detail/rng.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/models/glove.hpp"
#include "embedkit/mpi/communicator.hpp"
#include "embedkit/mpi/distributed_cooccurrence.hpp"
#include "embedkit/mpi/row_sync.hpp"
#include "embedkit/train/executor.hpp"
#include "embedkit/train/training_run.hpp"
#include "embedkit/types.hpp"
#include "embedkit/updates/glove_cell.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace embedkit::mpi {

/// What distributed GloVe adds to GloveOptions.
struct DistributedGloveOptions {
    /// Merges of the ranks' parameters per epoch. Each rank splits its shuffled cells of an epoch
    /// into this many equal slices and the ranks merge after each, so the points depend on the
    /// work alone (never on timing). More merges: the copies drift apart less between them.
    int syncs_per_epoch = 8;
    /// How the ranks' changes to one row are combined. sum: as if the ranks were Hogwild threads
    /// sharing one copy (each rank's cells are different cells, so this is one epoch's worth of
    /// updates, as in one process); mean_of_changed damps frequent words by the rank count.
    RowMerge merge = RowMerge::sum;
};

/// Throws invalid_options naming the bad field.
inline void validate(const DistributedGloveOptions& o) {
    if (o.syncs_per_epoch < 1) {
        throw invalid_options("DistributedGloveOptions.syncs_per_epoch must be >= 1 (got " +
                              std::to_string(o.syncs_per_epoch) + ")");
    }
    if (o.merge != RowMerge::sum && o.merge != RowMerge::mean_of_changed) {
        throw invalid_options("DistributedGloveOptions.merge is not a RowMerge value");
    }
}

/// Threads for one rank: `requested`, or for 0 the node's cores shared among the ranks of `comm`
/// on this node (so `mpirun -np 2` on one machine does not run twice as many threads as cores).
/// Collective.
[[nodiscard]] inline unsigned threads_per_rank(const Communicator& comm, unsigned requested) {
    MPI_Comm node = MPI_COMM_NULL;
    comm.check(MPI_Comm_split_type(comm.native(), MPI_COMM_TYPE_SHARED, comm.rank(), MPI_INFO_NULL, &node),
               "MPI_Comm_split_type");
    int local = 1;
    const int code = MPI_Comm_size(node, &local);
    MPI_Comm_free(&node);
    comm.check(code, "MPI_Comm_size");
    if (requested != 0) return requested;
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    return std::max(1u, cores / static_cast<unsigned>(std::max(1, local)));
}

namespace detail {

template <class S>
class DistributedGloveTrainer {
public:
    DistributedGloveTrainer(const DistributedCooccurrence& share, const GloveOptions& options,
                            const DistributedGloveOptions& distributed, const Communicator& comm, unsigned threads)
        : share_(share), options_(options), distributed_(distributed), comm_(comm), executor_(threads),
          dim_(options.dim), acc_(dim_ + 1), stride_((2 * (dim_ + 1) + 15) / 16 * 16) {}

    GloveModel<S> run() {
        const unsigned workers = executor_.workers();
        word_ = initial_rows(1);
        context_ = initial_rows(2);
        prepare_cells();
        RowSync<S> sync(comm_, {&word_, &context_}, distributed_.merge);
        const updates::GloveLayers<S> layers{&word_, &context_, dim_, acc_};
        std::vector<updates::GloveCell> order(cells_.size());
        std::vector<updates::GloveWorkspace<S>> spaces;
        TrainingRun run(run_options());
        GloveModel<S> model;
        const auto slices = static_cast<std::size_t>(distributed_.syncs_per_epoch);
        const std::uint64_t rank_stream = embedkit::detail::stream_seed(options_.seed, 1000 + static_cast<std::uint64_t>(comm_.rank()));
        std::vector<embedkit::detail::GloveWorkerTotals> totals(workers);  // per worker, for the run's loss reports
        bool stopped = false;
        for (int epoch = 0; epoch < options_.epochs && !stopped; ++epoch) {
            embedkit::detail::parallel_shuffle(cells_.data(), order.data(), order.size(),
                                               embedkit::detail::stream_seed(rank_stream, 100 + static_cast<std::uint64_t>(epoch)),
                                               workers);
            double epoch_cost = 0;
            std::uint64_t epoch_updates = 0;
            const std::size_t n = order.size();
            for (std::size_t s = 0; s < slices; ++s) {
                const std::size_t begin = n * s / slices;
                const std::size_t size = n * (s + 1) / slices - begin;
                executor_.run([&](unsigned t) {
                    run.set_epoch(t, epoch);
                    const std::size_t from = begin + size * t / workers;
                    const std::size_t count = begin + size * (t + 1) / workers - from;
                    embedkit::detail::train_glove_cells(run, t, layers, order.data() + from, count, totals[t]);
                });
                for (embedkit::detail::GloveWorkerTotals& w : totals) {
                    epoch_cost += w.epoch_cost;
                    epoch_updates += w.epoch_updates;
                    w.cost_before += w.epoch_cost;
                    w.updates_before += w.epoch_updates;
                }
                // Every rank learns whether any stopped (a cancelled callback, a NaN loss) before the
                // merge, so that all skip it together.
                int stop = run.stopping() ? 1 : 0;
                comm_.check(MPI_Allreduce(MPI_IN_PLACE, &stop, 1, MPI_INT, MPI_MAX, comm_.native()), "MPI_Allreduce");
                if (stop != 0) {
                    stopped = true;
                    break;
                }
                sync.sync();
            }
            if (stopped) break;
            double totals[2] = {epoch_cost, static_cast<double>(epoch_updates)};
            comm_.check(MPI_Allreduce(MPI_IN_PLACE, totals, 2, MPI_DOUBLE, MPI_SUM, comm_.native()), "MPI_Allreduce");
            const double cost = totals[1] > 0 ? totals[0] / totals[1] : 0.0;
            if (!std::isfinite(cost)) {
                run.diverge();
                break;
            }
            model.epoch_cost.push_back(cost);
            if (epoch + 1 < options_.epochs) (void)run.report_now(run.learning_rate(run.processed()));
        }
        traffic_ = sync.traffic();
        // A stop on one rank (cancelled, diverged) stops all of them with that rank's message.
        collectively(comm_, [&] {
            if (stopped && !run.stopping()) throw cancelled("GloVe training stopped because another rank stopped");
            run.finish([&] { return word_.leftCols(dim_ + 1).allFinite() && context_.leftCols(dim_ + 1).allFinite(); });
        });
        model.vocab = share_.vocab;
        model.options = options_;
        model.word = word_.leftCols(dim_);
        model.context = context_.leftCols(dim_);
        model.word_bias = word_.col(dim_);
        model.context_bias = context_.col(dim_);
        return model;
    }

    [[nodiscard]] const SyncTraffic& traffic() const noexcept { return traffic_; }

private:

    TrainingRunOptions run_options() const {
        TrainingRunOptions o;
        o.total_work = std::max<std::uint64_t>(1, share_.nonzeros()) * static_cast<std::uint64_t>(options_.epochs);
        o.schedule = {options_.lr, 1.0, static_cast<double>(o.total_work)};
        o.workers = executor_.workers();
        if (comm_.rank() == 0) o.progress = options_.progress;  // rank 0's share stands for the whole
        o.progress_interval = options_.progress_interval;
        o.name = "distributed GloVe training";
        return o;
    }

    // As train_glove: row i from (seed, table, i), the same on every rank and for any threads.
    RowMatrix<S> initial_rows(std::uint64_t table) const {
        const auto rows = static_cast<Eigen::Index>(share_.vocab.size());
        EmbeddingOptions init;
        init.init = Init::uniform_word2vec;
        init.threads = executor_.workers();
        init.seed = embedkit::detail::stream_seed(options_.seed, table);
        const Embedding<S> start(rows, dim_ + 1, init);
        RowMatrix<S> m = RowMatrix<S>::Zero(rows, stride_);
        m.leftCols(dim_ + 1) = start.weights() * (static_cast<S>(dim_ + 1) / static_cast<S>(dim_));
        m.middleCols(acc_, dim_ + 1).setOnes();
        return m;
    }

    void prepare_cells() {
        const auto& entries = share_.entries;
        cells_.resize(entries.size());
        for (std::size_t k = 0; k < entries.size(); ++k) {
            cells_[k] = embedkit::detail::glove_cell_of(entries[k], options_.x_max, options_.alpha);
        }
    }

    const DistributedCooccurrence& share_;
    GloveOptions options_;
    DistributedGloveOptions distributed_;
    const Communicator& comm_;
    ThreadExecutor executor_;
    int dim_;
    int acc_;
    int stride_;
    RowMatrix<S> word_, context_;
    std::vector<updates::GloveCell> cells_;
    SyncTraffic traffic_;
};

}  // namespace detail

/// Trains GloVe on a co-occurrence matrix held as one share per rank
/// (`count_cooccurrences_distributed`); collective. Every rank starts from the parameters
/// train_glove starts from (seeded by row), trains them on the cells it owns (a fresh seeded
/// permutation each epoch, `options.threads` Hogwild threads, 0: this node's cores shared among
/// its ranks), and after each of `distributed.syncs_per_epoch` equal slices of its cells the
/// ranks merge their changes to the parameters (and the AdaGrad accumulators) with RowSync. The
/// epochs, learning rate and weighting are train_glove's. Returns the model on every rank (the
/// copies are bit-identical); epoch_cost is the mean cost over all ranks' cells.
///
/// The result depends on the rank count (each rank sees a different order of cells and the
/// others' updates only at the merges) but not on timing when each rank trains with one thread.
/// Progress: `options.progress` is called on rank 0 only, about rank 0's share. Throws on every
/// rank: invalid_options, invalid_argument (no cells on any rank), numeric_error (diverged),
/// cancelled (rank 0's callback said stop), with the failing rank's message on the others.
template <class Scalar = float>
[[nodiscard]] GloveModel<Scalar> train_glove_distributed(const DistributedCooccurrence& share, const GloveOptions& options,
                                                         const Communicator& comm,
                                                         const DistributedGloveOptions& distributed = {}) {
    static_assert(std::is_floating_point_v<Scalar>, "train_glove_distributed needs a floating-point scalar");
    collectively(comm, [&] {
        validate(options);
        validate(distributed);
        if (share.vocab.size() == 0) throw invalid_argument("train_glove_distributed: the co-occurrence matrix has no words");
    });
    std::uint64_t cells = share.entries.size();
    comm.check(MPI_Allreduce(MPI_IN_PLACE, &cells, 1, MPI_UINT64_T, MPI_SUM, comm.native()), "MPI_Allreduce");
    if (cells == 0) {
        throw invalid_argument("train_glove_distributed: the co-occurrence matrix is empty (no word pair within the window)");
    }
    const unsigned threads = threads_per_rank(comm, options.threads);
    return detail::DistributedGloveTrainer<Scalar>(share, options, distributed, comm, threads).run();
}

}  // namespace embedkit::mpi
