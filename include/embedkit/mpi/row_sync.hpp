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
// of ranks that changed the row (a row one rank saw keeps that rank's update).
//
// The sum has a limit. A row that many updates reach between two merges settles on each rank's
// copy: every copy moves most of the way to the same place, and the sum of k such moves overshoots
// by k - 1 times the distance (measured: Word2Vec diverged on gutenberg100m at 4 ranks). Its moves
// should be averaged; a rare row's few updates, far from settled, should add up as Hogwild's
// would. RowSync tells them apart with a model of settling (SettlingModel): a copy that takes u
// updates moves a fraction 1 - exp(-r u) of the way, and a row's update rate falls with its place
// p in the frequency order as 1 / (p + 1) (Zipf's law), so a rank that read W words since the
// row's last merge has taken it x = c W / (p + 1) of the way in r u units. The k ranks that
// changed the row moved it k (1 - exp(-x)) in all; one copy taking all their updates would have
// moved it 1 - exp(-k x). The merged delta is the sum scaled by the ratio of the two: the sum for
// a rare row (x -> 0), the mean for a settled one (x large), in between elsewhere.

#include "embedkit/errors.hpp"
#include "embedkit/mpi/communicator.hpp"
#include "embedkit/train/peers.hpp"
#include "embedkit/types.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace embedkit::mpi {

/// How the deltas of one row from several ranks become one.
enum class RowMerge {
    sum,              ///< the sum, as Hogwild threads sharing one copy, damped by sync()'s SettlingModel (default)
    mean_of_changed,  ///< sum / the number of ranks that changed the row
};

/// How far a row's copies settle between two merges (see the top of this file): the row at
/// place p of its matrix's frequency order, after W words a rank read since its last merge, has
/// settled x = top_row * (W / 62,500) / (p + 1). top_row 0: no damping, the plain sum.
struct SettlingModel {
    double top_row = kDefaultSettling;  ///< x of the most frequent row over 62,500 words a rank reads
    std::size_t frequent_rows = 0;  ///< rows merged at every meeting: places [0, frequent_rows)
    double frequent_words = 0;      ///< words a rank read since the frequent rows' last merge
    double all_words = 0;           ///< words a rank read since the other rows' last merge

    /// What the merged delta of the row at `place`, changed by `ranks` ranks, is of their sum.
    [[nodiscard]] double share_of_sum(std::size_t place, double ranks) const noexcept {
        if (top_row <= 0 || ranks <= 1) return 1.0;
        const double words = place < frequent_rows ? frequent_words : all_words;
        const double x = top_row * (words / 62'500.0) / (static_cast<double>(place) + 1.0);
        if (!(x > 0)) return 1.0;
        return -std::expm1(-ranks * x) / (ranks * -std::expm1(-x));
    }
};

/// How the deltas travel. bfloat16 (a float's top 16 bits, rounded to nearest even) halves the
/// bytes on the wire; a merged delta keeps about 3 significant digits, far finer than the
/// parameters' own noise, and every rank still applies the same bits.
enum class WirePrecision {
    full,      ///< the matrices' own scalar
    bfloat16,  ///< 2 bytes a value (default)
};

namespace detail {

[[nodiscard]] inline std::uint16_t to_bfloat16(float x) noexcept {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &x, sizeof bits);
    if ((bits & 0x7F800000u) == 0x7F800000u && (bits & 0x007FFFFFu) != 0) return 0x7FC0;  // NaN stays NaN
    bits += 0x7FFFu + ((bits >> 16) & 1u);
    return static_cast<std::uint16_t>(bits >> 16);
}

[[nodiscard]] inline float from_bfloat16(std::uint16_t x) noexcept {
    const std::uint32_t bits = static_cast<std::uint32_t>(x) << 16;
    float f = 0;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

// MPI_User_function: inout[i] += in[i], in bfloat16.
inline void bfloat16_sum(void* in, void* inout, int* length, MPI_Datatype*) {
    const auto* a = static_cast<const std::uint16_t*>(in);
    auto* b = static_cast<std::uint16_t*>(inout);
    for (int i = 0; i < *length; ++i) b[i] = to_bfloat16(from_bfloat16(a[i]) + from_bfloat16(b[i]));
}

}  // namespace detail

/// What one rank sent and how long it waited, over the syncs so far.
struct SyncTraffic {
    std::uint64_t syncs = 0;
    std::uint64_t bytes_sent = 0;       ///< by this rank, payload only (an estimate of the algorithms' own)
    std::uint64_t rows_merged = 0;      ///< union rows, summed over syncs
    double seconds = 0;                 ///< inside sync(), scanning and packing included
    double wire_seconds = 0;            ///< of which in MPI calls (sending, receiving, summing)
};

template <class S>
class RowSync {
    static_assert(std::is_same_v<S, float> || std::is_same_v<S, double>, "RowSync: float or double rows");

public:
    /// Remembers the current values of `matrices` (equal on every rank) as the base the deltas of
    /// the next sync are taken from. The matrices must outlive this object and keep their shape.
    /// `frequency_order[i]`: the rows of matrix i from the most frequently updated down (empty:
    /// row 0 first, as word ids follow frequency); see sync(leading_rows).
    RowSync(const Communicator& comm, std::vector<RowMatrix<S>*> matrices, RowMerge merge = RowMerge::sum,
            std::vector<std::vector<std::int64_t>> frequency_order = {}, WirePrecision wire = WirePrecision::bfloat16)
        : comm_(&comm), merge_(merge), wire_(wire) {
        if (wire_ == WirePrecision::bfloat16) {
            comm_->check(MPI_Op_create(&detail::bfloat16_sum, /*commute=*/1, &bfloat16_sum_), "MPI_Op_create");
        }
        for (std::size_t i = 0; i < matrices.size(); ++i) {
            RowMatrix<S>* m = matrices[i];
            if (m == nullptr || m->size() == 0) continue;
            std::vector<std::int64_t> order = i < frequency_order.size() ? std::move(frequency_order[i]) : std::vector<std::int64_t>{};
            if (!order.empty() && order.size() != static_cast<std::size_t>(m->rows())) {
                throw invalid_argument("RowSync: matrix " + std::to_string(i) + " has " + std::to_string(m->rows()) +
                                       " rows, its frequency order " + std::to_string(order.size()));
            }
            tracked_.push_back({m, *m, std::move(order)});
        }
    }

