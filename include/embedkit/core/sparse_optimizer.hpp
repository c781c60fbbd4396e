#pragma once

#include "embedkit/core/embedding.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace embedkit {

// ---------------------------------------------------------------------------------------------
// Single-row primitives. These are what trainers call in their hot loops (also from several
// threads at once, Hogwild style): no checks, no allocation. Preconditions: all rows have the
// same length and do not alias each other. Arguments may be rows of a matrix, Maps or Refs;
// writable arguments may be temporaries such as `m.row(i)` (the usual Eigen const_cast idiom).
// ---------------------------------------------------------------------------------------------

/// Plain SGD on one row: w -= lr * g.
template <class DerivedW, class DerivedG>
inline void sgd_row_update(const Eigen::MatrixBase<DerivedW>& w, const Eigen::MatrixBase<DerivedG>& g,
                           typename DerivedW::Scalar lr) noexcept {
    auto& w_mut = const_cast<Eigen::MatrixBase<DerivedW>&>(w);
    w_mut -= lr * g;
}

/// AdaGrad on one row, element-wise: G += g^2; w -= lr * g / (sqrt(G) + eps).
template <class DerivedW, class DerivedG, class DerivedA>
inline void adagrad_row_update(const Eigen::MatrixBase<DerivedW>& w, const Eigen::MatrixBase<DerivedG>& g,
                               const Eigen::MatrixBase<DerivedA>& accumulator, typename DerivedW::Scalar lr,
                               typename DerivedW::Scalar eps) noexcept {
    auto& w_mut = const_cast<Eigen::MatrixBase<DerivedW>&>(w);
    auto& a_mut = const_cast<Eigen::MatrixBase<DerivedA>&>(accumulator);
    a_mut.array() += g.array().square();
    w_mut.array() -= lr * g.array() / (a_mut.array().sqrt() + eps);
}

namespace detail {

/// Throws invalid_argument unless ids.size() == grads.rows(), grads.cols() == table.dim() and
/// every id is a row of `table`.
template <class Scalar>
void check_sparse_batch(const Embedding<Scalar>& table, const std::vector<TokenId>& ids,
                        const Eigen::Ref<const RowMatrix<Scalar>>& grads, const char* where) {
    if (static_cast<Eigen::Index>(ids.size()) != grads.rows()) {
        throw invalid_argument(std::string(where) + ": " + std::to_string(ids.size()) + " ids but " +
                               std::to_string(grads.rows()) + " gradient rows");
    }
    if (grads.cols() != table.dim()) {
        throw invalid_argument(std::string(where) + ": gradient has " + std::to_string(grads.cols()) +
                               " columns but the embedding dim is " + std::to_string(table.dim()));
    }
    for (const TokenId id : ids) table.check_id(id, where);
}

inline void check_learning_rate(double lr, const char* where) {
    if (!(lr >= 0.0) || !std::isfinite(lr)) {
        throw invalid_argument(std::string(where) + ": lr must be finite and >= 0, got " + std::to_string(lr));
    }
}

}  // namespace detail

/// Sparse plain SGD: for each (id, gradient row) pair, w[id] -= lr * g. A repeated id receives
/// each of its gradient rows in turn, which equals one step with their sum (up to rounding).
/// The padding row is never changed. Stateless apart from the learning rate.
template <class Scalar = float>
class SparseSgd {
    static_assert(std::is_floating_point_v<Scalar>, "SparseSgd needs a floating-point scalar");

public:
    /// Throws invalid_argument naming `lr` unless it is finite and >= 0.
    explicit SparseSgd(Scalar lr) { set_lr(lr); }

    [[nodiscard]] Scalar lr() const noexcept { return lr_; }
    /// For learning-rate schedules. Throws invalid_argument unless finite and >= 0.
    void set_lr(Scalar lr) {
        detail::check_learning_rate(static_cast<double>(lr), "SparseSgd");
        lr_ = lr;
    }

    /// Applies one batch: row k of `grads` is the gradient for row ids[k]. Every shape and id is
    /// checked before anything changes (invalid_argument), so a bad batch leaves `table` as it was.
    void apply(Embedding<Scalar>& table, const std::vector<TokenId>& ids,
               const Eigen::Ref<const RowMatrix<Scalar>>& grads) const {
        detail::check_sparse_batch(table, ids, grads, "SparseSgd::apply");
        RowMatrix<Scalar>& w = table.weights();
        for (std::size_t k = 0; k < ids.size(); ++k) {
            if (table.is_padding(ids[k])) continue;
            sgd_row_update(w.row(ids[k]), grads.row(static_cast<Eigen::Index>(k)), lr_);
        }
    }

private:
    Scalar lr_ = 0;
};

