#pragma once

// GloVe's update rule: one stored cell of the co-occurrence matrix steps the rows of (word i,
// context j) and, off the diagonal, of (word j, context i). A directed cell's cost is
// f(X) (w.c + b + b~ - log X)^2 / 2; both rows take an AdaGrad step as glove.c's. Each word has
// one row per side holding its vector, its bias and their accumulators (see GloveLayers).

#include "embedkit/detail/hogwild.hpp"
#include "embedkit/detail/prefetch.hpp"
#include "embedkit/types.hpp"

#include <cstdint>
#include <vector>

namespace embedkit::updates {

/// The half cost of one directed cell and its gradient: with rows w = (word vector, word bias)
/// and c = (context vector, context bias) of dim + 1 values and diff = w.c + b + b~ - log X, the
/// cost is weight * diff^2 / 2; grad_w = weight diff (c, 1) and grad_c = weight diff (w, 1).
/// Returns the cost.
template <class S>
inline S glove_cell_gradient(const S* w, const S* c, int dim, S log_x, S weight, S* grad_w, S* grad_c) noexcept {
    const S diff = detail::ConstRowMap<S>(w, dim).dot(detail::ConstRowMap<S>(c, dim)) + w[dim] + c[dim] - log_x;
    const S fdiff = weight * diff;
    detail::RowMap<S>(grad_w, dim) = fdiff * detail::ConstRowMap<S>(c, dim);
    detail::RowMap<S>(grad_c, dim) = fdiff * detail::ConstRowMap<S>(w, dim);
    grad_w[dim] = fdiff;
    grad_c[dim] = fdiff;
    return S(0.5) * fdiff * diff;
}

/// One stored cell as the trainer reads it: both words, log X and f(X).
struct GloveCell {
    std::uint32_t row;
    std::uint32_t col;
    float log_x;
    float weight;
};

/// The shared rows: row i of `word` is (vector, bias) in columns [0, dim], their accumulators in
/// [accumulators, accumulators + dim]; `context` likewise.
template <class S>
struct GloveLayers {
    RowMatrix<S>* word = nullptr;
    RowMatrix<S>* context = nullptr;
    int dim = 0;
    int accumulators = 0;
};

/// A worker's scratch (copies of two rows, then their gradients) and its cost sums.
template <class S>
struct GloveWorkspace {
    explicit GloveWorkspace(int dim) : scratch(4 * static_cast<std::size_t>(dim + 1)) {}
    std::vector<S> scratch;
    double cost = 0;            ///< sum of the directed cells' costs
    std::uint64_t updates = 0;  ///< directed cells trained
};

/// One directed cell (word i, context j): adds its cost and steps both rows. The vectors step by
/// lr * gradient, the biases by the gradient alone (as glove.c).
template <class S>
void glove_directed_cell(const GloveLayers<S>& l, GloveWorkspace<S>& ws, std::uint32_t i, std::uint32_t j,
                         const GloveCell& cell, S lr) {
    const int n = l.dim + 1;
    S* word = l.word->row(i).data();
    S* context = l.context->row(j).data();
    S* w = ws.scratch.data();
    S* c = w + 2 * n;
    detail::hogwild_copy<S>(word, w, n);
    detail::hogwild_copy<S>(context, c, n);
    ws.cost += glove_cell_gradient<S>(w, c, l.dim, static_cast<S>(cell.log_x), static_cast<S>(cell.weight), w + n, c + n);
    ++ws.updates;
    detail::RowMap<S>(w + n, l.dim) *= lr;
    detail::RowMap<S>(c + n, l.dim) *= lr;
    detail::hogwild_adagrad_step<S>(w + n, word, word + l.accumulators, n);
    detail::hogwild_adagrad_step<S>(c + n, context, context + l.accumulators, n);
}

/// One stored cell: (row, col), then (col, row) off the diagonal.
template <class S>
void glove_cell(const GloveLayers<S>& l, GloveWorkspace<S>& ws, const GloveCell& cell, S lr) {
    glove_directed_cell(l, ws, cell.row, cell.col, cell, lr);
    if (cell.row != cell.col) glove_directed_cell(l, ws, cell.col, cell.row, cell, lr);
}

/// Prefetches the rows glove_cell(cell) will touch.
template <class S>
void prefetch_glove_cell(const GloveLayers<S>& l, const GloveCell& cell) noexcept {
    const auto stride = static_cast<int>(l.word->cols());
    detail::prefetch_row(l.word->row(cell.row).data(), stride);
    detail::prefetch_row(l.context->row(cell.col).data(), stride);
    if (cell.row != cell.col) {
        detail::prefetch_row(l.word->row(cell.col).data(), stride);
        detail::prefetch_row(l.context->row(cell.row).data(), stride);
    }
}

}  // namespace embedkit::updates
