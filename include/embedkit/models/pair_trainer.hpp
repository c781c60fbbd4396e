#pragma once

// Embeddings learnt from (anchor, positive) pairs with a contrastive loss: the options, the model,
// and the training loop on the shared runtime (train/); the batch update is updates/pair_batch.hpp.

#include "embedkit/core/alias_sampler.hpp"
#include "embedkit/core/embedding.hpp"
#include "embedkit/core/word_vectors.hpp"
#include "embedkit/detail/rng.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/losses/infonce.hpp"
#include "embedkit/losses/mnrl.hpp"
#include "embedkit/losses/nt_xent.hpp"
#include "embedkit/losses/triplet.hpp"
#include "embedkit/text/pair_set.hpp"
#include "embedkit/train/executor.hpp"
#include "embedkit/train/training_progress.hpp"
#include "embedkit/train/training_run.hpp"
#include "embedkit/types.hpp"
#include "embedkit/updates/pair_batch.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace embedkit {

/// The objective of the pair trainer.
enum class PairLoss {
    infonce,   ///< InfoNCE: in-batch negatives, or K sampled negatives per pair when negatives > 0
    nt_xent,   ///< NT-Xent over the 2B rows of the batch (anchor and positive as two views)
    mnrl,      ///< multiple-negatives ranking: in-batch, plus K sampled hard negatives per pair if negatives > 0
    triplet,   ///< triplet loss: mined from the batch (triplet_mining) or with K sampled negatives
    logistic,  ///< word2vec's negative sampling: log sigmoid(a.p) + sum_k log sigmoid(-a.n_k)
};

/// How the pair trainer updates the rows a batch touches.
enum class PairOptimizer {
    adagrad,  ///< sparse AdaGrad, one accumulator per weight
    sgd,      ///< plain SGD
};

[[nodiscard]] inline const char* to_string(PairLoss l) noexcept {
    switch (l) {
        case PairLoss::infonce: return "infonce";
        case PairLoss::nt_xent: return "nt-xent";
        case PairLoss::mnrl: return "mnrl";
        case PairLoss::triplet: return "triplet";
        case PairLoss::logistic: return "logistic";
    }
    return "?";
}
[[nodiscard]] inline const char* to_string(PairOptimizer o) noexcept { return o == PairOptimizer::sgd ? "sgd" : "adagrad"; }

/// Parses "infonce", "nt-xent", "mnrl", "triplet" or "logistic"; invalid_argument otherwise.
[[nodiscard]] inline PairLoss parse_pair_loss(std::string_view text) {
    for (const PairLoss l : {PairLoss::infonce, PairLoss::nt_xent, PairLoss::mnrl, PairLoss::triplet, PairLoss::logistic}) {
        if (text == to_string(l)) return l;
    }
    throw invalid_argument("unknown pair loss '" + std::string(text) +
                           "' (expected infonce, nt-xent, mnrl, triplet or logistic)");
}

/// Parses "adagrad" or "sgd"; invalid_argument otherwise.
[[nodiscard]] inline PairOptimizer parse_pair_optimizer(std::string_view text) {
    if (text == "adagrad") return PairOptimizer::adagrad;
    if (text == "sgd") return PairOptimizer::sgd;
    throw invalid_argument("unknown optimizer '" + std::string(text) + "' (expected adagrad or sgd)");
}

