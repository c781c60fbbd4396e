#pragma once

// GloVe (Pennington, Socher and Manning 2014): word vectors fitted by weighted least squares to
// the logarithm of global co-occurrence counts, with AdaGrad and lock-free (Hogwild) threads.

#include "embedkit/core/embedding.hpp"
#include "embedkit/train/training_progress.hpp"
#include "embedkit/core/word_vectors.hpp"
#include "embedkit/detail/hogwild.hpp"
#include "embedkit/detail/parallel.hpp"
#include "embedkit/detail/prefetch.hpp"
#include "embedkit/detail/parallel_shuffle.hpp"
#include "embedkit/train/progress_clock.hpp"
#include "embedkit/detail/rng.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/models/cooccurrence.hpp"
#include "embedkit/text/corpus.hpp"
#include "embedkit/text/vocab.hpp"
#include "embedkit/types.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace embedkit {

/// Options of `train_glove`. Defaults are the GloVe paper's (x_max 100, alpha 3/4, lr 0.05).
struct GloveOptions {
    int dim = 100;
    double x_max = 100;   ///< weighting f(x) = min(1, (x / x_max)^alpha)
    double alpha = 0.75;
    int epochs = 15;
    double lr = 0.05;     ///< AdaGrad's initial step size
    /// Output W + W~ (the sum of the word and context vectors, GloVe's usual output); false: W.
    bool add_context_vectors = true;
    unsigned threads = 0;  ///< 0: all cores
    std::uint64_t seed = 1;
    /// How train_glove(vocab, corpus, ...) counts: window 10, 1/d weighting, memory cap, spill
    /// directory, its own threads and progress callback.
    CooccurrenceOptions cooccurrence;
    ProgressCallback progress;       ///< optional; loss = the epoch's cost so far; may cancel
    double progress_interval = 1.0;  ///< seconds between progress reports (plus one per epoch)
};

/// Throws invalid_options naming the first bad field (the co-occurrence options as
/// "CooccurrenceOptions.<field>").
inline void validate(const GloveOptions& o) {
    auto fail = [](const std::string& field, const std::string& why) {
        throw invalid_options("GloveOptions." + field + " " + why);
    };
    auto num = [](double v) {
        char text[32];
        std::snprintf(text, sizeof text, "%g", v);
        return std::string(text);
    };
    if (o.dim <= 0) fail("dim", "must be positive (got " + std::to_string(o.dim) + ")");
    if (!(o.x_max > 0) || !std::isfinite(o.x_max)) fail("x_max", "must be > 0 (got " + num(o.x_max) + ")");
    if (!(o.alpha >= 0) || !std::isfinite(o.alpha)) fail("alpha", "must be >= 0 (got " + num(o.alpha) + ")");
    if (o.epochs <= 0) fail("epochs", "must be positive (got " + std::to_string(o.epochs) + ")");
    if (!(o.lr > 0) || !std::isfinite(o.lr)) fail("lr", "must be positive and finite (got " + num(o.lr) + ")");
    if (!(o.progress_interval >= 0)) fail("progress_interval", "must be >= 0");
    validate(o.cooccurrence);
}

/// GloVe's weighting function f(x) = min(1, (x / x_max)^alpha).
[[nodiscard]] inline double glove_weight(double x, double x_max, double alpha) {
    return x >= x_max ? 1.0 : std::pow(x / x_max, alpha);
}

/// A trained GloVe model: word vectors W, context vectors W~ and their biases.
template <class Scalar = float>
struct GloveModel {
    Vocab vocab;
    RowMatrix<Scalar> word;      ///< W: vocab.size() x dim
    RowMatrix<Scalar> context;   ///< W~: vocab.size() x dim
    Eigen::Matrix<Scalar, Eigen::Dynamic, 1> word_bias;
    Eigen::Matrix<Scalar, Eigen::Dynamic, 1> context_bias;
    std::vector<double> epoch_cost;  ///< per epoch: mean over the cells of f(X) (w.w~ + b + b~ - log X)^2 / 2
    GloveOptions options;

