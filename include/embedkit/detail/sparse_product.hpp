#pragma once

// Sparse (row-major, compressed) times dense (row-major) products on several threads. Each output
// row is computed by one thread in a fixed order, so the result does not depend on the thread
// count; the rows are split between threads by their non-zeros, not by their number.

#include "embedkit/detail/parallel.hpp"
#include "embedkit/types.hpp"

#include <Eigen/SparseCore>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace embedkit::detail {

template <class S>
using SparseRowMatrix = Eigen::SparseMatrix<S, Eigen::RowMajor, std::int64_t>;

/// y = a * x for a compressed row-major sparse `a` (m x n), x (n x l), y (m x l, already sized).
template <class S, class T>
void sparse_times_dense(const SparseRowMatrix<S>& a, const RowMatrix<T>& x, RowMatrix<T>& y, unsigned threads) {
    const std::int64_t* outer = a.outerIndexPtr();
    const std::int64_t* inner = a.innerIndexPtr();
    const S* values = a.valuePtr();
    const auto rows = static_cast<std::size_t>(a.rows());
    const std::int64_t nnz = outer[rows];
    threads = static_cast<unsigned>(std::min<std::size_t>(std::max(1u, threads), std::max<std::size_t>(1, rows)));
    run_threads(threads, [&](unsigned t) {
        // Rows [begin, end): the rows whose non-zeros start in this thread's share of all of them.
        auto boundary = [&](unsigned part) -> std::size_t {
            if (part == 0) return 0;
            if (part >= threads) return rows;
            const std::int64_t target = nnz / threads * part + nnz % threads * part / threads;
            return static_cast<std::size_t>(std::lower_bound(outer, outer + rows, target) - outer);
        };
        const std::size_t begin = boundary(t);
        const std::size_t end = boundary(t + 1);
        for (std::size_t i = begin; i < end; ++i) {
            const auto r = static_cast<Eigen::Index>(i);
            y.row(r).setZero();
            for (std::int64_t p = outer[i]; p < outer[i + 1]; ++p) {
                y.row(r) += static_cast<T>(values[p]) * x.row(static_cast<Eigen::Index>(inner[p]));
            }
        }
    });
}

}  // namespace embedkit::detail