    RowSync(const RowSync&) = delete;
    RowSync& operator=(const RowSync&) = delete;
    ~RowSync() {
        int finalised = 0;
        MPI_Finalized(&finalised);
        if (bfloat16_sum_ != MPI_OP_NULL && finalised == 0) MPI_Op_free(&bfloat16_sum_);
    }

    /// Collective. Every tracked matrix becomes base + merged delta on every rank, bit-identical
    /// everywhere, and that is the base of the next sync. With `leading_rows`, only the first
    /// that many rows of each matrix's frequency order are merged now; the other rows keep their
    /// changes for a later sync. With RowMerge::sum, `settling` damps the rows whose copies
    /// settled (see above; its default top_row 0 is the plain sum). Every rank must pass the same
    /// values.
    void sync(std::size_t leading_rows = std::numeric_limits<std::size_t>::max(), const SettlingModel& settling = {0.0}) {
        const auto start = std::chrono::steady_clock::now();
        const int ranks = comm_->size();
        // The rows of `t` merged now: t.row_at(k) for k in [0, limit(t)).
        const auto limit = [leading_rows](const Tracked& t) {
            return static_cast<Eigen::Index>(std::min<std::size_t>(static_cast<std::size_t>(t.matrix->rows()), leading_rows));
        };
        std::size_t rows = 0;
        for (const Tracked& t : tracked_) rows += static_cast<std::size_t>(limit(t));
        // 1. Which rows did this rank change, and which did any rank change.
        changed_.assign(rows, 0);
        std::size_t at = 0;
        for (const Tracked& t : tracked_) {
            const std::size_t width = static_cast<std::size_t>(t.matrix->cols()) * sizeof(S);
            for (Eigen::Index k = 0; k < limit(t); ++k, ++at) {
                const Eigen::Index r = t.row_at(k);
                changed_[at] = std::memcmp(t.matrix->row(r).data(), t.base.row(r).data(), width) != 0 ? 1 : 0;
            }
        }
        union_ = changed_;
        const auto wire = std::chrono::steady_clock::now();
        if (ranks > 1) {
            comm_->check(MPI_Allreduce(MPI_IN_PLACE, union_.data(), static_cast<int>(rows), MPI_UNSIGNED_CHAR, MPI_BOR,
                                       comm_->native()),
                         "MPI_Allreduce");
            traffic_.bytes_sent += 2 * rows;
        }
        traffic_.wire_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - wire).count();
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
        if (wire_ == WirePrecision::bfloat16) {
            exchange<std::uint16_t>(block, wire16_, MPI_UINT16_T, bfloat16_sum_, limit, settling);
        } else {
            exchange<S>(block, wire_full_, datatype(), MPI_SUM, limit, settling);
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
        std::vector<std::int64_t> order;  ///< empty: rows in id order

        /// The row at position k of the frequency order.
        [[nodiscard]] Eigen::Index row_at(Eigen::Index k) const noexcept {
            return order.empty() ? k : static_cast<Eigen::Index>(order[static_cast<std::size_t>(k)]);
        }
    };