/// Options of train_pairs. C++20: `{.loss = PairLoss::triplet, .dim = 32, .triplet = {.margin = 0.3}}`.
struct PairTrainerOptions {
    PairLoss loss = PairLoss::infonce;
    int dim = 100;
    int epochs = 5;
    /// Pairs per mini-batch (also the in-batch negatives: B - 1 per pair). > 0.
    int batch_size = 256;
    /// Sampled negatives per pair, drawn from the positives' frequencies ^ negative_power. Unset:
    /// 5 for logistic, 1 for triplet without mining, 0 otherwise (in-batch negatives only).
    /// infonce with K > 0 scores each anchor against its positive and its K negatives only; mnrl
    /// adds the K*B negatives of the batch to every anchor's candidates. nt_xent and mined triplets
    /// take none.
    std::optional<int> negatives;
    double negative_power = 0.75;
    /// Two tables: anchors (users, words) and positives (items, contexts) get separate vectors.
    /// Required when the pairs have separate key spaces. Off: one shared table.
    bool two_tower = false;
    PairOptimizer optimizer = PairOptimizer::adagrad;
    /// Initial learning rate. Unset: 0.05 for AdaGrad, 0.025 for SGD.
    std::optional<double> lr;
    /// The rate decays linearly to lr * min_lr_ratio over the run; 1 keeps it constant.
    double min_lr_ratio = 1e-4;
    /// AdaGrad's starting sum of squared gradients (> 0): damps the first steps.
    double adagrad_initial_accumulator = 0.1;
    /// Rows start as N(0, init_sigma^2) per coordinate. > 0 (cosine losses need non-zero rows).
    double init_sigma = 0.1;
    InfoNceOptions infonce;
    NtXentOptions nt_xent;
    MnrlOptions mnrl;
    TripletOptions triplet;
    /// Triplet: mine triplets (triplet.mining) among the 2B rows of the batch: for a row, the rows
    /// whose item is paired with its item in the batch are positives, rows of its own item are
    /// ignored, all others are negatives. false: each pair with K sampled negatives.
    bool triplet_mining = true;
    unsigned threads = 0;  ///< 0: all cores
    std::uint64_t seed = 1;
    ProgressCallback progress;       ///< optional; may cancel the run
    double progress_interval = 1.0;  ///< seconds between progress reports

    /// The negatives per pair the run uses.
    [[nodiscard]] int negatives_per_pair() const {
        if (negatives) return *negatives;
        if (loss == PairLoss::logistic) return 5;
        if (loss == PairLoss::triplet && !triplet_mining) return 1;
        return 0;
    }
    /// The learning rate the run starts with.
    [[nodiscard]] double initial_lr() const { return lr ? *lr : (optimizer == PairOptimizer::adagrad ? 0.05 : 0.025); }
};

/// Throws invalid_options naming the first bad field.
inline void validate(const PairTrainerOptions& o) {
    auto fail = [](const std::string& field, const std::string& why) {
        throw invalid_options("PairTrainerOptions." + field + " " + why);
    };
    if (o.loss != PairLoss::infonce && o.loss != PairLoss::nt_xent && o.loss != PairLoss::mnrl &&
        o.loss != PairLoss::triplet && o.loss != PairLoss::logistic) {
        fail("loss", "has an unknown value " + std::to_string(static_cast<int>(o.loss)));
    }
    if (o.dim <= 0) fail("dim", "must be positive (got " + std::to_string(o.dim) + ")");
    if (o.epochs <= 0) fail("epochs", "must be positive (got " + std::to_string(o.epochs) + ")");
    if (o.batch_size <= 0) fail("batch_size", "must be positive (got " + std::to_string(o.batch_size) + ")");
    const int k = o.negatives_per_pair();
    if (k < 0) fail("negatives", "must be >= 0 (got " + std::to_string(k) + ")");
    if (k > 0 && (o.loss == PairLoss::nt_xent || (o.loss == PairLoss::triplet && o.triplet_mining))) {
        fail("negatives", "must be 0 for " + std::string(to_string(o.loss)) +
                              (o.loss == PairLoss::triplet ? " with triplet_mining" : "") + " (got " + std::to_string(k) + ")");
    }
    if (k == 0 && (o.loss == PairLoss::logistic || (o.loss == PairLoss::triplet && !o.triplet_mining))) {
        fail("negatives", std::string("must be > 0 for ") + to_string(o.loss) +
                              (o.loss == PairLoss::triplet ? " without triplet_mining" : ""));
    }
    if (!(o.negative_power >= 0) || !std::isfinite(o.negative_power)) {
        fail("negative_power", "must be finite and >= 0 (got " + std::to_string(o.negative_power) + ")");
    }
    if (o.optimizer != PairOptimizer::adagrad && o.optimizer != PairOptimizer::sgd) {
        fail("optimizer", "has an unknown value " + std::to_string(static_cast<int>(o.optimizer)));
    }
    if (o.lr && !(*o.lr > 0 && std::isfinite(*o.lr))) fail("lr", "must be positive and finite (got " + std::to_string(*o.lr) + ")");
    if (!(o.min_lr_ratio >= 0 && o.min_lr_ratio <= 1)) fail("min_lr_ratio", "must be in [0, 1]");
    if (!(o.adagrad_initial_accumulator > 0) || !std::isfinite(o.adagrad_initial_accumulator)) {
        fail("adagrad_initial_accumulator", "must be positive and finite");
    }
    if (!(o.init_sigma > 0) || !std::isfinite(o.init_sigma)) fail("init_sigma", "must be positive and finite");
    if (!(o.progress_interval >= 0)) fail("progress_interval", "must be >= 0");
    validate(o.infonce);
    validate(o.nt_xent);
    validate(o.mnrl);
    validate(o.triplet);
}

