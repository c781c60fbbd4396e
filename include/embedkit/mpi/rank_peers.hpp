#pragma once

// The processes of an MPI job as a trainer's peers (train/peers.hpp): every rank trains its
// part of the corpus with its own threads; the ranks meet every `sync_words` words read by all,
// merge their parameters with RowSync and decide together whether to checkpoint or stop.
//
//     embedkit::mpi::Environment env(argc, argv);
//     embedkit::mpi::Communicator world;
//     embedkit::mpi::RankPeers peers(world);
//     options.peers = &peers;   // then train_word2vec / train_fasttext on this rank's corpus

#include "embedkit/errors.hpp"
#include "embedkit/mpi/communicator.hpp"
#include "embedkit/mpi/row_sync.hpp"
#include "embedkit/train/engine_state.hpp"
#include "embedkit/train/peers.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace embedkit::mpi {

struct RankPeersOptions {
    std::uint64_t sync_words = kDefaultSyncWords;  ///< words all ranks read between meetings (> 0)
    /// Words all ranks read between merges of every row; the meetings between merge only the
    /// `frequent_rows` most frequent rows of each matrix, whose copies drift apart fastest.
    /// Rounded to a multiple of sync_words. 0 or frequent_rows 0: every meeting merges every row.
    std::uint64_t full_sync_words = kDefaultFullSyncWords;
    std::size_t frequent_rows = kDefaultFrequentRows;
    RowMerge merge = RowMerge::sum;
    /// With RowMerge::sum, how fast the copies of the most frequent row settle (SettlingModel::
    /// top_row; row_sync.hpp says why the settled rows' moves are averaged, not summed). 0: the
    /// plain sum, which diverged on gutenberg100m at 4 ranks.
    double settling = kDefaultSettling;
    WirePrecision wire = WirePrecision::bfloat16;
};

class RankPeers final : public Peers {
public:
    explicit RankPeers(const Communicator& comm, RankPeersOptions options = {}) : comm_(&comm), options_(options) {
        if (options_.sync_words == 0) throw invalid_argument("RankPeers: sync_words must be > 0");
        // The meetings run on whichever worker thread of a rank reaches them last.
        int level = MPI_THREAD_SINGLE;
        comm_->check(MPI_Query_thread(&level), "MPI_Query_thread");
        if (level < MPI_THREAD_SERIALIZED) {
            throw invalid_argument("RankPeers: MPI was initialised without MPI_THREAD_SERIALIZED (use "
                                   "mpi::Environment, whose default asks for it, or MPI_Init_thread)");
        }
    }

    [[nodiscard]] unsigned rank() const noexcept override { return static_cast<unsigned>(comm_->rank()); }
    [[nodiscard]] unsigned ranks() const noexcept override { return static_cast<unsigned>(comm_->size()); }

    std::vector<std::uint64_t> start(const std::vector<RowMatrix<float>*>& matrices,
                                     std::vector<std::vector<std::int64_t>> frequency_order,
                                     std::uint64_t local_work) override {
        sync_float_.emplace(*comm_, matrices, options_.merge, std::move(frequency_order), options_.wire);
        sync_double_.reset();
        return meeting_points(local_work);
    }
    std::vector<std::uint64_t> start(const std::vector<RowMatrix<double>*>& matrices,
                                     std::vector<std::vector<std::int64_t>> frequency_order,
                                     std::uint64_t local_work) override {
        sync_double_.emplace(*comm_, matrices, options_.merge, std::move(frequency_order), options_.wire);
        sync_float_.reset();
        return meeting_points(local_work);
    }

    PeerDecision meet(std::size_t meeting, const std::exception_ptr& failure, bool wants_stop,
                      double checkpoint_every) override {
        if (ended_) throw invalid_argument("RankPeers::meet after the run ended");
        const auto begin = std::chrono::steady_clock::now();
        try {
            comm_->agree(failure);
            const bool every_row = merges_every_row(meeting);
            const std::size_t rows = every_row ? std::numeric_limits<std::size_t>::max() : options_.frequent_rows;
            const SettlingModel settling = settling_model();
            if (sync_float_) sync_float_->sync(rows, settling);
            if (sync_double_) sync_double_->sync(rows, settling);
            // Checkpoints and stops happen only where every row was merged: every copy of the
            // model is then the same, which is what a checkpoint saves once. A stop request waits
            // for that meeting (at most full_sync_words words).
            PeerDecision d;
            if (every_row) {
                // [0]: some rank wants to stop; [1]: rank 0's clock says a checkpoint is due.
                int flags[2] = {wants_stop ? 1 : 0, 0};
                if (comm_->rank() == 0 && checkpoint_every > 0 &&
                    std::chrono::duration<double>(begin - last_checkpoint_).count() >= checkpoint_every) {
                    flags[1] = 1;
                }
                comm_->check(MPI_Allreduce(MPI_IN_PLACE, flags, 2, MPI_INT, MPI_MAX, comm_->native()), "MPI_Allreduce");
                traffic_.bytes_sent += sizeof flags;
                d.stop = flags[0] != 0;
                d.checkpoint = flags[1] != 0 || (d.stop && checkpoint_every >= 0);
            }
            if (d.checkpoint) last_checkpoint_ = std::chrono::steady_clock::now();
            if (d.stop) ended_ = true;
            ++traffic_.meetings;
            traffic_.bytes_sent += sizeof(int);  // the agreement
            traffic_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
            return d;
        } catch (...) {
            ended_ = true;
            throw;
        }
    }

