#pragma once

// This process's place in an MPI job. `mpirun -np N embedkit train ...` starts N copies of the
// command; each finds its rank here and the commands that can run distributed (train, cooccur)
// split their input by rank. Alone (no mpirun, or a CLI built without MPI) it is rank 0 of 1 and
// every call below is the one-process one.

#include <embedkit/errors.hpp>
#include <embedkit/text/byte_ranges.hpp>
#include <embedkit/text/vocab.hpp>
#include <embedkit/train/peers.hpp>

#include <fmt/core.h>

#ifdef EMBEDKIT_CLI_WITH_MPI
#include <embedkit/mpi/communicator.hpp>
#include <embedkit/mpi/distributed_vocab.hpp>
#include <embedkit/mpi/rank_peers.hpp>
#endif

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace embedkit::cli {

/// True when mpirun (Open MPI, or a PMI launcher) started this process. Alone the CLI never
/// initialises MPI, which keeps one-process runs free of its start-up cost and messages.
[[nodiscard]] inline bool started_by_mpirun() {
    return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr ||
           std::getenv("PMIX_RANK") != nullptr;
}

/// How the ranks of a distributed run meet (--sync-words, --full-sync-words, --sync-rows, --sync-merge,
/// --sync-precision).
struct SyncFlags {
    std::uint64_t sync_words = kDefaultSyncWords;
    std::uint64_t full_sync_words = kDefaultFullSyncWords;
    std::size_t frequent_rows = kDefaultFrequentRows;
    std::string merge = "mixed";
    double settling = kDefaultSettling;
    std::string precision = "bf16";
};

/// Rank 0's line about what the meetings of a distributed run cost (nothing alone).
inline void print_peer_traffic(const Peers* peers, bool quiet) {
    if (peers == nullptr || quiet || peers->rank() != 0) return;
    const PeerTraffic t = peers->traffic();
    const double mib = static_cast<double>(t.bytes_sent) / (1 << 20);
    fmt::print(stderr, "ranks: {} met {} times; rank 0 sent {:.1f} MiB ({:.2f} MiB a meeting, {:.0f} rows merged a meeting) and spent {:.2f} s in meetings, {:.2f} s of it merging ({:.2f} s in MPI calls)\n",
               peers->ranks(), t.meetings, mib, t.meetings > 0 ? mib / static_cast<double>(t.meetings) : 0.0,
               t.meetings > 0 ? static_cast<double>(t.rows_merged) / static_cast<double>(t.meetings) : 0.0, t.seconds,
               t.merge_seconds, t.wire_seconds);
}

class MpiWorld {
public:
    /// The job, set up by main (before any command runs) when started by mpirun.
    static MpiWorld& instance() {
        static MpiWorld world;
        return world;
    }

    [[nodiscard]] unsigned rank() const noexcept { return rank_; }
    [[nodiscard]] unsigned size() const noexcept { return size_; }
    /// More than one rank: the input is split and the ranks train together.
    [[nodiscard]] bool distributed() const noexcept { return size_ > 1; }
    /// Rank 0 prints and writes the outputs.
    [[nodiscard]] bool leader() const noexcept { return rank_ == 0; }

    /// Runs `step` on every rank; when it fails on one, every rank throws (that rank's message).
    template <class Step>
    auto together(Step&& step) {
#ifdef EMBEDKIT_CLI_WITH_MPI
        if (comm_) return mpi::collectively(*comm_, std::forward<Step>(step));
#endif
        return step();
    }

    /// This rank's byte range of `path` (the whole file alone).
    [[nodiscard]] ByteRange part(const std::string& path) const {
        return whitespace_part(path, static_cast<int>(rank_), static_cast<int>(size_));
    }

    /// The vocabulary of `path`, counted by every rank and merged (alone: Vocab::build_file).
    [[nodiscard]] Vocab vocab(const std::string& path, const VocabOptions& options) const {
#ifdef EMBEDKIT_CLI_WITH_MPI
        if (comm_) return mpi::build_vocab_distributed(path, options, *comm_);
#endif
        return Vocab::build_file(path, options);
    }

    /// The peers of a distributed run, meeting as `sync` says (null alone).
    [[nodiscard]] std::unique_ptr<Peers> peers([[maybe_unused]] const SyncFlags& sync) const {
#ifdef EMBEDKIT_CLI_WITH_MPI
        if (comm_ && size_ > 1) {
            mpi::RankPeersOptions o;
            o.sync_words = sync.sync_words;
            o.full_sync_words = sync.full_sync_words;
            o.frequent_rows = sync.frequent_rows;
            o.merge = sync.merge == "mean" ? mpi::RowMerge::mean_of_changed : mpi::RowMerge::sum;
            o.settling = sync.merge == "mixed" ? sync.settling : 0.0;
            o.wire = sync.precision == "float" ? mpi::WirePrecision::full : mpi::WirePrecision::bfloat16;
            return std::make_unique<mpi::RankPeers>(*comm_, o);
        }
#endif
        return nullptr;
    }

#ifdef EMBEDKIT_CLI_WITH_MPI
    /// Called by main under mpirun, after MPI_Init.
    void join() {
        comm_.emplace();
        rank_ = static_cast<unsigned>(comm_->rank());
        size_ = static_cast<unsigned>(comm_->size());
    }
    /// Called by main before MPI_Finalize.
    void leave() noexcept { comm_.reset(); }
    [[nodiscard]] const mpi::Communicator* communicator() const noexcept { return comm_ ? &*comm_ : nullptr; }
#endif

private:
    unsigned rank_ = 0;
    unsigned size_ = 1;
#ifdef EMBEDKIT_CLI_WITH_MPI
    std::optional<mpi::Communicator> comm_;
#endif
};

#ifdef EMBEDKIT_CLI_WITH_MPI
/// The world communicator when this process is one of several MPI ranks, else nullptr.
[[nodiscard]] inline const mpi::Communicator* mpi_world() {
    const MpiWorld& world = MpiWorld::instance();
    return world.distributed() ? world.communicator() : nullptr;
}
#endif

/// Whether main() prints this error: rank 0 prints every error (its own, or another rank's as
/// "rank R of N: ..."); the other ranks print only their own.
[[nodiscard]] inline bool print_error_here([[maybe_unused]] const std::exception& e) {
#ifdef EMBEDKIT_CLI_WITH_MPI
    return MpiWorld::instance().leader() || dynamic_cast<const mpi::rank_error*>(&e) == nullptr;
#else
    return true;
#endif
}

}  // namespace embedkit::cli
