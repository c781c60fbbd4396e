#pragma once

#include "embedkit/detail/parallel.hpp"
#include "embedkit/detail/rng.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace embedkit {

/// How an Embedding's rows are initialised.
enum class Init {
    uniform_word2vec,  ///< uniform in [-0.5/dim, 0.5/dim), as word2vec.c initialises its input vectors
    normal,            ///< normal(0, sigma)
    zeros,             ///< all zero (word2vec's output vectors)
};

/// Options of `Embedding(rows, dim, options)`.
struct EmbeddingOptions {
    Init init = Init::uniform_word2vec;
    /// Standard deviation for Init::normal; finite and >= 0.
    double sigma = 0.1;
    /// Row i is drawn from its own generator seeded with detail::stream_seed(seed, i).
    std::uint64_t seed = 1;
    /// A row that is zero and stays zero (initialisers and sparse optimizers skip it).
    std::optional<TokenId> padding_row;
    /// Threads used to initialise; 0 = all cores. Never changes the values.
    unsigned threads = 1;
};

/// Throws invalid_options naming the field when `options` is invalid on its own
/// (the padding row's range is checked by the Embedding constructor, which knows the row count).
inline void validate(const EmbeddingOptions& options) {
    if (!(options.sigma >= 0.0) || !std::isfinite(options.sigma)) {
        throw invalid_options("EmbeddingOptions.sigma must be finite and >= 0, got " + std::to_string(options.sigma));
    }
    if (options.padding_row && *options.padding_row < 0) {
        throw invalid_options("EmbeddingOptions.padding_row must be >= 0, got " + std::to_string(*options.padding_row));
    }
    if (options.init != Init::uniform_word2vec && options.init != Init::normal && options.init != Init::zeros) {
        throw invalid_options("EmbeddingOptions.init has an unknown value " +
                              std::to_string(static_cast<int>(options.init)));
    }
}

/// A table of `rows()` vectors of `dim()` scalars: row-major, so one vector is one contiguous row.
/// Rows are addressed by TokenId. An optional padding row is all zero and stays zero.
template <class Scalar = float>
class Embedding {
    static_assert(std::is_floating_point_v<Scalar>, "Embedding needs a floating-point scalar");

public:
    using scalar_type = Scalar;
    using ConstRow = typename RowMatrix<Scalar>::ConstRowXpr;

    /// A rows x dim table initialised as `options` says. Row i's values come from a generator
    /// seeded with detail::stream_seed(options.seed, i), so they never depend on options.threads.
    /// Throws invalid_argument for rows < 0 or dim <= 0, invalid_options for bad options or a
    /// padding row outside [0, rows).
    Embedding(Eigen::Index rows, Eigen::Index dim, const EmbeddingOptions& options = {}) {
        check_shape(rows, dim, "Embedding");
        validate(options);
        if (options.padding_row && *options.padding_row >= rows) {
            throw invalid_options("EmbeddingOptions.padding_row " + std::to_string(*options.padding_row) +
                                  " is out of range for " + std::to_string(rows) + " rows");
        }
        padding_row_ = options.padding_row;
        weights_.resize(rows, dim);
        if (options.init == Init::zeros) {
            weights_.setZero();
            return;
        }
        const unsigned threads = detail::resolve_threads(options.threads);
        detail::parallel_for(static_cast<std::size_t>(rows), threads,
                             [&](std::size_t begin, std::size_t end, unsigned) {
                                 for (std::size_t i = begin; i < end; ++i) init_row(static_cast<Eigen::Index>(i), options);
                             });
        zero_padding_row();
    }

    /// Takes `weights` as the table. The padding row, if any, is set to zero.
    /// Throws invalid_argument if the matrix has no columns, more rows than TokenId can address,
    /// contains NaN or Inf, or the padding row is outside [0, rows).
    [[nodiscard]] static Embedding from_matrix(RowMatrix<Scalar> weights, std::optional<TokenId> padding_row = {}) {
        check_shape(weights.rows(), weights.cols(), "Embedding::from_matrix");
        if (padding_row && (*padding_row < 0 || *padding_row >= weights.rows())) {
            throw invalid_argument("Embedding::from_matrix: padding_row " + std::to_string(*padding_row) +
                                   " is out of range for " + std::to_string(weights.rows()) + " rows");
        }
        if (!weights.allFinite()) throw invalid_argument("Embedding::from_matrix: weights contain NaN or Inf");
        return Embedding(std::move(weights), padding_row);
    }