    /// The words with W + W~ (options.add_context_vectors) or W, ready to save or search.
    [[nodiscard]] WordVectors<Scalar> vectors() const {
        RowMatrix<Scalar> m = word;
        if (options.add_context_vectors) m += context;
        return WordVectors<Scalar>(vocab.words(), std::move(m));
    }
};

namespace detail {

/// The half cost of one directed cell and its gradient: with rows w = (word vector, word bias)
/// and c = (context vector, context bias) of dim + 1 values and diff = w.c + b + b~ - log X, the
/// cost is weight * diff^2 / 2; grad_w = weight diff (c, 1) and grad_c = weight diff (w, 1).
/// Returns the cost.
template <class S>
S glove_cell_gradient(const S* w, const S* c, int dim, S log_x, S weight, S* grad_w, S* grad_c) noexcept {
    const S diff = ConstRowMap<S>(w, dim).dot(ConstRowMap<S>(c, dim)) + w[dim] + c[dim] - log_x;
    const S fdiff = weight * diff;
    RowMap<S>(grad_w, dim) = fdiff * ConstRowMap<S>(c, dim);
    RowMap<S>(grad_c, dim) = fdiff * ConstRowMap<S>(w, dim);
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

/// The training loop: epochs of a fresh seeded shuffle, then Hogwild threads over the cells.
/// Each word has one row per side (word, context) holding its vector, its bias and their AdaGrad
/// accumulators (which start at 1, as glove.c's), padded to whole cache lines: an update touches
/// two contiguous rows, which the loop prefetches a few cells ahead.
template <class S>
class GloveTrainer {
public:
    GloveTrainer(const CooccurrenceMatrix& matrix, const GloveOptions& options)
        : matrix_(matrix), options_(options), threads_(resolve_threads(options.threads)), dim_(options.dim),
          acc_(dim_ + 1), stride_((2 * (dim_ + 1) + 15) / 16 * 16), clock_(options.progress_interval) {}

    GloveModel<S> run() {
        const auto rows = static_cast<Eigen::Index>(matrix_.rows());
        word_ = initial_rows(1);
        context_ = initial_rows(2);
        prepare_cells();
        std::vector<GloveCell> order(cells_.size());
        states_ = std::vector<ThreadState>(threads_);
        clock_.restart();
        GloveModel<S> model;
        for (int epoch = 0; epoch < options_.epochs; ++epoch) {
            epoch_ = epoch;
            parallel_shuffle(cells_.data(), order.data(), order.size(), stream_seed(options_.seed, 100 + epoch), threads_);
            epoch_done_.store(0);
            for (auto& s : states_) {
                s.cost.store(0.0);
                s.updates.store(0);
            }
            run_threads(threads_, [&](unsigned t) {
                const std::size_t n = order.size();
                train_range(t, order.data() + n * t / threads_, n * (t + 1) / threads_ - n * t / threads_);
            });
            const double cost = epoch_cost();
            if (diverged_.load() || !std::isfinite(cost)) diverge(epoch);
            if (stop_.load()) throw cancelled("GloVe training cancelled by the progress callback");
            model.epoch_cost.push_back(cost);
            report(static_cast<double>(epoch + 1) / options_.epochs, /*forced=*/true);
            if (stop_.load() && epoch + 1 < options_.epochs) throw cancelled("GloVe training cancelled by the progress callback");
        }
        if (!word_.leftCols(dim_ + 1).allFinite() || !context_.leftCols(dim_ + 1).allFinite()) diverge(options_.epochs - 1);
        model.vocab = matrix_.vocab();
        model.options = options_;
        model.word = word_.leftCols(dim_);
        model.context = context_.leftCols(dim_);
        model.word_bias = word_.col(dim_);
        model.context_bias = context_.col(dim_);
        (void)rows;
        return model;
    }

private:
    static constexpr std::size_t kSyncCells = 1 << 12;
    static constexpr std::size_t kPrefetchAhead = 6;

    struct alignas(64) ThreadState {
        std::atomic<double> cost{0.0};
        std::atomic<std::uint64_t> updates{0};
    };

    // Vectors and biases uniform in +-0.5/dim (glove.c), row i from its own random stream (so the
    // start never depends on the thread count); accumulators 1.
    RowMatrix<S> initial_rows(std::uint64_t table) const {
        const auto rows = static_cast<Eigen::Index>(matrix_.rows());
        EmbeddingOptions init;
        init.init = Init::uniform_word2vec;  // +-0.5/(dim+1) for dim+1 columns
        init.threads = threads_;
        init.seed = stream_seed(options_.seed, table);
        const Embedding<S> start(rows, dim_ + 1, init);
        RowMatrix<S> m = RowMatrix<S>::Zero(rows, stride_);
        m.leftCols(dim_ + 1) = start.weights() * (static_cast<S>(dim_ + 1) / static_cast<S>(dim_));
        m.middleCols(acc_, dim_ + 1).setOnes();
        return m;
    }

    void prepare_cells() {
        const auto& entries = matrix_.entries();
        cells_.resize(entries.size());
        directed_cells_ = matrix_.nonzeros();
        parallel_for(entries.size(), threads_, [&](std::size_t begin, std::size_t end, unsigned) {
            for (std::size_t k = begin; k < end; ++k) {
                const CooccurrenceEntry& e = entries[k];
                const auto x = static_cast<double>(e.value);
                cells_[k] = {static_cast<std::uint32_t>(e.row), static_cast<std::uint32_t>(e.col),
                             static_cast<float>(std::log(x)),
                             static_cast<float>(glove_weight(x, options_.x_max, options_.alpha))};
            }
        });
    }

    void prefetch(const GloveCell& cell) const noexcept {
        prefetch_row(word_.row(cell.row).data(), stride_);
        prefetch_row(context_.row(cell.col).data(), stride_);
        if (cell.row != cell.col) {
            prefetch_row(word_.row(cell.col).data(), stride_);
            prefetch_row(context_.row(cell.row).data(), stride_);
        }
    }

    void train_range(unsigned t, const GloveCell* cells, std::size_t n) {
        // Copies of the two rows, then their gradients.
        std::vector<S> scratch(4 * static_cast<std::size_t>(dim_ + 1));
        S* w = scratch.data();
        S* c = w + 2 * (dim_ + 1);
        const S lr = static_cast<S>(options_.lr);
        double cost = 0;
        std::uint64_t updates = 0;
        for (std::size_t k = 0; k < std::min(n, kPrefetchAhead); ++k) prefetch(cells[k]);
        for (std::size_t k = 0; k < n; ++k) {
            if (k + kPrefetchAhead < n) prefetch(cells[k + kPrefetchAhead]);
            const GloveCell& cell = cells[k];
            cost += step(cell.row, cell.col, cell.log_x, cell.weight, lr, w, c);
            ++updates;
            if (cell.row != cell.col) {
                cost += step(cell.col, cell.row, cell.log_x, cell.weight, lr, w, c);
                ++updates;
            }
            if ((k + 1) % kSyncCells == 0 || k + 1 == n) {
                states_[t].cost.store(cost, std::memory_order_relaxed);
                states_[t].updates.store(updates, std::memory_order_relaxed);
                const std::uint64_t synced = (k + 1) % kSyncCells == 0 ? kSyncCells : (k + 1) % kSyncCells;
                epoch_done_.fetch_add(synced, std::memory_order_relaxed);
                if (!std::isfinite(cost)) {
                    diverged_.store(true);
                    stop_.store(true);
                }
                if (t == 0) {
                    const double fraction = (epoch_ + static_cast<double>(epoch_done_.load(std::memory_order_relaxed)) /
                                                          static_cast<double>(std::max<std::size_t>(1, cells_.size()))) /
                                            options_.epochs;
                    report(std::min(1.0, fraction), false);
                }
                if (stop_.load(std::memory_order_relaxed)) return;
            }
        }
    }

    // One directed cell (word i, context j): returns f(X) diff^2 / 2 and updates both rows.
    S step(std::uint32_t i, std::uint32_t j, float log_x, float weight, S lr, S* w, S* c) {
        const int n = dim_ + 1;
        S* word = word_.row(i).data();
        S* context = context_.row(j).data();
        S* grad_w = w + n;
        S* grad_c = c + n;
        hogwild_copy<S>(word, w, n);
        hogwild_copy<S>(context, c, n);
        const S cost = glove_cell_gradient<S>(w, c, dim_, static_cast<S>(log_x), static_cast<S>(weight), grad_w, grad_c);
        // The vectors step by lr * gradient; the biases by the gradient alone (as glove.c).
        RowMap<S>(grad_w, dim_) *= lr;
        RowMap<S>(grad_c, dim_) *= lr;
        hogwild_adagrad_step<S>(grad_w, word, word + acc_, n);
        hogwild_adagrad_step<S>(grad_c, context, context + acc_, n);
        return cost;
    }

    [[nodiscard]] double epoch_cost() const {
        double cost = 0;
        std::uint64_t updates = 0;
        for (const auto& s : states_) {
            cost += s.cost.load();
            updates += s.updates.load();
        }
        return updates > 0 ? cost / static_cast<double>(updates) : 0.0;
    }

    void report(double fraction, bool forced) {
        TrainingProgress p;
        if (!options_.progress || !clock_.due(forced, p)) return;
        p.fraction = fraction;
        p.epoch = epoch_;
        p.tokens_processed = static_cast<std::uint64_t>(fraction * static_cast<double>(directed_cells_) * options_.epochs + 0.5);
        if (p.elapsed_seconds > 0) {
            p.words_per_sec_per_thread = static_cast<double>(p.tokens_processed) / p.elapsed_seconds / threads_;
        }
        p.learning_rate = options_.lr;
        p.loss = epoch_cost();
        if (!options_.progress(p) && fraction < 1.0) stop_.store(true);
    }

    [[noreturn]] void diverge(int epoch) const {
        throw numeric_error("GloVe training diverged in epoch " + std::to_string(epoch + 1) +
                            ": the cost became NaN or Inf (learning rate " + std::to_string(options_.lr) +
                            " is too high; try a lower one)");
    }

    const CooccurrenceMatrix& matrix_;
    GloveOptions options_;
    unsigned threads_;
    int dim_;
    int acc_;     // column of the first accumulator in a row
    int stride_;  // columns of a row: vector, bias, their accumulators, padding to 64 bytes
    RowMatrix<S> word_, context_;
    std::vector<GloveCell> cells_;
    std::uint64_t directed_cells_ = 0;
    std::vector<ThreadState> states_;
    std::atomic<std::uint64_t> epoch_done_{0};
    std::atomic<bool> stop_{false};
    std::atomic<bool> diverged_{false};
    int epoch_ = 0;
    ProgressClock clock_;
};

}  // namespace detail

/// Trains GloVe on a co-occurrence matrix. Every epoch visits the stored cells in a fresh
/// permutation drawn from (seed, epoch), each cell updating both (i, j) and (j, i); the threads
/// share the parameters without locks. With threads = 1 the result is bit-identical for a seed.
/// Throws invalid_options, invalid_argument (an empty matrix), numeric_error (the cost became
/// NaN or Inf: lower the learning rate) or cancelled (the progress callback said stop).
template <class Scalar = float>
[[nodiscard]] GloveModel<Scalar> train_glove(const CooccurrenceMatrix& matrix, const GloveOptions& options = {}) {
    static_assert(std::is_floating_point_v<Scalar>, "train_glove needs a floating-point scalar");
    validate(options);
    if (matrix.rows() == 0) throw invalid_argument("train_glove: the co-occurrence matrix has no words");
    if (matrix.entries().empty()) throw invalid_argument("train_glove: the co-occurrence matrix is empty (no word pair within the window)");
    return detail::GloveTrainer<Scalar>(matrix, options).run();
}

/// Counts co-occurrences of `corpus` with options.cooccurrence, then trains GloVe on them.
template <class Scalar = float>
[[nodiscard]] GloveModel<Scalar> train_glove(const Vocab& vocab, CorpusView corpus, const GloveOptions& options = {}) {
    validate(options);
    const CooccurrenceMatrix matrix = count_cooccurrences(vocab, corpus, options.cooccurrence);
    return train_glove<Scalar>(matrix, options);
}

}  // namespace embedkit
