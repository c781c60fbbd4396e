#pragma once

// Keeping the replicas of a model's matrices equal across ranks. Every rank trains its own copy
// of the parameters on its own shard; at a synchronisation point each rank's change since the
// last one (its delta) is merged and every copy becomes the same again.
//
// Only rows some rank changed are sent. The ranks first agree on the union of their changed rows
// (one byte per row, a bitwise-or all-reduce), then reduce the deltas of those rows with a
// reduce-scatter followed by an all-gather: every value is summed in one place and copied
// everywhere, so all replicas stay bit-identical (an MPI_Allreduce may sum in a different order
// on each rank). By default a row's merged delta is the sum of the ranks' deltas, as if the
// ranks were Hogwild threads sharing one copy. RowMerge::mean_of_changed divides it by the number
// of ranks that changed the row (a row one rank saw keeps that rank's update); for Word2Vec it
// halves a frequent word's steps at 2 ranks and costs half the analogy accuracy
// (docs/distributed.md), so it is there for models whose updates do not add up.

#include "embedkit/errors.hpp"
#include "embedkit/mpi/communicator.hpp"
#include "embedkit/types.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace embedkit::mpi {

/// How the deltas of one row from several ranks become one.
enum class RowMerge {
    sum,              ///< the sum, as Hogwild threads sharing one copy (default)
    mean_of_changed,  ///< sum / the number of ranks that changed the row
};

/// What one rank sent and how long it waited, over the syncs so far.
struct SyncTraffic {
    std::uint64_t syncs = 0;
    std::uint64_t bytes_sent = 0;       ///< by this rank, payload only (an estimate of the algorithms' own)
    std::uint64_t rows_merged = 0;      ///< union rows, summed over syncs
    double seconds = 0;                 ///< inside sync(), scanning and packing included
};

template <class S>
class RowSync {
    static_assert(std::is_same_v<S, float> || std::is_same_v<S, double>, "RowSync: float or double rows");

public:
    /// Remembers the current values of `matrices` (equal on every rank) as the base the deltas of
    /// the next sync are taken from. The matrices must outlive this object and keep their shape.
    /// `frequent_last[i]`: matrix i keeps its frequent rows last, not first (hierarchical
    /// softmax's inner nodes: the root is the last row); see sync(leading_rows).
    RowSync(const Communicator& comm, std::vector<RowMatrix<S>*> matrices, RowMerge merge = RowMerge::sum,
            std::vector<bool> frequent_last = {})
        : comm_(&comm), merge_(merge) {
        for (std::size_t i = 0; i < matrices.size(); ++i) {
            RowMatrix<S>* m = matrices[i];
            if (m == nullptr || m->size() == 0) continue;
            tracked_.push_back({m, *m, i < frequent_last.size() && frequent_last[i]});
        }
    }

