#pragma once

// A fused float kernel for batched exact top-k, used when the consumer compiles with AVX2 and FMA
// (e.g. -march=native): scores of 6 queries x 16 rows are accumulated in registers and compared
// with each query's heap threshold right there, so no score matrix is ever written. Rows are
// repacked block by block into 16-row panels (the transpose a matrix product would pack too).
// At 30k queries x 30k rows x 100 floats on one core it took 2.9 s of CPU where Eigen's GEMM
// followed by a selection pass (detail::blocked_topk) took 4.4 s and faiss IndexFlatIP 3.9-4.5 s
// (see benchmarks/search_vs_numpy_faiss.py). Without AVX2/FMA `kHaveFusedTopK` is false and
// callers use detail::blocked_topk (Eigen products) instead.

#include "embedkit/detail/blocked_topk.hpp"
#include "embedkit/detail/parallel.hpp"
#include "embedkit/detail/topk_heap.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <vector>

#include <stdexcept>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace embedkit::detail {

#if defined(__AVX2__) && defined(__FMA__)

inline constexpr bool kHaveFusedTopK = true;

inline constexpr Eigen::Index kPanelRows = 16;   // two AVX registers of rows
inline constexpr int kTileQueries = 6;           // 6 x 2 accumulators + 2 row loads + 1 broadcast <= 16 registers
inline constexpr Eigen::Index kPackedRows = 256;  // rows packed at a time (100 KB at dim 100: L2)

/// Packs rows [first, first + count) of a row-major matrix into panels of 16 rows: panel p holds,
/// for each column c, the 16 values rows(first + 16p + j, c). Rows past `count` are zero with a
/// NaN bias, so they never pass a threshold.
inline void pack_panels(const float* rows, Eigen::Index stride, Eigen::Index dim, Eigen::Index first,
                        Eigen::Index count, const float* bias, float* panels, float* panel_bias) {
    const Eigen::Index num_panels = (count + kPanelRows - 1) / kPanelRows;
    for (Eigen::Index p = 0; p < num_panels; ++p) {
        float* dst = panels + p * dim * kPanelRows;
        for (Eigen::Index j = 0; j < kPanelRows; ++j) {
            const Eigen::Index r = p * kPanelRows + j;
            if (r < count) {
                const float* src = rows + (first + r) * stride;
                for (Eigen::Index c = 0; c < dim; ++c) dst[c * kPanelRows + j] = src[c];
                panel_bias[r] = bias ? bias[first + r] : 0.0f;
            } else {
                for (Eigen::Index c = 0; c < dim; ++c) dst[c * kPanelRows + j] = 0.0f;
                panel_bias[r] = std::numeric_limits<float>::quiet_NaN();
            }
        }
    }
}

[[nodiscard]] inline bool contains_sorted(const std::vector<TokenId>& ids, TokenId id) {
    return !ids.empty() && std::binary_search(ids.begin(), ids.end(), id);
}