/// What train_pairs returns: the table(s) with the key of every row.
template <class Scalar = float>
struct PairModel {
    /// One row per anchor key: the shared table, or the anchor tower when two_tower.
    RowMatrix<Scalar> anchor_vectors;
    /// two_tower: one row per positive key. Empty otherwise.
    RowMatrix<Scalar> positive_vectors;
    std::vector<std::string> anchor_keys;
    /// two_tower: the keys of positive_vectors. Empty otherwise.
    std::vector<std::string> positive_keys;
    /// Mean loss per pair of every epoch (the loss of each batch as it was trained on).
    std::vector<double> epoch_loss;
    PairTrainerOptions options;

    /// The anchor (or shared) table with its keys, ready to save or search.
    [[nodiscard]] WordVectors<Scalar> vectors() const { return WordVectors<Scalar>(anchor_keys, anchor_vectors); }
    /// The positive tower with its keys; the shared table when there is one table.
    [[nodiscard]] WordVectors<Scalar> positive_word_vectors() const {
        if (positive_vectors.size() == 0) return vectors();
        return WordVectors<Scalar>(positive_keys, positive_vectors);
    }
};

namespace detail {

/// The loss the options choose, scoring the batch gathered in `w`.
template <class S>
updates::PairBatchGradients<S> pair_batch_loss(const PairTrainerOptions& o, updates::PairWorkspace<S>& w) {
    switch (o.loss) {
        case PairLoss::infonce: return updates::infonce_batch(w, o.infonce, o.two_tower);
        case PairLoss::mnrl: return updates::mnrl_batch(w, o.mnrl, o.two_tower);
        case PairLoss::logistic: return updates::logistic_batch(w);
        case PairLoss::nt_xent: return updates::nt_xent_batch(w, o.nt_xent);
        case PairLoss::triplet:
            return w.negative_ids.empty() ? updates::mined_triplet_batch(w, o.triplet, o.two_tower)
                                          : updates::triplet_batch(w, o.triplet);
    }
    return {};
}

/// The training loop: one TrainingRun over epochs x pairs; every epoch shuffles the pairs (from
/// (seed, 4, epoch)) and its workers take batches in turn, each drawing its negatives from
/// (seed, 3, batch), so they never depend on the thread count.
template <class S>
class PairTrainer {
public:
    PairTrainer(const PairSet& pairs, const PairTrainerOptions& options)
        : pairs_(pairs), options_(options), executor_(options.threads), negatives_(options.negatives_per_pair()),
          negative_stream_(stream_seed(options.seed, 3)) {}

