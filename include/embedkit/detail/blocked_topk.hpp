#pragma once

// The engine behind every exact top-k search: score a block of queries against a block of rows
// (a small matrix product, so BLAS-3 speed), feed each query's scores to its bounded heap, move on.
// Scratch memory is one (query block x row block) score matrix per thread, never queries x rows.
// Work is split across threads by query blocks, or, when there are too few queries to go round,
// by row ranges whose per-thread heaps are merged at the end.

#include "embedkit/detail/parallel.hpp"
#include "embedkit/detail/topk_heap.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <vector>

namespace embedkit::detail {

/// Block sizes of the blocked search. The score block (queries x rows scalars) should sit in L2.
struct BlockShape {
    Eigen::Index queries = 256;
    Eigen::Index rows = 512;
};

/// Rows that must not appear in results: `shared` for every query, `per_query[q]` for query q
/// (`per_query` is empty or has one list per query). Every list is sorted and duplicate-free.
struct Exclusions {
    std::vector<TokenId> shared;
    std::vector<std::vector<TokenId>> per_query;
};

/// The ids of `ids` that lie in [0, limit), sorted and without duplicates (for Exclusions).
[[nodiscard]] inline std::vector<TokenId> sorted_unique_ids(const std::vector<TokenId>& ids, Eigen::Index limit) {
    std::vector<TokenId> out;
    out.reserve(ids.size());
    for (TokenId id : ids) {
        if (id >= 0 && id < limit) out.push_back(id);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

/// Below this many multiply-adds (queries x rows x dim) a second thread costs more than it saves.
[[nodiscard]] inline unsigned threads_for_work(Eigen::Index queries, Eigen::Index rows, Eigen::Index dim,
                                               unsigned requested) {
    const double work = static_cast<double>(queries) * static_cast<double>(rows) *
                        static_cast<double>(std::max<Eigen::Index>(dim, 1));
    return work < double(1 << 20) ? 1u : resolve_threads(requested);
}

/// Marks the excluded rows of [first_row, first_row + count) with NaN, which no heap admits.
template <class Scalar>
void mark_excluded(const std::vector<TokenId>& sorted_ids, Eigen::Index first_row, Eigen::Index count,
                   Scalar* scores) {
    auto it = std::lower_bound(sorted_ids.begin(), sorted_ids.end(), first_row);
    const Eigen::Index end = first_row + count;
    for (; it != sorted_ids.end() && *it < end; ++it) {
        scores[*it - first_row] = std::numeric_limits<Scalar>::quiet_NaN();
    }
}

/// Feeds one query's block of scores (rows first_row ...) to its heap. Once the heap is full
/// almost every score is below its threshold, so the maximum of each group of 16 scores is
/// compared first (a few SIMD instructions) and only a group holding a candidate is walked.
template <class Scalar>
void select_block(const Scalar* scores, Eigen::Index count, Eigen::Index first_row, TopKHeap<Scalar>& heap) {
    constexpr Eigen::Index group = 16;
    Scalar threshold = heap.threshold();
    Eigen::Index j = 0;
    for (; j + group <= count; j += group) {
        // The largest non-NaN score of the group (NaN marks an excluded row); SIMD max.
        const Scalar group_max =
            Eigen::Map<const Eigen::Array<Scalar, group, 1>>(scores + j).template maxCoeff<Eigen::PropagateNumbers>();
        if (!(group_max >= threshold)) continue;
        for (Eigen::Index t = j; t < j + group; ++t) {
            if (scores[t] >= threshold) {
                heap.push(static_cast<TokenId>(first_row + t), scores[t]);
                threshold = heap.threshold();
            }
        }
    }
    for (; j < count; ++j) {
        if (scores[j] >= threshold) {
            heap.push(static_cast<TokenId>(first_row + j), scores[j]);
            threshold = heap.threshold();
        }
    }
}

/// Exact top-k of `num_queries` queries over rows [0, num_rows).
///
/// `make_scorer()` is called once per worker thread and returns an object with
///   - `void set_queries(Eigen::Index first, Eigen::Index count)`: the next block of queries;
///   - `void score(Eigen::Index first_row, Eigen::Index count, RowMatrix<Scalar>& out)`: fill `out`
///     (resized to queries x count) with the scores of the current queries against those rows;
///     higher is better;
///   - `void finish(Eigen::Index query, std::vector<Neighbor<Scalar>>& best)`: final touch to a
///     query's results, which arrive best first (e.g. replace a ranking score by a distance).
/// Results are best first, ties by lower id, at most min(k, num_rows) per query.
template <class Scalar, class MakeScorer>
[[nodiscard]] std::vector<std::vector<Neighbor<Scalar>>> blocked_topk(Eigen::Index num_queries, Eigen::Index num_rows,
                                                                      Eigen::Index k, const Exclusions& exclusions,
                                                                      unsigned threads, MakeScorer&& make_scorer,
                                                                      BlockShape shape = {}) {
    using Results = std::vector<std::vector<Neighbor<Scalar>>>;
    Results results(static_cast<std::size_t>(std::max<Eigen::Index>(num_queries, 0)));
    if (num_queries <= 0) return results;
    const auto capacity = static_cast<std::size_t>(std::clamp<Eigen::Index>(k, 0, num_rows));
    threads = std::max(1u, threads);
    const Eigen::Index row_block = std::max<Eigen::Index>(1, shape.rows);
    const bool has_per_query = !exclusions.per_query.empty();

    // Scores rows [row_begin, row_end) for the current query block and updates the heaps.
    auto scan_rows = [&](auto& scorer, Eigen::Index q0, Eigen::Index qn, Eigen::Index row_begin, Eigen::Index row_end,
                         std::vector<TopKHeap<Scalar>>& heaps, RowMatrix<Scalar>& block) {
        for (Eigen::Index r0 = row_begin; r0 < row_end; r0 += row_block) {
            const Eigen::Index rn = std::min(row_block, row_end - r0);
            scorer.score(r0, rn, block);
            for (Eigen::Index i = 0; i < qn; ++i) {
                Scalar* row = block.row(i).data();
                if (!exclusions.shared.empty()) mark_excluded(exclusions.shared, r0, rn, row);
                if (has_per_query) mark_excluded(exclusions.per_query[static_cast<std::size_t>(q0 + i)], r0, rn, row);
                select_block(row, rn, r0, heaps[static_cast<std::size_t>(i)]);
            }
        }
    };

    // Enough queries for every thread: split by query blocks.
    constexpr Eigen::Index min_queries_per_thread = 8;
    if (threads == 1 || num_queries >= static_cast<Eigen::Index>(threads) * min_queries_per_thread) {
        const Eigen::Index per_thread = (num_queries + threads - 1) / threads;
        const Eigen::Index query_block = std::clamp<Eigen::Index>(per_thread, 1, std::max<Eigen::Index>(1, shape.queries));
        const Eigen::Index num_blocks = (num_queries + query_block - 1) / query_block;
        parallel_for(static_cast<std::size_t>(num_blocks), threads, [&](std::size_t b0, std::size_t b1, unsigned) {
            auto scorer = make_scorer();
            std::vector<TopKHeap<Scalar>> heaps(static_cast<std::size_t>(query_block), TopKHeap<Scalar>(capacity));
            RowMatrix<Scalar> block;
            for (std::size_t b = b0; b < b1; ++b) {
                const Eigen::Index q0 = static_cast<Eigen::Index>(b) * query_block;
                const Eigen::Index qn = std::min(query_block, num_queries - q0);
                scorer.set_queries(q0, qn);
                scan_rows(scorer, q0, qn, 0, num_rows, heaps, block);
                for (Eigen::Index i = 0; i < qn; ++i) {
                    auto& out = results[static_cast<std::size_t>(q0 + i)];
                    out = heaps[static_cast<std::size_t>(i)].take_sorted();
                    scorer.finish(q0 + i, out);
                }
            }
        });
        return results;
    }

    // Few queries (typically one): split the rows, keep one heap per query per thread, merge.
    std::vector<std::vector<TopKHeap<Scalar>>> partial(threads);
    run_threads(threads, [&](unsigned t) {
        const Eigen::Index row_begin = num_rows * t / threads;
        const Eigen::Index row_end = num_rows * (t + 1) / threads;
        auto scorer = make_scorer();
        auto& heaps = partial[t];
        heaps.assign(static_cast<std::size_t>(num_queries), TopKHeap<Scalar>(capacity));
        if (row_begin >= row_end) return;
        RowMatrix<Scalar> block;
        scorer.set_queries(0, num_queries);
        scan_rows(scorer, 0, num_queries, row_begin, row_end, heaps, block);
    });
    auto scorer = make_scorer();
    for (Eigen::Index q = 0; q < num_queries; ++q) {
        TopKHeap<Scalar> merged(capacity);
        for (const auto& heaps : partial) {
            for (const auto& item : heaps[static_cast<std::size_t>(q)].items()) merged.push(item.id, item.score);
        }
        auto& out = results[static_cast<std::size_t>(q)];
        out = merged.take_sorted();
        scorer.finish(q, out);
    }
    return results;
}

}  // namespace embedkit::detail