/// Scores NQ queries against one panel (score = scale[i] * q_i.x + bias(x)) and offers every score
/// that reaches a query's threshold to its heap, skipping excluded rows. `thresholds[i]` caches
/// heaps[i]->threshold() and is updated here.
template <int NQ>
inline void tile_select(const float* const* q, const float* scale, const float* panel, const float* panel_bias,
                        Eigen::Index dim, TokenId first_id, TopKHeap<float>* const* heaps, float* thresholds,
                        const std::vector<TokenId>& shared, const std::vector<TokenId>* const* own) {
    __m256 acc0[NQ];
    __m256 acc1[NQ];
    for (int i = 0; i < NQ; ++i) {
        acc0[i] = _mm256_setzero_ps();
        acc1[i] = _mm256_setzero_ps();
    }
    for (Eigen::Index c = 0; c < dim; ++c) {
        const __m256 e0 = _mm256_loadu_ps(panel + c * kPanelRows);
        const __m256 e1 = _mm256_loadu_ps(panel + c * kPanelRows + 8);
        for (int i = 0; i < NQ; ++i) {
            const __m256 qv = _mm256_broadcast_ss(q[i] + c);
            acc0[i] = _mm256_fmadd_ps(qv, e0, acc0[i]);
            acc1[i] = _mm256_fmadd_ps(qv, e1, acc1[i]);
        }
    }
    // Finish the tile in registers (scale, bias, threshold test), then leave the register code:
    // keeping calls out of the loops above lets the compiler keep the accumulators in registers.
    const __m256 b0 = _mm256_loadu_ps(panel_bias);
    const __m256 b1 = _mm256_loadu_ps(panel_bias + 8);
    alignas(32) float values[NQ][kPanelRows];
    int masks[NQ];
    int any = 0;
    for (int i = 0; i < NQ; ++i) {
        const __m256 s = _mm256_set1_ps(scale[i]);
        const __m256 v0 = _mm256_fmadd_ps(acc0[i], s, b0);
        const __m256 v1 = _mm256_fmadd_ps(acc1[i], s, b1);
        _mm256_store_ps(values[i], v0);
        _mm256_store_ps(values[i] + 8, v1);
        const __m256 threshold = _mm256_set1_ps(thresholds[i]);
        masks[i] = _mm256_movemask_ps(_mm256_cmp_ps(v0, threshold, _CMP_GE_OQ)) |
                   (_mm256_movemask_ps(_mm256_cmp_ps(v1, threshold, _CMP_GE_OQ)) << 8);
        any |= masks[i];
    }
    if (any == 0) return;
    for (int i = 0; i < NQ; ++i) {
        for (int j = 0; j < static_cast<int>(kPanelRows); ++j) {
            if (((masks[i] >> j) & 1) == 0) continue;
            const TokenId id = first_id + j;
            if (contains_sorted(shared, id) || (own[i] != nullptr && contains_sorted(*own[i], id))) continue;
            heaps[i]->push(id, values[i][j]);  // re-checks against the (possibly raised) threshold
        }
        thresholds[i] = heaps[i]->threshold();
    }
}

