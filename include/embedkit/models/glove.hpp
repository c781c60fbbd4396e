#pragma once

// GloVe (Pennington, Socher and Manning 2014): word vectors fitted by weighted least squares to
// the logarithm of global co-occurrence counts, with AdaGrad and lock-free (Hogwild) threads.

#include "embedkit/core/embedding.hpp"
#include "embedkit/core/word_vectors.hpp"
#include "embedkit/detail/parallel.hpp"
#include "embedkit/detail/parallel_shuffle.hpp"
#include "embedkit/detail/rng.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/models/cooccurrence.hpp"
#include "embedkit/text/corpus.hpp"
#include "embedkit/text/vocab.hpp"
#include "embedkit/train/executor.hpp"
#include "embedkit/train/training_progress.hpp"
#include "embedkit/train/training_run.hpp"
#include "embedkit/types.hpp"
#include "embedkit/updates/glove_cell.hpp"

#include <algorithm>
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
    /// Optional; may cancel. loss = the mean cost of the directed cells trained since the previous
    /// report (the final report: of the whole run); tokens_processed counts directed cells.
    ProgressCallback progress;
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

namespace detail {

/// The cell GloVe trains on for a stored entry: both words, log X and f(X).
[[nodiscard]] inline updates::GloveCell glove_cell_of(const CooccurrenceEntry& e, double x_max, double alpha) {
    const auto x = static_cast<double>(e.value);
    return {static_cast<std::uint32_t>(e.row), static_cast<std::uint32_t>(e.col), static_cast<float>(std::log(x)),
            static_cast<float>(glove_weight(x, x_max, alpha))};
}

/// A GloVe worker's loss totals: this pass's, and those of its passes before (for the run's reports).
struct GloveWorkerTotals {
    double epoch_cost = 0;
    std::uint64_t epoch_updates = 0;
    double cost_before = 0;
    std::uint64_t updates_before = 0;
};

inline constexpr std::size_t kGloveSyncCells = 1 << 12;
inline constexpr std::size_t kGlovePrefetchAhead = 6;

/// Worker t's part of a pass: n cells, a sync with the run every kGloveSyncCells of them; the
/// pass's cost and updates go to `totals` (whose *_before are the worker's earlier passes).
template <class S>
void train_glove_cells(TrainingRun& run, unsigned t, const updates::GloveLayers<S>& layers,
                       const updates::GloveCell* cells, std::size_t n, GloveWorkerTotals& totals) {
    updates::GloveWorkspace<S> ws(layers.dim);
    S lr = static_cast<S>(run.learning_rate(run.processed()));
    std::uint64_t synced = 0;
    bool keep_going = true;
    for (std::size_t k = 0; k < std::min(n, kGlovePrefetchAhead); ++k) updates::prefetch_glove_cell(layers, cells[k]);
    for (std::size_t k = 0; k < n && keep_going; ++k) {
        if (k + kGlovePrefetchAhead < n) updates::prefetch_glove_cell(layers, cells[k + kGlovePrefetchAhead]);
        updates::glove_cell(layers, ws, cells[k], lr);
        if ((k + 1) % kGloveSyncCells == 0 || k + 1 == n) {
            lr = static_cast<S>(run.sync(t, ws.updates - synced, totals.cost_before + ws.cost,
                                         totals.updates_before + ws.updates, keep_going));
            synced = ws.updates;
        }
    }
    totals.epoch_cost = ws.cost;
    totals.epoch_updates = ws.updates;
}

}  // namespace detail

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

/// The training loop: epochs of a fresh seeded shuffle, then Hogwild workers over the cells, each
/// taking a contiguous part of the shuffled cells (updates::glove_cell is the rule). Each word
/// has one row per side (word, context) holding its vector, its bias and their AdaGrad
/// accumulators (which start at 1, as glove.c's), padded to whole cache lines: an update touches
/// two contiguous rows, which the loop prefetches a few cells ahead. The run's work is the
/// directed cells trained; its rate is constant (AdaGrad adapts it per weight).
template <class S>
class GloveTrainer {
public:
    GloveTrainer(const CooccurrenceMatrix& matrix, const GloveOptions& options)
        : matrix_(matrix), options_(options), executor_(options.threads), dim_(options.dim), acc_(dim_ + 1),
          stride_((2 * (dim_ + 1) + 15) / 16 * 16) {}

