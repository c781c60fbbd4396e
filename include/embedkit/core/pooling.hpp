#pragma once

#include "embedkit/core/embedding.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

namespace embedkit {

/// A batch x seq_len mask: true marks a real token, false a padding position.
using TokenMask = Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace detail {

/// out.row(b) = mean of the rows of `tokens` selected by keep(t) for t in [0, seq_len), with
/// sequence b occupying rows [b * seq_len, (b + 1) * seq_len). No selected row gives a zero
/// vector. Unselected rows are never read, so NaN or garbage in padding positions cannot leak.
template <class Derived, class Keep>
void mean_pool_rows(const Eigen::MatrixBase<Derived>& tokens, Eigen::Index batch, Eigen::Index seq_len, Keep&& keep,
                    RowMatrix<typename Derived::Scalar>& out) {
    using Scalar = typename Derived::Scalar;
    out.setZero(batch, tokens.cols());
    for (Eigen::Index b = 0; b < batch; ++b) {
        Eigen::Index count = 0;
        for (Eigen::Index t = 0; t < seq_len; ++t) {
            if (!keep(b, t)) continue;
            out.row(b) += tokens.row(b * seq_len + t);
            ++count;
        }
        if (count > 0) out.row(b) /= static_cast<Scalar>(count);
    }
}

}  // namespace detail

/// Masked mean pooling. `tokens` holds batch * seq_len rows of dim values, sequence b in rows
/// [b * seq_len, (b + 1) * seq_len); `mask` is batch x seq_len (seq_len = mask.cols()), true for
/// tokens to average. Returns batch x dim: row b is the mean of sequence b's unmasked rows, or a
/// zero vector if every position of b is masked (never NaN; masked rows are not read at all).
/// Throws invalid_argument if tokens.rows() != mask.rows() * mask.cols().
template <class Derived, class MaskDerived>
[[nodiscard]] RowMatrix<typename Derived::Scalar> masked_mean_pool(const Eigen::MatrixBase<Derived>& tokens,
                                                                   const Eigen::DenseBase<MaskDerived>& mask) {
    static_assert(std::is_floating_point_v<typename Derived::Scalar>, "pooling needs floating-point tokens");
    static_assert(std::is_same_v<typename MaskDerived::Scalar, bool>, "the mask must hold bool");
    const Eigen::Index batch = mask.rows();
    const Eigen::Index seq_len = mask.cols();
    if (tokens.rows() != batch * seq_len) {
        throw invalid_argument("masked_mean_pool: tokens has " + std::to_string(tokens.rows()) +
                               " rows but the mask is " + std::to_string(batch) + " x " + std::to_string(seq_len));
    }
    RowMatrix<typename Derived::Scalar> out;
    detail::mean_pool_rows(tokens, batch, seq_len, [&](Eigen::Index b, Eigen::Index t) { return bool(mask(b, t)); },
                           out);
    return out;
}

/// Mean pooling by lengths: as masked_mean_pool, with sequence b made of its first lengths[b]
/// of seq_len positions (batch = lengths.size()). Length 0 gives a zero vector.
/// Throws invalid_argument if seq_len < 0, a length is outside [0, seq_len], or
/// tokens.rows() != lengths.size() * seq_len.
template <class Derived>
[[nodiscard]] RowMatrix<typename Derived::Scalar> mean_pool_by_lengths(const Eigen::MatrixBase<Derived>& tokens,
                                                                       Eigen::Index seq_len,
                                                                       const std::vector<Eigen::Index>& lengths) {
    static_assert(std::is_floating_point_v<typename Derived::Scalar>, "pooling needs floating-point tokens");
    if (seq_len < 0) throw invalid_argument("mean_pool_by_lengths: seq_len must be >= 0, got " + std::to_string(seq_len));
    const auto batch = static_cast<Eigen::Index>(lengths.size());
    if (tokens.rows() != batch * seq_len) {
        throw invalid_argument("mean_pool_by_lengths: tokens has " + std::to_string(tokens.rows()) + " rows but " +
                               std::to_string(batch) + " sequences of length " + std::to_string(seq_len) + " need " +
                               std::to_string(batch * seq_len));
    }
    for (std::size_t b = 0; b < lengths.size(); ++b) {
        if (lengths[b] < 0 || lengths[b] > seq_len) {
            throw invalid_argument("mean_pool_by_lengths: lengths[" + std::to_string(b) + "] = " +
                                   std::to_string(lengths[b]) + " is outside [0, " + std::to_string(seq_len) + "]");
        }
    }
    RowMatrix<typename Derived::Scalar> out;
    detail::mean_pool_rows(
        tokens, batch, seq_len,
        [&](Eigen::Index b, Eigen::Index t) { return t < lengths[static_cast<std::size_t>(b)]; }, out);
    return out;
}

/// Mean of the embedding rows of each id sequence (sequences may differ in length): returns
/// sequences.size() x table.dim(). Ids equal to the table's padding row are skipped (not
/// counted); a sequence with no other ids gives a zero vector.
/// Throws invalid_argument naming the sequence and the id when an id is out of range.
template <class Scalar>
[[nodiscard]] RowMatrix<Scalar> mean_pool_sequences(const Embedding<Scalar>& table,
                                                    const std::vector<std::vector<TokenId>>& sequences) {
    for (std::size_t s = 0; s < sequences.size(); ++s) {
        for (const TokenId id : sequences[s]) {
            if (id < 0 || static_cast<Eigen::Index>(id) >= table.rows()) {
                throw invalid_argument("mean_pool_sequences: sequence " + std::to_string(s) + " has id " +
                                       std::to_string(id) + ", out of range [0, " + std::to_string(table.rows()) + ")");
            }
        }
    }
    const RowMatrix<Scalar>& w = table.weights();
    RowMatrix<Scalar> out = RowMatrix<Scalar>::Zero(static_cast<Eigen::Index>(sequences.size()), table.dim());
    for (std::size_t s = 0; s < sequences.size(); ++s) {
        const auto b = static_cast<Eigen::Index>(s);
        Eigen::Index count = 0;
        for (const TokenId id : sequences[s]) {
            if (table.is_padding(id)) continue;
            out.row(b) += w.row(id);
            ++count;
        }
        if (count > 0) out.row(b) /= static_cast<Scalar>(count);
    }
    return out;
}

}  // namespace embedkit