/// Exact top-k of `num_queries` float queries (rows of `queries`, `query_stride` apart) over rows
/// [0, num_rows) of `rows` (`row_stride` apart): score(q, x) = scale[q] * q.x + bias[x] (bias may be
/// null for 0). Same result contract as blocked_topk (best first, ties by lower id).
[[nodiscard]] inline std::vector<std::vector<Neighbor<float>>> fused_topk(
    const float* queries, Eigen::Index query_stride, Eigen::Index num_queries, const float* scale, const float* rows,
    Eigen::Index row_stride, Eigen::Index num_rows, Eigen::Index dim, const float* bias, Eigen::Index k,
    const Exclusions& exclusions, unsigned threads) {
    std::vector<std::vector<Neighbor<float>>> results(static_cast<std::size_t>(std::max<Eigen::Index>(num_queries, 0)));
    if (num_queries <= 0) return results;
    const auto capacity = static_cast<std::size_t>(std::clamp<Eigen::Index>(k, 0, num_rows));
    threads = std::max(1u, threads);

    // Scans queries [q_begin, q_end) against rows [r_begin, r_end); heaps[q - q_begin].
    auto scan = [&](Eigen::Index q_begin, Eigen::Index q_end, Eigen::Index r_begin, Eigen::Index r_end,
                    std::vector<TopKHeap<float>>& heaps) {
        std::vector<float> panels(static_cast<std::size_t>(kPackedRows * std::max<Eigen::Index>(dim, 1)));
        std::vector<float> panel_bias(static_cast<std::size_t>(kPackedRows));
        for (Eigen::Index r0 = r_begin; r0 < r_end; r0 += kPackedRows) {
            const Eigen::Index rn = std::min(kPackedRows, r_end - r0);
            pack_panels(rows, row_stride, dim, r0, rn, bias, panels.data(), panel_bias.data());
            const Eigen::Index num_panels = (rn + kPanelRows - 1) / kPanelRows;
            for (Eigen::Index g = q_begin; g < q_end; g += kTileQueries) {
                const int n = static_cast<int>(std::min<Eigen::Index>(kTileQueries, q_end - g));
                const float* q[kTileQueries];
                TopKHeap<float>* h[kTileQueries];
                const std::vector<TokenId>* own[kTileQueries];
                for (int i = 0; i < n; ++i) {
                    q[i] = queries + (g + i) * query_stride;
                    h[i] = &heaps[static_cast<std::size_t>(g + i - q_begin)];
                    own[i] = exclusions.per_query.empty() ? nullptr
                                                          : &exclusions.per_query[static_cast<std::size_t>(g + i)];
                }
                const float* s = scale + g;
                float thresholds[kTileQueries];
                for (int i = 0; i < n; ++i) thresholds[i] = h[i]->threshold();
                for (Eigen::Index p = 0; p < num_panels; ++p) {
                    const float* panel = panels.data() + p * dim * kPanelRows;
                    const float* pb = panel_bias.data() + p * kPanelRows;
                    const auto first_id = static_cast<TokenId>(r0 + p * kPanelRows);
                    switch (n) {
                        case 6: tile_select<6>(q, s, panel, pb, dim, first_id, h, thresholds, exclusions.shared, own); break;
                        case 5: tile_select<5>(q, s, panel, pb, dim, first_id, h, thresholds, exclusions.shared, own); break;
                        case 4: tile_select<4>(q, s, panel, pb, dim, first_id, h, thresholds, exclusions.shared, own); break;
                        case 3: tile_select<3>(q, s, panel, pb, dim, first_id, h, thresholds, exclusions.shared, own); break;
                        case 2: tile_select<2>(q, s, panel, pb, dim, first_id, h, thresholds, exclusions.shared, own); break;
                        default: tile_select<1>(q, s, panel, pb, dim, first_id, h, thresholds, exclusions.shared, own); break;
                    }
                }
            }
        }
    };

    constexpr Eigen::Index min_queries_per_thread = 8;
    if (threads == 1 || num_queries >= static_cast<Eigen::Index>(threads) * min_queries_per_thread) {
        // Split the queries; each thread packs the rows for itself (a small cost next to the products).
        parallel_for(static_cast<std::size_t>(num_queries), threads, [&](std::size_t b, std::size_t e, unsigned) {
            const auto q_begin = static_cast<Eigen::Index>(b), q_end = static_cast<Eigen::Index>(e);
            std::vector<TopKHeap<float>> heaps(static_cast<std::size_t>(q_end - q_begin), TopKHeap<float>(capacity));
            scan(q_begin, q_end, 0, num_rows, heaps);
            for (Eigen::Index q = q_begin; q < q_end; ++q) {
                results[static_cast<std::size_t>(q)] = heaps[static_cast<std::size_t>(q - q_begin)].take_sorted();
            }
        });
        return results;
    }
    // Few queries: split the rows, merge the per-thread heaps.
    std::vector<std::vector<TopKHeap<float>>> partial(threads);
    run_threads(threads, [&](unsigned t) {
        auto& heaps = partial[t];
        heaps.assign(static_cast<std::size_t>(num_queries), TopKHeap<float>(capacity));
        const Eigen::Index r_begin = num_rows * t / threads, r_end = num_rows * (t + 1) / threads;
        if (r_begin < r_end) scan(0, num_queries, r_begin, r_end, heaps);
    });
    for (Eigen::Index q = 0; q < num_queries; ++q) {
        TopKHeap<float> merged(capacity);
        for (const auto& heaps : partial) {
            for (const auto& item : heaps[static_cast<std::size_t>(q)].items()) merged.push(item.id, item.score);
        }
        results[static_cast<std::size_t>(q)] = merged.take_sorted();
    }
    return results;
}

#else

inline constexpr bool kHaveFusedTopK = false;

/// Not available without AVX2 and FMA; callers test kHaveFusedTopK first.
[[nodiscard]] inline std::vector<std::vector<Neighbor<float>>> fused_topk(const float*, Eigen::Index, Eigen::Index,
                                                                         const float*, const float*, Eigen::Index,
                                                                         Eigen::Index, Eigen::Index, const float*,
                                                                         Eigen::Index, const Exclusions&, unsigned) {
    throw std::logic_error("embedkit::detail::fused_topk needs AVX2 and FMA");
}

#endif

}  // namespace embedkit::detail