/// Sparse AdaGrad with one accumulator per weight (a rows x dim matrix, like the table).
///
/// A repeated id within one batch: its gradient rows are summed first (in batch order) and the
/// sum is applied in one AdaGrad step, i.e. G += (sum g)^2, w -= lr * (sum g) / (sqrt(G) + eps).
/// This is the gradient of the batch loss, and the result does not depend on the order of the
/// batch. (Applying the rows one after another would instead add each square to G separately.)
///
/// The padding row and its accumulators never change. apply() uses internal scratch buffers, so
/// one SparseAdagrad must not be used from several threads at once; Hogwild trainers call
/// adagrad_row_update() on rows of weights() and accumulators() directly.
template <class Scalar = float>
class SparseAdagrad {
    static_assert(std::is_floating_point_v<Scalar>, "SparseAdagrad needs a floating-point scalar");

public:
    /// Accumulators for a rows x dim table, all set to `initial_accumulator`.
    /// Throws invalid_argument naming the argument: rows < 0, dim <= 0, lr / eps /
    /// initial_accumulator negative or not finite, or eps == initial_accumulator == 0 (which
    /// would divide 0 by 0 for a zero gradient).
    SparseAdagrad(Eigen::Index rows, Eigen::Index dim, Scalar lr, Scalar eps = Scalar(1e-8),
                  Scalar initial_accumulator = 0)
        : eps_(eps) {
        if (rows < 0) throw invalid_argument("SparseAdagrad: rows must be >= 0, got " + std::to_string(rows));
        if (dim <= 0) throw invalid_argument("SparseAdagrad: dim must be > 0, got " + std::to_string(dim));
        set_lr(lr);
        if (!(eps >= 0) || !std::isfinite(eps)) {
            throw invalid_argument("SparseAdagrad: eps must be finite and >= 0, got " + std::to_string(eps));
        }
        if (!(initial_accumulator >= 0) || !std::isfinite(initial_accumulator)) {
            throw invalid_argument("SparseAdagrad: initial_accumulator must be finite and >= 0, got " +
                                   std::to_string(initial_accumulator));
        }
        if (eps == 0 && initial_accumulator == 0) {
            throw invalid_argument("SparseAdagrad: eps and initial_accumulator cannot both be 0");
        }
        accumulators_.setConstant(rows, dim, initial_accumulator);
    }

    [[nodiscard]] Scalar lr() const noexcept { return lr_; }
    [[nodiscard]] Scalar eps() const noexcept { return eps_; }
    /// For learning-rate schedules. Throws invalid_argument unless finite and >= 0.
    void set_lr(Scalar lr) {
        detail::check_learning_rate(static_cast<double>(lr), "SparseAdagrad");
        lr_ = lr;
    }

    /// The per-weight sums of squared gradients (rows x dim).
    [[nodiscard]] const RowMatrix<Scalar>& accumulators() const noexcept { return accumulators_; }
    /// Mutable, to restore a checkpoint or for Hogwild trainers. Do not resize.
    [[nodiscard]] RowMatrix<Scalar>& accumulators() noexcept { return accumulators_; }

    /// Applies one batch: row k of `grads` is the gradient for row ids[k]. Throws invalid_argument
    /// (before changing anything) if the table's shape differs from the accumulators', if
    /// ids.size() != grads.rows(), grads.cols() != dim, or an id is out of range.
    void apply(Embedding<Scalar>& table, const std::vector<TokenId>& ids,
               const Eigen::Ref<const RowMatrix<Scalar>>& grads) {
        if (table.rows() != accumulators_.rows() || table.dim() != accumulators_.cols()) {
            throw invalid_argument("SparseAdagrad::apply: table is " + std::to_string(table.rows()) + " x " +
                                   std::to_string(table.dim()) + " but the accumulators are " +
                                   std::to_string(accumulators_.rows()) + " x " + std::to_string(accumulators_.cols()));
        }
        detail::check_sparse_batch(table, ids, grads, "SparseAdagrad::apply");

        // Batch positions ordered by id (stable: equal ids keep batch order), so repeated ids
        // are adjacent and summed in a deterministic order.
        order_.resize(ids.size());
        for (std::size_t k = 0; k < ids.size(); ++k) order_[k] = k;
        std::stable_sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) { return ids[a] < ids[b]; });

        RowMatrix<Scalar>& w = table.weights();
        std::size_t k = 0;
        while (k < order_.size()) {
            const TokenId id = ids[order_[k]];
            std::size_t end = k + 1;
            while (end < order_.size() && ids[order_[end]] == id) ++end;
            if (!table.is_padding(id)) {
                const auto first = static_cast<Eigen::Index>(order_[k]);
                if (end == k + 1) {
                    adagrad_row_update(w.row(id), grads.row(first), accumulators_.row(id), lr_, eps_);
                } else {
                    sum_.noalias() = grads.row(first);
                    for (std::size_t r = k + 1; r < end; ++r) sum_ += grads.row(static_cast<Eigen::Index>(order_[r]));
                    adagrad_row_update(w.row(id), sum_, accumulators_.row(id), lr_, eps_);
                }
            }
            k = end;
        }
    }

private:
    RowMatrix<Scalar> accumulators_;
    Scalar lr_ = 0;
    Scalar eps_ = 0;
    std::vector<std::size_t> order_;
    RowVector<Scalar> sum_;
};

}  // namespace embedkit