    PairModel<S> run() {
        init_model();
        const unsigned workers = executor_.workers();
        const std::size_t n = pairs_.size();
        TrainingRunOptions run_options;
        run_options.total_work = static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(options_.epochs);
        run_options.schedule = {options_.initial_lr(), options_.min_lr_ratio, static_cast<double>(n) * options_.epochs};
        run_options.workers = workers;
        run_options.progress = options_.progress;
        run_options.progress_interval = options_.progress_interval;
        run_options.name = "train_pairs";
        TrainingRun run(run_options);
        std::vector<updates::PairWorkspace<S>> workspaces(workers);
        std::vector<WorkerTotals> totals(workers);
        std::vector<std::uint32_t> order(n);
        std::iota(order.begin(), order.end(), 0u);
        for (int epoch = 0; epoch < options_.epochs && !run.stopping(); ++epoch) {
            Rng shuffle_rng(stream_seed(stream_seed(options_.seed, 4), static_cast<std::uint64_t>(epoch)));
            for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[shuffle_rng.below(i)]);
            std::atomic<std::size_t> next_batch{0};
            const WorkerTotals before = sum(totals);
            executor_.run([&](unsigned t) {
                run.set_epoch(t, epoch);
                train_batches(run, t, epoch, order, next_batch, workspaces[t], totals[t]);
            });
            const WorkerTotals after = sum(totals);
            if (after.pairs > before.pairs) {
                model_.epoch_loss.push_back((after.loss_sum - before.loss_sum) / static_cast<double>(after.pairs - before.pairs));
            }
        }
        run.finish([&] { return tables_.anchors->allFinite() && tables_.positives->allFinite(); });
        return std::move(model_);
    }

private:
    // A worker's loss sum and pairs over the run (written by it, read between epochs).
    struct alignas(64) WorkerTotals {
        double loss_sum = 0;
        std::uint64_t pairs = 0;
    };

    static WorkerTotals sum(const std::vector<WorkerTotals>& totals) {
        WorkerTotals s;
        for (const WorkerTotals& t : totals) {
            s.loss_sum += t.loss_sum;
            s.pairs += t.pairs;
        }
        return s;
    }

    // The keys, the rows (N(0, init_sigma^2): the shared or anchor table from (seed, 1), the
    // positive tower from (seed, 2)), AdaGrad's accumulators and the negative sampler (positives
    // by frequency ^ negative_power).
    void init_model() {
        const auto dim = static_cast<Eigen::Index>(options_.dim);
        model_.options = options_;
        model_.anchor_keys = pairs_.anchor_keys;
        EmbeddingOptions init;
        init.init = Init::normal;
        init.sigma = options_.init_sigma;
        init.threads = executor_.workers();
        init.seed = stream_seed(options_.seed, 1);
        model_.anchor_vectors = std::move(Embedding<S>(static_cast<Eigen::Index>(pairs_.anchor_rows()), dim, init).weights());
        if (options_.two_tower) {
            model_.positive_keys = pairs_.positive_keys();
            init.seed = stream_seed(options_.seed, 2);
            model_.positive_vectors =
                std::move(Embedding<S>(static_cast<Eigen::Index>(pairs_.positive_rows()), dim, init).weights());
        }
        tables_.two_tower = options_.two_tower;
        tables_.anchors = &model_.anchor_vectors;
        tables_.positives = options_.two_tower ? &model_.positive_vectors : &model_.anchor_vectors;
        if (options_.optimizer == PairOptimizer::adagrad) {
            const S a0 = static_cast<S>(options_.adagrad_initial_accumulator);
            anchor_accumulators_.setConstant(tables_.anchors->rows(), dim, a0);
            if (options_.two_tower) positive_accumulators_.setConstant(tables_.positives->rows(), dim, a0);
            tables_.anchor_accumulators = &anchor_accumulators_;
            tables_.positive_accumulators = options_.two_tower ? &positive_accumulators_ : &anchor_accumulators_;
        }
        if (negatives_ > 0) {
            std::vector<std::int64_t> counts(pairs_.positive_rows(), 0);
            for (const TokenId id : pairs_.positives) ++counts[static_cast<std::size_t>(id)];
            sampler_.emplace(make_unigram_sampler(counts, options_.negative_power));
        }
    }