    GloveModel<S> run() {
        const unsigned workers = executor_.workers();
        word_ = initial_rows(1);
        context_ = initial_rows(2);
        prepare_cells();
        const updates::GloveLayers<S> layers{&word_, &context_, dim_, acc_};
        std::vector<updates::GloveCell> order(cells_.size());
        std::vector<GloveWorkerTotals> totals(workers);
        TrainingRun run(run_options());
        GloveModel<S> model;
        for (int epoch = 0; epoch < options_.epochs; ++epoch) {
            parallel_shuffle(cells_.data(), order.data(), order.size(), stream_seed(options_.seed, 100 + epoch), workers);
            executor_.run([&](unsigned t) {
                run.set_epoch(t, epoch);
                const std::size_t n = order.size();
                train_glove_cells(run, t, layers, order.data() + n * t / workers,
                                  n * (t + 1) / workers - n * t / workers, totals[t]);
            });
            if (run.stopping()) break;
            double cost = 0;
            std::uint64_t updates = 0;
            for (GloveWorkerTotals& w : totals) {
                cost += w.epoch_cost;
                updates += w.epoch_updates;
                w.cost_before += w.epoch_cost;
                w.updates_before += w.epoch_updates;
            }
            cost = updates > 0 ? cost / static_cast<double>(updates) : 0.0;
            if (!std::isfinite(cost)) {
                run.diverge();
                break;
            }
            model.epoch_cost.push_back(cost);
            // A report at the end of every epoch; finish() makes the last one.
            if (epoch + 1 < options_.epochs && !run.report_now(run.learning_rate(run.processed()))) break;
        }
        run.finish([&] { return word_.leftCols(dim_ + 1).allFinite() && context_.leftCols(dim_ + 1).allFinite(); });
        model.vocab = matrix_.vocab();
        model.options = options_;
        model.word = word_.leftCols(dim_);
        model.context = context_.leftCols(dim_);
        model.word_bias = word_.col(dim_);
        model.context_bias = context_.col(dim_);
        return model;
    }

private:

    // A worker's cost sums: this epoch's, and those of the epochs before (the run's loss).

    TrainingRunOptions run_options() const {
        TrainingRunOptions o;
        o.total_work = matrix_.nonzeros() * static_cast<std::uint64_t>(options_.epochs);
        o.schedule = {options_.lr, 1.0, static_cast<double>(std::max<std::uint64_t>(1, o.total_work))};
        o.workers = executor_.workers();
        o.progress = options_.progress;
        o.progress_interval = options_.progress_interval;
        o.name = "GloVe training";
        return o;
    }

    // Vectors and biases uniform in +-0.5/dim (glove.c), row i from its own random stream (so the
    // start never depends on the thread count); accumulators 1.
    RowMatrix<S> initial_rows(std::uint64_t table) const {
        const auto rows = static_cast<Eigen::Index>(matrix_.rows());
        EmbeddingOptions init;
        init.init = Init::uniform_word2vec;  // +-0.5/(dim+1) for dim+1 columns
        init.threads = executor_.workers();
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
        parallel_for(entries.size(), executor_.workers(), [&](std::size_t begin, std::size_t end, unsigned) {
            for (std::size_t k = begin; k < end; ++k) cells_[k] = glove_cell_of(entries[k], options_.x_max, options_.alpha);
        });
    }


    const CooccurrenceMatrix& matrix_;
    GloveOptions options_;
    ThreadExecutor executor_;
    int dim_;
    int acc_;     // column of the first accumulator in a row
    int stride_;  // columns of a row: vector, bias, their accumulators, padding to 64 bytes
    RowMatrix<S> word_, context_;
    std::vector<updates::GloveCell> cells_;
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
