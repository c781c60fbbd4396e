#pragma once

// Count-based word vectors (Levy, Goldberg and Dagan 2015): the positive pointwise mutual
// information of the co-occurrence counts, with the context distribution smoothed (counts^0.75),
// factorised by a truncated SVD computed by randomized subspace iteration on the sparse matrix;
// the vectors are U * Sigma^p.

#include "embedkit/core/word_vectors.hpp"
#include "embedkit/detail/randomized_svd.hpp"
#include "embedkit/detail/sparse_product.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/models/cooccurrence.hpp"
#include "embedkit/text/corpus.hpp"
#include "embedkit/text/vocab.hpp"
#include "embedkit/train/executor.hpp"
#include "embedkit/train/training_progress.hpp"
#include "embedkit/train/training_run.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Dense>
#include <Eigen/SparseCore>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace embedkit {

namespace detail {
[[nodiscard]] inline CooccurrenceOptions ppmi_cooccurrence_defaults() {
    CooccurrenceOptions o;
    o.window = 5;
    return o;
}
}  // namespace detail

/// Options of `train_ppmi_svd`.
struct PpmiSvdOptions {
    int dim = 100;
    /// Context distribution smoothing: P(c) is taken proportional to count(c)^context_smoothing
    /// (1 = plain PMI; 0.75 as Levy et al.).
    double context_smoothing = 0.75;
    /// The vectors are U * Sigma^eigenvalue_power (1: U Sigma; 0: U; 0.5 as Levy et al.).
    double eigenvalue_power = 0.5;
    int oversampling = 10;     ///< randomized SVD: extra test vectors
    int power_iterations = 3;  ///< randomized SVD: subspace iterations
    unsigned threads = 0;      ///< 0: all cores
    std::uint64_t seed = 1;
    /// How train_ppmi_svd(vocab, corpus, ...) counts (window 5 here, 1/d weighting, memory cap ...).
    CooccurrenceOptions cooccurrence = detail::ppmi_cooccurrence_defaults();
    ProgressCallback progress;       ///< optional: one report per sparse product; may cancel
    double progress_interval = 1.0;  ///< seconds between progress reports
};

/// Throws invalid_options naming the first bad field.
inline void validate(const PpmiSvdOptions& o) {
    auto fail = [](const std::string& field, const std::string& why) {
        throw invalid_options("PpmiSvdOptions." + field + " " + why);
    };
    if (o.dim <= 0) fail("dim", "must be positive (got " + std::to_string(o.dim) + ")");
    if (!(o.context_smoothing > 0 && o.context_smoothing <= 1)) {
        fail("context_smoothing", "must be in (0, 1] (got " + std::to_string(o.context_smoothing) + ")");
    }
    if (!std::isfinite(o.eigenvalue_power)) fail("eigenvalue_power", "must be finite");
    if (o.oversampling < 0) fail("oversampling", "must be >= 0 (got " + std::to_string(o.oversampling) + ")");
    if (o.power_iterations < 0) fail("power_iterations", "must be >= 0 (got " + std::to_string(o.power_iterations) + ")");
    if (!(o.progress_interval >= 0)) fail("progress_interval", "must be >= 0");
    validate(o.cooccurrence);
}

namespace detail {

/// The PPMI matrix (see ppmi_matrix) or, with `transposed`, its transpose, built straight in
/// compressed row-major form from the stored upper triangle of X.
template <class Scalar>
[[nodiscard]] SparseRowMatrix<Scalar> ppmi_rows(const CooccurrenceMatrix& x, double context_smoothing, bool transposed) {
    if (!(context_smoothing > 0 && context_smoothing <= 1)) {
        throw invalid_argument("ppmi_matrix: context_smoothing must be in (0, 1] (got " +
                               std::to_string(context_smoothing) + ")");
    }
    const std::size_t rows = x.rows();
    const std::vector<double> sums = x.row_sums();
    std::vector<double> log_word(rows, 0.0);
    std::vector<double> log_context(rows, 0.0);
    double z = 0;
    for (std::size_t i = 0; i < rows; ++i) {
        if (sums[i] <= 0) continue;
        log_word[i] = std::log(sums[i]);
        log_context[i] = context_smoothing * log_word[i];
        z += std::exp(log_context[i]);
    }
    const double log_z = std::log(z);
    // PMI of the cell at (row r, column c) of the matrix being built.
    auto pmi = [&](std::size_t r, std::size_t c, double log_x) {
        return transposed ? log_x + log_z - log_word[c] - log_context[r] : log_x + log_z - log_word[r] - log_context[c];
    };
    // Cells of the full matrix in row order: row r receives the mirrors of the stored (k, r),
    // k < r, before its own stored (r, c), c >= r, so its columns come out ascending.
    std::vector<std::int64_t> outer(rows + 1, 0);
    for (const auto& e : x.entries()) {
        const double log_x = std::log(static_cast<double>(e.value));
        const auto r = static_cast<std::size_t>(e.row);
        const auto c = static_cast<std::size_t>(e.col);
        if (pmi(r, c, log_x) > 0) ++outer[r + 1];
        if (r != c && pmi(c, r, log_x) > 0) ++outer[c + 1];
    }
    for (std::size_t i = 0; i < rows; ++i) outer[i + 1] += outer[i];
    SparseRowMatrix<Scalar> m(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(rows));
    m.resizeNonZeros(static_cast<Eigen::Index>(outer[rows]));
    std::copy(outer.begin(), outer.end(), m.outerIndexPtr());
    std::vector<std::int64_t> next(outer.begin(), outer.end() - 1);
    std::int64_t* inner = m.innerIndexPtr();
    Scalar* values = m.valuePtr();
    auto put = [&](std::size_t r, std::size_t c, double value) {
        inner[next[r]] = static_cast<std::int64_t>(c);
        values[next[r]++] = static_cast<Scalar>(value);
    };
    for (const auto& e : x.entries()) {
        const double log_x = std::log(static_cast<double>(e.value));
        const auto r = static_cast<std::size_t>(e.row);
        const auto c = static_cast<std::size_t>(e.col);
        const double forward = pmi(r, c, log_x);
        if (forward > 0) put(r, c, forward);
        const double backward = pmi(c, r, log_x);
        if (r != c && backward > 0) put(c, r, backward);
    }
    return m;
}

}  // namespace detail