    /// Collective. Every tracked matrix becomes base + merged delta on every rank, bit-identical
    /// everywhere, and that is the base of the next sync. With `leading_rows`, only that many
    /// rows of each matrix, its frequent ones (the first: word ids follow frequency; the last
    /// with frequent_last), are merged now; the other rows keep their changes for a later sync.
    /// Every rank must pass the same value.
    void sync(std::size_t leading_rows = std::numeric_limits<std::size_t>::max()) {
        const auto start = std::chrono::steady_clock::now();
        const int ranks = comm_->size();
        // The rows of `t` merged now: [first(t), first(t) + limit(t)).
        const auto limit = [leading_rows](const Tracked& t) {
            return static_cast<Eigen::Index>(std::min<std::size_t>(static_cast<std::size_t>(t.matrix->rows()), leading_rows));
        };
        const auto first = [&limit](const Tracked& t) { return t.frequent_last ? t.matrix->rows() - limit(t) : Eigen::Index{0}; };
        std::size_t rows = 0;
        for (const Tracked& t : tracked_) rows += static_cast<std::size_t>(limit(t));
        // 1. Which rows did this rank change, and which did any rank change.
        changed_.assign(rows, 0);
        std::size_t at = 0;
        for (const Tracked& t : tracked_) {
            const std::size_t width = static_cast<std::size_t>(t.matrix->cols()) * sizeof(S);
            for (Eigen::Index r = first(t); r < first(t) + limit(t); ++r, ++at) {
                changed_[at] = std::memcmp(t.matrix->row(r).data(), t.base.row(r).data(), width) != 0 ? 1 : 0;
            }
        }
        union_ = changed_;
        if (ranks > 1) {
            comm_->check(MPI_Allreduce(MPI_IN_PLACE, union_.data(), static_cast<int>(rows), MPI_UNSIGNED_CHAR, MPI_BOR,
                                       comm_->native()),
                         "MPI_Allreduce");
            traffic_.bytes_sent += 2 * rows;
        }
        // 2. The union's rows: delta, then a 1 when this rank changed the row (the count of ranks).
        std::size_t union_values = 0;
        std::size_t union_rows = 0;
        at = 0;
        for (const Tracked& t : tracked_) {
            const auto matrix_rows = static_cast<std::size_t>(limit(t));
            const auto width = static_cast<std::size_t>(t.matrix->cols()) + 1;
            for (std::size_t r = 0; r < matrix_rows; ++r) {
                if (union_[at + r] == 0) continue;
                union_values += width;
                ++union_rows;
            }
            at += matrix_rows;
        }
        const std::size_t block = (union_values + static_cast<std::size_t>(ranks) - 1) / static_cast<std::size_t>(ranks);
        if (block > static_cast<std::size_t>(INT32_MAX)) {
            throw invalid_argument("RowSync: " + std::to_string(union_values) +
                                   " values to merge in one sync exceed what MPI can send to one rank; use more ranks");
        }
        send_.assign(block * static_cast<std::size_t>(ranks), S(0));
        S* out = send_.data();
        at = 0;
        for (const Tracked& t : tracked_) {
            const Eigen::Index cols = t.matrix->cols();
            for (Eigen::Index r = first(t); r < first(t) + limit(t); ++r, ++at) {
                if (union_[at] == 0) continue;
                const S* now = t.matrix->row(r).data();
                const S* base = t.base.row(r).data();
                for (Eigen::Index c = 0; c < cols; ++c) out[c] = now[c] - base[c];
                out[cols] = changed_[at] != 0 ? S(1) : S(0);
                out += cols + 1;
            }
        }
        // 3. Sum every value in one place, copy the sums everywhere.
        if (ranks > 1 && block > 0) {
            part_.resize(block);
            comm_->check(MPI_Reduce_scatter_block(send_.data(), part_.data(), static_cast<int>(block), datatype(), MPI_SUM,
                                                  comm_->native()),
                         "MPI_Reduce_scatter_block");
            comm_->check(MPI_Allgather(part_.data(), static_cast<int>(block), datatype(), send_.data(),
                                       static_cast<int>(block), datatype(), comm_->native()),
                         "MPI_Allgather");
            traffic_.bytes_sent += 2 * (block * static_cast<std::size_t>(ranks - 1)) * sizeof(S);
        }
        // 4. New value = base + merged delta, in the matrix and as the next base.
        const S* in = send_.data();
        at = 0;
        for (Tracked& t : tracked_) {
            const Eigen::Index cols = t.matrix->cols();
            for (Eigen::Index r = first(t); r < first(t) + limit(t); ++r, ++at) {
                if (union_[at] == 0) continue;
                const S changed_by = in[cols];
                const S scale = merge_ == RowMerge::sum || changed_by <= S(1) ? S(1) : S(1) / changed_by;
                S* now = t.matrix->row(r).data();
                S* base = t.base.row(r).data();
                for (Eigen::Index c = 0; c < cols; ++c) {
                    base[c] += in[c] * scale;
                    now[c] = base[c];
                }
                in += cols + 1;
            }
        }
        ++traffic_.syncs;
        traffic_.rows_merged += union_rows;
        traffic_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }

    [[nodiscard]] const SyncTraffic& traffic() const noexcept { return traffic_; }

private:
    struct Tracked {
        RowMatrix<S>* matrix;
        RowMatrix<S> base;
        bool frequent_last;
    };

    static MPI_Datatype datatype() { return std::is_same_v<S, float> ? MPI_FLOAT : MPI_DOUBLE; }

    const Communicator* comm_;
    RowMerge merge_;
    std::vector<Tracked> tracked_;
    std::vector<unsigned char> changed_;
    std::vector<unsigned char> union_;
    std::vector<S> send_;
    std::vector<S> part_;
    SyncTraffic traffic_;
};

}  // namespace embedkit::mpi