    // Packs the union's rows (delta, then 1 when this rank changed the row) as W, sums them
    // across ranks (each value in one place, the sums copied everywhere), and applies them.
    template <class W, class Limit>
    void exchange(std::size_t block, std::vector<W>& buffer, MPI_Datatype type, MPI_Op op, const Limit& limit,
                  const SettlingModel& settling) {
        const int ranks = comm_->size();
        buffer.assign(block * static_cast<std::size_t>(ranks), W(0));
        W* out = buffer.data();
        std::size_t at = 0;
        for (const Tracked& t : tracked_) {
            const Eigen::Index cols = t.matrix->cols();
            for (Eigen::Index k = 0; k < limit(t); ++k, ++at) {
                if (union_[at] == 0) continue;
                const Eigen::Index r = t.row_at(k);
                const S* now = t.matrix->row(r).data();
                const S* base = t.base.row(r).data();
                for (Eigen::Index c = 0; c < cols; ++c) out[c] = encode<W>(now[c] - base[c]);
                out[cols] = encode<W>(changed_[at] != 0 ? S(1) : S(0));
                out += cols + 1;
            }
        }
        // 3. Sum every value in one place, copy the sums everywhere.
        if (ranks > 1 && block > 0) {
            const auto sending = std::chrono::steady_clock::now();
            std::vector<W> part(block);
            comm_->check(MPI_Reduce_scatter_block(buffer.data(), part.data(), static_cast<int>(block), type, op,
                                                  comm_->native()),
                         "MPI_Reduce_scatter_block");
            comm_->check(MPI_Allgather(part.data(), static_cast<int>(block), type, buffer.data(), static_cast<int>(block),
                                       type, comm_->native()),
                         "MPI_Allgather");
            traffic_.bytes_sent += 2 * (block * static_cast<std::size_t>(ranks - 1)) * sizeof(W);
            traffic_.wire_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - sending).count();
        }
        // 4. New value = base + merged delta, in the matrix and as the next base.
        const W* in = buffer.data();
        at = 0;
        for (Tracked& t : tracked_) {
            const Eigen::Index cols = t.matrix->cols();
            for (Eigen::Index k = 0; k < limit(t); ++k, ++at) {
                if (union_[at] == 0) continue;
                const Eigen::Index r = t.row_at(k);
                const S changed_by = decode<W>(in[cols]);
                S scale = S(1);
                if (merge_ == RowMerge::mean_of_changed) {
                    if (changed_by > S(1)) scale = S(1) / changed_by;
                } else {
                    scale = static_cast<S>(settling.share_of_sum(static_cast<std::size_t>(k), static_cast<double>(changed_by)));
                }
                S* now = t.matrix->row(r).data();
                S* base = t.base.row(r).data();
                for (Eigen::Index c = 0; c < cols; ++c) {
                    base[c] += decode<W>(in[c]) * scale;
                    now[c] = base[c];
                }
                in += cols + 1;
            }
        }
    }

    template <class W>
    [[nodiscard]] static W encode(S x) noexcept {
        if constexpr (std::is_same_v<W, std::uint16_t>) {
            return detail::to_bfloat16(static_cast<float>(x));
        } else {
            return x;
        }
    }
    template <class W>
    [[nodiscard]] static S decode(W x) noexcept {
        if constexpr (std::is_same_v<W, std::uint16_t>) {
            return static_cast<S>(detail::from_bfloat16(x));
        } else {
            return x;
        }
    }

    static MPI_Datatype datatype() { return std::is_same_v<S, float> ? MPI_FLOAT : MPI_DOUBLE; }

    const Communicator* comm_;
    RowMerge merge_;
    std::vector<Tracked> tracked_;
    std::vector<unsigned char> changed_;
    std::vector<unsigned char> union_;
    WirePrecision wire_;
    MPI_Op bfloat16_sum_ = MPI_OP_NULL;
    std::vector<S> wire_full_;
    std::vector<std::uint16_t> wire16_;
    SyncTraffic traffic_;
};

}  // namespace embedkit::mpi