    void save_checkpoint(const embedkit::detail::EngineState& local, const embedkit::detail::RankState& me,
                         const std::function<void(const embedkit::detail::EngineState&)>& save) override {
        try {
            embedkit::detail::RankState mine = me;
            mine.processed = local.processed;
            mine.meetings = local.meetings;
            mine.threads = static_cast<std::uint32_t>(local.threads.size());
            std::string bytes(sizeof mine + local.threads.size() * sizeof(embedkit::detail::EngineThreadState), '\0');
            std::memcpy(bytes.data(), &mine, sizeof mine);
            if (!local.threads.empty()) {
                std::memcpy(bytes.data() + sizeof mine, local.threads.data(),
                            local.threads.size() * sizeof(embedkit::detail::EngineThreadState));
            }
            const std::vector<std::string> parts = comm_->all_gather(bytes);
            collectively(*comm_, [&] {
                if (comm_->rank() != 0) return;
                embedkit::detail::EngineState all;
                for (const std::string& part : parts) {
                    embedkit::detail::RankState r;
                    std::memcpy(&r, part.data(), sizeof r);
                    all.ranks.push_back(r);
                    all.processed += r.processed;
                    const std::size_t first = all.threads.size();
                    all.threads.resize(first + r.threads);
                    std::memcpy(all.threads.data() + first, part.data() + sizeof r,
                                r.threads * sizeof(embedkit::detail::EngineThreadState));
                }
                save(all);
            });
        } catch (...) {
            ended_ = true;
            throw;
        }
    }

    [[nodiscard]] bool ended() const noexcept override { return ended_; }

    [[nodiscard]] PeerTraffic traffic() const override {
        PeerTraffic t = traffic_;
        const SyncTraffic merged = sync_float_ ? sync_float_->traffic() : sync_double_ ? sync_double_->traffic() : SyncTraffic{};
        t.bytes_sent += merged.bytes_sent;
        t.rows_merged = merged.rows_merged;
        t.merge_seconds = merged.seconds;
        t.wire_seconds = merged.wire_seconds;
        return t;
    }

private:
    // Every row is merged at every full_every-th meeting and at the last (the final model).
    [[nodiscard]] bool merges_every_row(std::size_t meeting) const noexcept {
        if (options_.frequent_rows == 0 || options_.full_sync_words <= options_.sync_words) return true;
        const std::uint64_t full_every = options_.full_sync_words / options_.sync_words;
        return (meeting + 1) % full_every == 0 || meeting + 1 >= meetings_;
    }

    // The rows' settling between merges: the frequent rows met at the last meeting, the others at
    // the last full merge, each after sync_words / ranks words of a rank (full_every times that).
    [[nodiscard]] SettlingModel settling_model() const noexcept {
        SettlingModel m;
        m.top_row = options_.settling;
        m.frequent_rows = options_.frequent_rows;
        m.frequent_words = static_cast<double>(options_.sync_words) / comm_->size();
        const bool all_every_meeting = options_.frequent_rows == 0 || options_.full_sync_words <= options_.sync_words;
        const std::uint64_t full_every = all_every_meeting ? 1 : options_.full_sync_words / options_.sync_words;
        m.all_words = static_cast<double>(full_every * options_.sync_words) / comm_->size();
        return m;
    }

    // K meetings, K the same on every rank (from the global word count); rank r meets after
    // floor(k x local / K) of its own words, k = 1..K.
    std::vector<std::uint64_t> meeting_points(std::uint64_t local_work) {
        ended_ = false;
        traffic_ = {};
        last_checkpoint_ = std::chrono::steady_clock::now();
        std::uint64_t global = local_work;
        comm_->check(MPI_Allreduce(MPI_IN_PLACE, &global, 1, MPI_UINT64_T, MPI_SUM, comm_->native()), "MPI_Allreduce");
        const std::uint64_t per_meeting = options_.sync_words;
        const std::uint64_t k_total = std::max<std::uint64_t>(1, (global + per_meeting - 1) / per_meeting);
        meetings_ = k_total;
        std::vector<std::uint64_t> points(k_total);
        const std::uint64_t whole = local_work / k_total;
        const std::uint64_t rest = local_work % k_total;
        for (std::uint64_t k = 1; k <= k_total; ++k) points[k - 1] = whole * k + rest * k / k_total;
        return points;
    }

    const Communicator* comm_;
    RankPeersOptions options_;
    std::optional<RowSync<float>> sync_float_;
    std::optional<RowSync<double>> sync_double_;
    bool ended_ = false;
    std::uint64_t meetings_ = 0;
    std::chrono::steady_clock::time_point last_checkpoint_ = std::chrono::steady_clock::now();
    PeerTraffic traffic_;
};

}  // namespace embedkit::mpi