    // Worker t's part of an epoch: the next batch until none is left or the run stops.
    void train_batches(TrainingRun& run, unsigned t, int epoch, const std::vector<std::uint32_t>& order,
                       std::atomic<std::size_t>& next_batch, updates::PairWorkspace<S>& w, WorkerTotals& my) {
        const std::size_t n = order.size();
        const auto batch = static_cast<std::size_t>(options_.batch_size);
        const std::size_t batches = (n + batch - 1) / batch;
        bool keep_going = !run.stopping();
        try {
            while (keep_going) {
                const std::size_t bi = next_batch.fetch_add(1, std::memory_order_relaxed);
                if (bi >= batches) break;
                const std::size_t begin = bi * batch;
                const std::size_t b = std::min(n, begin + batch) - begin;
                w.anchor_ids.resize(b);
                w.positive_ids.resize(b);
                for (std::size_t i = 0; i < b; ++i) {
                    w.anchor_ids[i] = pairs_.anchors[order[begin + i]];
                    w.positive_ids[i] = pairs_.positives[order[begin + i]];
                }
                if (sampler_) {
                    Rng rng(stream_seed(negative_stream_, static_cast<std::uint64_t>(epoch) * batches + bi));
                    updates::draw_pair_negatives(*sampler_, negatives_, options_.two_tower, rng, w);
                }
                updates::gather_pair_rows(tables_, w);
                const updates::PairBatchGradients<S> g = pair_batch_loss(options_, w);
                my.loss_sum += static_cast<double>(g.loss) * static_cast<double>(b);
                my.pairs += b;
                const S lr = static_cast<S>(run.sync(t, b, my.loss_sum, my.pairs, keep_going));
                if (keep_going) updates::apply_pair_gradients(tables_, w, g, lr);
            }
        } catch (...) {
            run.request_stop();
            throw;
        }
    }

    const PairSet& pairs_;
    PairTrainerOptions options_;
    ThreadExecutor executor_;
    int negatives_;                 // sampled per pair
    std::uint64_t negative_stream_;
    PairModel<S> model_;
    RowMatrix<S> anchor_accumulators_, positive_accumulators_;
    updates::PairTables<S> tables_;
    std::optional<AliasSampler> sampler_;
};

}  // namespace detail

/// Learns embeddings from (anchor, positive) pairs with one of the contrastive losses.
///
/// Each epoch shuffles the pairs (seeded) and cuts them into mini-batches of batch_size pairs.
/// For a batch the trainer copies the rows it needs (anchors, positives and any sampled
/// negatives) out of the shared table(s), computes the loss and its gradients with the Eigen
/// losses of embedkit/losses/, and applies sparse updates to the rows it touched (AdaGrad: one
/// step per distinct row with its summed gradient; SGD: row by row), the gradient being that of
/// the batch's summed loss (so the learning rate does not depend on batch_size). Threads take
/// batches Hogwild style, without locks; with threads = 1 a run is fully determined by the seed
/// (negatives are drawn per batch from the seed, so they never depend on the thread count; with
/// more threads only the interleaving of updates varies).
///
/// Throws invalid_options, invalid_argument (no pairs, ids out of range, separate key spaces
/// without two_tower), numeric_error if the loss becomes NaN or infinite (learning rate too high),
/// or cancelled if the progress callback returns false.
template <class Scalar = float>
[[nodiscard]] PairModel<Scalar> train_pairs(const PairSet& pairs, const PairTrainerOptions& options = {}) {
    static_assert(std::is_floating_point_v<Scalar>, "train_pairs needs a floating-point scalar");
    validate(options);
    pairs.check("train_pairs");
    if (pairs.empty()) throw invalid_argument("train_pairs: there are no pairs");
    if (pairs.separate_key_spaces && !options.two_tower) {
        throw invalid_argument("train_pairs: anchors and positives have separate key spaces; set two_tower");
    }
    return detail::PairTrainer<Scalar>(pairs, options).run();
}

}  // namespace embedkit