    [[nodiscard]] Eigen::Index rows() const noexcept { return weights_.rows(); }
    [[nodiscard]] Eigen::Index dim() const noexcept { return weights_.cols(); }
    [[nodiscard]] const std::optional<TokenId>& padding_row() const noexcept { return padding_row_; }
    [[nodiscard]] bool is_padding(TokenId id) const noexcept { return padding_row_ && *padding_row_ == id; }

    /// The whole table.
    [[nodiscard]] const RowMatrix<Scalar>& weights() const noexcept { return weights_; }
    /// Mutable access for trainers. Do not resize; if you write to the padding row, call
    /// zero_padding_row() afterwards.
    [[nodiscard]] RowMatrix<Scalar>& weights() noexcept { return weights_; }

    /// Row `id`; throws invalid_argument naming the id when it is outside [0, rows()).
    [[nodiscard]] ConstRow row(TokenId id) const {
        check_id(id, "Embedding::row");
        return weights_.row(id);
    }

    /// Rows `ids` stacked into an ids.size() x dim() matrix (padding ids give zero rows).
    /// Throws invalid_argument naming the first id outside [0, rows()).
    [[nodiscard]] RowMatrix<Scalar> gather(const std::vector<TokenId>& ids) const {
        RowMatrix<Scalar> out;
        gather(ids, out);
        return out;
    }

    /// As gather(ids), into `out` (resized only when its shape differs, so a reused buffer does
    /// not allocate). On error `out` is left unchanged.
    void gather(const std::vector<TokenId>& ids, RowMatrix<Scalar>& out) const {
        for (const TokenId id : ids) check_id(id, "Embedding::gather");
        out.resize(static_cast<Eigen::Index>(ids.size()), dim());
        for (std::size_t k = 0; k < ids.size(); ++k) out.row(static_cast<Eigen::Index>(k)) = weights_.row(ids[k]);
    }

    /// Sets the padding row (if any) back to zero.
    void zero_padding_row() noexcept {
        if (padding_row_) weights_.row(*padding_row_).setZero();
    }

    /// Throws invalid_argument naming `id` (and `where`) if it is not a row of this table.
    void check_id(TokenId id, const char* where) const {
        if (id < 0 || static_cast<Eigen::Index>(id) >= weights_.rows()) {
            throw invalid_argument(std::string(where) + ": id " + std::to_string(id) + " is out of range [0, " +
                                   std::to_string(weights_.rows()) + ")");
        }
    }

private:
    Embedding(RowMatrix<Scalar>&& weights, std::optional<TokenId> padding_row)
        : weights_(std::move(weights)), padding_row_(padding_row) {
        zero_padding_row();
    }

    static void check_shape(Eigen::Index rows, Eigen::Index dim, const char* where) {
        if (rows < 0) throw invalid_argument(std::string(where) + ": rows must be >= 0, got " + std::to_string(rows));
        if (rows > static_cast<Eigen::Index>(std::numeric_limits<TokenId>::max()) + 1) {
            throw invalid_argument(std::string(where) + ": rows " + std::to_string(rows) +
                                   " exceeds what a TokenId can address");
        }
        if (dim <= 0) throw invalid_argument(std::string(where) + ": dim must be > 0, got " + std::to_string(dim));
    }

    void init_row(Eigen::Index i, const EmbeddingOptions& options) {
        detail::Rng rng(detail::stream_seed(options.seed, static_cast<std::uint64_t>(i)));
        Scalar* row = weights_.row(i).data();
        const Eigen::Index d = weights_.cols();
        if (options.init == Init::uniform_word2vec) {
            const auto dim = static_cast<double>(d);
            for (Eigen::Index j = 0; j < d; ++j) row[j] = static_cast<Scalar>((rng.uniform<double>() - 0.5) / dim);
        } else {
            for (Eigen::Index j = 0; j < d; ++j) row[j] = static_cast<Scalar>(options.sigma * rng.normal<double>());
        }
    }

    RowMatrix<Scalar> weights_;
    std::optional<TokenId> padding_row_;
};

}  // namespace embedkit