/// The positive PMI matrix of a co-occurrence matrix X, row = word w, column = context c:
/// PPMI(w, c) = max(0, log(X_wc * Z / (n_w * n_c^a))), where n are the row sums of X (= its
/// column sums), a = context_smoothing and Z = sum_c n_c^a (Levy, Goldberg and Dagan 2015).
/// Only the positive cells are stored. Not symmetric when a < 1. invalid_argument unless
/// 0 < a <= 1.
template <class Scalar = float>
[[nodiscard]] Eigen::SparseMatrix<Scalar, Eigen::RowMajor, std::int64_t> ppmi_matrix(const CooccurrenceMatrix& x,
                                                                                   double context_smoothing = 0.75) {
    static_assert(std::is_floating_point_v<Scalar>, "ppmi_matrix needs a floating-point scalar");
    return detail::ppmi_rows<Scalar>(x, context_smoothing, false);
}

/// A PPMI-SVD model: the word vectors U_k Sigma_k^p and the singular values.
template <class Scalar = float>
struct PpmiSvdModel {
    Vocab vocab;
    RowMatrix<Scalar> embedding;   ///< vocab.size() x dim
    Eigen::VectorXd singular_values;  ///< the dim largest, descending
    PpmiSvdOptions options;

    [[nodiscard]] WordVectors<Scalar> vectors() const { return WordVectors<Scalar>(vocab.words(), embedding); }
};

/// Factorises the PPMI matrix of `matrix` (see ppmi_matrix) by a randomized truncated SVD (never
/// a dense V x V matrix: only products of the sparse matrix and its transpose with V x (dim +
/// oversampling) blocks). Deterministic for a seed, whatever the thread count. Throws
/// invalid_options, invalid_argument (empty matrix, dim larger than the vocabulary), cancelled.
template <class Scalar = float>
[[nodiscard]] PpmiSvdModel<Scalar> train_ppmi_svd(const CooccurrenceMatrix& matrix, const PpmiSvdOptions& options = {}) {
    static_assert(std::is_floating_point_v<Scalar>, "train_ppmi_svd needs a floating-point scalar");
    validate(options);
    if (matrix.rows() == 0 || matrix.entries().empty()) {
        throw invalid_argument("train_ppmi_svd: the co-occurrence matrix is empty (no word pair within the window)");
    }
    if (static_cast<std::size_t>(options.dim) > matrix.rows()) {
        throw invalid_argument("train_ppmi_svd: dim " + std::to_string(options.dim) + " exceeds the vocabulary of " +
                               std::to_string(matrix.rows()) + " words");
    }
    // The run's work is the sparse products (one report each); the last one's report is finish()'s.
    const int products = 2 * options.power_iterations + 2;
    TrainingRunOptions run_options;
    run_options.total_work = static_cast<std::uint64_t>(products);
    run_options.schedule = {0.0, 1.0, 1.0};  // no learning rate
    run_options.progress = options.progress;
    run_options.progress_interval = options.progress_interval;
    run_options.name = "PPMI-SVD";
    TrainingRun run(run_options);
    int done = 0;
    auto after_product = [&] {
        run.set_epoch(0, ++done);
        if (done == products) return;
        bool keep_going = true;
        (void)run.sync(0, 1, 0.0, 0, keep_going);
        if (!keep_going) run.throw_if_stopped();
    };
    const unsigned threads = ThreadExecutor(options.threads).workers();
    const auto a = detail::ppmi_rows<float>(matrix, options.context_smoothing, false);
    const auto at = detail::ppmi_rows<float>(matrix, options.context_smoothing, true);
    detail::RandomizedSvdOptions svd_options;
    svd_options.rank = options.dim;
    svd_options.oversampling = options.oversampling;
    svd_options.iterations = options.power_iterations;
    svd_options.seed = options.seed;
    svd_options.threads = threads;
    const auto n = static_cast<Eigen::Index>(matrix.rows());
    const detail::TruncatedSvd svd = detail::randomized_svd(
        n, n, svd_options,
        [&](const RowMatrix<double>& in, RowMatrix<double>& out) { detail::sparse_times_dense(a, in, out, threads); },
        [&](const RowMatrix<double>& in, RowMatrix<double>& out) { detail::sparse_times_dense(at, in, out, threads); },
        after_product);
    run.finish();
    PpmiSvdModel<Scalar> model;
    model.vocab = matrix.vocab();
    model.options = options;
    model.singular_values = svd.S;
    const Eigen::VectorXd scale = svd.S.array().pow(options.eigenvalue_power).matrix();
    model.embedding = (svd.U * scale.asDiagonal()).template cast<Scalar>();
    return model;
}

/// Counts co-occurrences of `corpus` with options.cooccurrence, then trains PPMI-SVD on them.
template <class Scalar = float>
[[nodiscard]] PpmiSvdModel<Scalar> train_ppmi_svd(const Vocab& vocab, CorpusView corpus, const PpmiSvdOptions& options = {}) {
    validate(options);
    const CooccurrenceMatrix matrix = count_cooccurrences(vocab, corpus, options.cooccurrence);
    return train_ppmi_svd<Scalar>(matrix, options);
}

}  // namespace embedkit
