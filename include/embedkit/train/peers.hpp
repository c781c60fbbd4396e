#pragma once

// The other processes of a distributed run, as a trainer sees them. Each process trains its own
// copy of the parameters on its own shard; at meeting points fixed by the work each has done
// (never by the clock, so a rerun meets at the same words) the processes merge their parameters
// and decide together whether to checkpoint or stop. The trainers stay MPI-free: the MPI
// implementation (mpi::RankPeers, target embedkit::mpi) lives above them and is handed in
// through the options.

#include "embedkit/train/engine_state.hpp"
#include "embedkit/types.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <vector>

namespace embedkit {

/// How often the ranks of a distributed run meet, by default, in words all ranks read together
/// (so each rank meets every 250,000 / N of its own words): at every meeting they merge the 8,192
/// most frequently updated rows of every matrix, and every 4,000,000 words every row. Measured on
/// gutenberg100m (docs/distributed.md): at 2 ranks, merging every row only every 2M words costs
/// 1.1 analogy points against merging the frequent rows often; merging every row at every meeting
/// costs twice the bytes for no better vectors. Counting words across all ranks keeps what a copy
/// misses between two merges the same at any rank count; at 8 ranks, 250,000 words (of all ranks)
/// between meetings gave 41.7% analogies against 40.7% with 500,000 (seed 1).
inline constexpr std::uint64_t kDefaultSyncWords = 250'000;
inline constexpr std::uint64_t kDefaultFullSyncWords = 4'000'000;
inline constexpr std::size_t kDefaultFrequentRows = 8192;
/// How fast the copies of a frequently updated row settle between meetings, which decides how
/// much of the ranks' summed changes to it a merge keeps (mpi/row_sync.hpp, SettlingModel): the
/// most frequent row settles this far over 62,500 words a rank reads. Measured on gutenberg100m
/// at 8 ranks (docs/distributed.md): 90 let the copies diverge, 400 held frequent words back.
inline constexpr double kDefaultSettling = 150.0;

/// What the processes decided together at a meeting.
struct PeerDecision {
    bool stop = false;        ///< some process was asked to stop (a signal, a progress callback)
    bool checkpoint = false;  ///< a checkpoint is due (by the first process's clock) or the run stops
};

/// What the meetings of a run cost this process so far.
struct PeerTraffic {
    std::uint64_t meetings = 0;
    std::uint64_t bytes_sent = 0;   ///< payload this process sent (flags, changed rows, merged values)
    std::uint64_t rows_merged = 0;  ///< rows some process changed, summed over meetings
    double seconds = 0;             ///< in meetings: waiting for the slowest process, merging
    double merge_seconds = 0;       ///< of which finding, packing, sending and applying changed rows
    double wire_seconds = 0;        ///< of which in MPI calls (sending, receiving, summing)
};

class Peers {
public:
    virtual ~Peers() = default;

    /// This process's index and the number of processes.
    [[nodiscard]] virtual unsigned rank() const noexcept = 0;
    [[nodiscard]] virtual unsigned ranks() const noexcept = 0;

    /// Collective, once before training: the matrices the meetings merge (equal on every process
    /// now), each one's rows from the most often updated down (`frequency_order[i]`; empty: in
    /// id order, as words), and this process's units of work in the whole run. Returns the
    /// meeting points: ascending counts of this process's own work, as many on every process,
    /// the last one `local_work` (the final merge after the workers end).
    virtual std::vector<std::uint64_t> start(const std::vector<RowMatrix<float>*>& matrices,
                                             std::vector<std::vector<std::int64_t>> frequency_order,
                                             std::uint64_t local_work) = 0;
    virtual std::vector<std::uint64_t> start(const std::vector<RowMatrix<double>*>& matrices,
                                             std::vector<std::vector<std::int64_t>> frequency_order,
                                             std::uint64_t local_work) = 0;

    /// Collective, at meeting `meeting` (0-based index into start()'s points), with every worker
    /// of this process paused or done. First the processes agree
    /// on failures: `failure` is this process's (null: none); when any process failed, every
    /// process throws (its own exception, or mpi::rank_error naming the failed rank) and the
    /// peers never communicate again. Then the parameters are merged (equal everywhere after),
    /// and the decision is returned. `wants_stop`: this process was asked to stop;
    /// `checkpoint_every`: seconds between checkpoints (0: only when stopping; < 0: never).
    virtual PeerDecision meet(std::size_t meeting, const std::exception_ptr& failure, bool wants_stop,
                              double checkpoint_every) = 0;

    /// Collective, right after a meeting that decided to checkpoint: gathers every process's
    /// state (`local`: where this process's workers are; `me`: the fingerprint of its corpus)
    /// and calls `save` with the state of all (EngineState::ranks filled) on the first process
    /// only. A failure to save stops every process with the first one's message.
    virtual void save_checkpoint(const detail::EngineState& local, const detail::RankState& me,
                                 const std::function<void(const detail::EngineState&)>& save) = 0;

    [[nodiscard]] virtual PeerTraffic traffic() const = 0;

    /// True once a meeting failed or decided to stop: no collective may follow.
    [[nodiscard]] virtual bool ended() const noexcept = 0;
};

}  // namespace embedkit
