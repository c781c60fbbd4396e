#pragma once

#include "embedkit/core/alias_sampler.hpp"
#include "embedkit/core/embedding.hpp"
#include "embedkit/core/sparse_optimizer.hpp"
#include "embedkit/train/training_progress.hpp"
#include "embedkit/core/word_vectors.hpp"
#include "embedkit/detail/hogwild.hpp"
#include "embedkit/detail/parallel.hpp"
#include "embedkit/detail/rng.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/losses/infonce.hpp"
#include "embedkit/losses/logistic.hpp"
#include "embedkit/losses/mnrl.hpp"
#include "embedkit/losses/nt_xent.hpp"
#include "embedkit/losses/triplet.hpp"
#include "embedkit/text/pair_set.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
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

/// Per-thread statistics, read by the reporting thread while the others write them.
struct alignas(64) PairThreadStats {
    std::atomic<double> loss_sum{0.0};
    std::atomic<std::uint64_t> pairs{0};
};

/// One thread's workspace: ids and rows of the current batch, and the update buffers.
template <class S>
struct PairWorkspace {
    std::vector<TokenId> anchor_ids, positive_ids, negative_ids;
    RowMatrix<S> anchors, positives, negatives;
    RowMatrix<S> no_negatives;  ///< 0 x dim
    std::vector<TokenId> anchor_labels, positive_labels;
    std::vector<std::int64_t> keys;                             ///< mining: the table row of each batch row
    std::vector<std::pair<std::int64_t, std::int64_t>> links;  ///< mining: (key, key) of every pair, both ways
    struct Entry {
        TokenId id;
        std::uint32_t order;
        const S* grad;
    };
    std::vector<Entry> updates[2];
    RowVector<S> sum;
    RowMatrix<S> stacked;
    // One reusable result per loss, so that a batch allocates nothing once shapes repeat.
    InfoNceResult<S> infonce;
    NtXentResult<S> nt_xent;
    TripletResult<S> triplet;
    BatchTripletResult<S> mined;
    LogisticResult<S> logistic;
};

/// Copies the shared rows `ids` of `table` into `out` (Hogwild reads).
template <class S>
void gather_rows(const RowMatrix<S>& table, const std::vector<TokenId>& ids, RowMatrix<S>& out) {
    const auto dim = static_cast<int>(table.cols());
    out.resize(static_cast<Eigen::Index>(ids.size()), table.cols());
    for (std::size_t k = 0; k < ids.size(); ++k) {
        hogwild_copy(table.row(ids[k]).data(), out.row(static_cast<Eigen::Index>(k)).data(), dim);
    }
}

/// Queues the gradient rows starting at `grads` (row k at grads + k * dim) for rows `ids`.
template <class S>
void add_updates(std::vector<typename PairWorkspace<S>::Entry>& list, const std::vector<TokenId>& ids, const S* grads,
                 Eigen::Index dim) {
    for (std::size_t k = 0; k < ids.size(); ++k) {
        list.push_back({ids[k], static_cast<std::uint32_t>(list.size()), grads + static_cast<Eigen::Index>(k) * dim});
    }
}

/// Applies the queued gradient rows (times `scale`) to the shared table: SGD row by row in queue
/// order (the same as one step with each id's summed gradient, up to rounding); AdaGrad sums the
/// rows of each id first (in queue order) and takes one step per distinct id. The Hogwild writes
/// go through hogwild_axpy / hogwild_adagrad (the arithmetic of sgd_row_update /
/// adagrad_row_update), so ThreadSanitizer's one suppression covers them.
template <class S>
void apply_updates(std::vector<typename PairWorkspace<S>::Entry>& list, RowMatrix<S>& table, RowMatrix<S>* accumulators,
                   S lr, S scale, RowVector<S>& sum) {
    using Entry = typename PairWorkspace<S>::Entry;
    const Eigen::Index dim = table.cols();
    using ConstMap = Eigen::Map<const RowVector<S>>;
    const auto n = static_cast<int>(dim);
    if (accumulators == nullptr) {
        const S step = -(lr * scale);  // w -= lr * scale * g, exactly
        for (const Entry& e : list) hogwild_axpy(step, e.grad, table.row(e.id).data(), n);
        list.clear();
        return;
    }
    std::sort(list.begin(), list.end(), [](const Entry& a, const Entry& b) {
        return a.id != b.id ? a.id < b.id : a.order < b.order;
    });
    std::size_t k = 0;
    while (k < list.size()) {
        const TokenId id = list[k].id;
        sum.noalias() = ConstMap(list[k].grad, dim);
        std::size_t end = k + 1;
        for (; end < list.size() && list[end].id == id; ++end) sum += ConstMap(list[end].grad, dim);
        sum *= scale;
        hogwild_adagrad(sum.data(), table.row(id).data(), accumulators->row(id).data(), lr, S(1e-10), n);
        k = end;
    }
    list.clear();
}

/// The loss of one batch and where its gradients with respect to the gathered rows are (rows of
/// the workspace's result matrices; `negatives` is null without sampled negatives).
template <class S>
struct PairBatchGradients {
    S loss = 0;
    const S* anchors = nullptr;
    const S* positives = nullptr;
    const S* negatives = nullptr;
};

template <class S>
PairBatchGradients<S> pair_batch_loss(const PairTrainerOptions& o, PairWorkspace<S>& w) {
    const auto b = static_cast<Eigen::Index>(w.anchor_ids.size());
    const Eigen::Index dim = w.anchors.cols();
    const bool sampled = !w.negative_ids.empty();
    PairBatchGradients<S> g;
    auto take = [&g, sampled](const auto& result) {
        g.loss = result.loss;
        g.anchors = result.grad_anchors.data();
        g.positives = result.grad_positives.data();
        g.negatives = sampled ? result.grad_negatives.data() : nullptr;
    };
    // In-batch masks: a duplicate of the positive, or the anchor itself in a shared table, is no negative.
    if (o.loss == PairLoss::infonce || o.loss == PairLoss::mnrl) {
        w.positive_labels = w.positive_ids;
        if (o.two_tower) {
            w.anchor_labels.clear();
        } else {
            w.anchor_labels = w.anchor_ids;
        }
    }
    switch (o.loss) {
        case PairLoss::infonce:
            if (sampled) {
                infonce_loss(w.anchors, w.positives, w.negatives, o.infonce, w.infonce);
            } else {
                infonce_in_batch_loss(w.anchors, w.positives, w.anchor_labels, w.positive_labels, o.infonce, w.infonce);
            }
            take(w.infonce);
            break;
        case PairLoss::mnrl: {
            w.no_negatives.resize(0, dim);
            const RowMatrix<S>& hard = sampled ? w.negatives : w.no_negatives;
            mnrl_loss(w.anchors, w.positives, hard, w.anchor_labels, w.positive_labels, o.mnrl, w.infonce);
            take(w.infonce);
            break;
        }
        case PairLoss::logistic:
            logistic_loss(w.anchors, w.positives, w.negatives, w.logistic);
            take(w.logistic);
            break;
        case PairLoss::nt_xent:
            nt_xent_loss(w.anchors, w.positives, o.nt_xent, w.nt_xent);
            g.loss = w.nt_xent.loss;
            g.anchors = w.nt_xent.grad_first.data();
            g.positives = w.nt_xent.grad_second.data();
            break;
        case PairLoss::triplet:
            if (sampled) {
                triplet_loss(w.anchors, w.positives, w.negatives, o.triplet, w.triplet);
                take(w.triplet);
                break;
            }
            {
                w.stacked.resize(2 * b, dim);
                w.stacked.topRows(b) = w.anchors;
                w.stacked.bottomRows(b) = w.positives;
                // Row j is a positive of row i when their items form a pair of this batch, ignored
                // when it is the same item, and a negative otherwise. (Labels would make this
                // relation transitive and could merge a whole connected batch into one class.)
                const auto nb = static_cast<std::size_t>(b);
                w.keys.resize(2 * nb);
                const std::int64_t tower = o.two_tower ? 1 : 0;
                w.links.clear();
                for (std::size_t k = 0; k < nb; ++k) {
                    w.keys[k] = std::int64_t{w.anchor_ids[k]} * 2;
                    w.keys[nb + k] = std::int64_t{w.positive_ids[k]} * 2 + tower;
                    w.links.emplace_back(w.keys[k], w.keys[nb + k]);
                    w.links.emplace_back(w.keys[nb + k], w.keys[k]);
                }
                std::sort(w.links.begin(), w.links.end());
                const auto& keys = w.keys;
                const auto& links = w.links;
                auto relation = [&keys, &links](Eigen::Index i, Eigen::Index j) {
                    const std::int64_t ki = keys[static_cast<std::size_t>(i)];
                    const std::int64_t kj = keys[static_cast<std::size_t>(j)];
                    if (ki == kj) return 0;
                    return std::binary_search(links.begin(), links.end(), std::make_pair(ki, kj)) ? 1 : -1;
                };
                mined_triplet_loss(w.stacked, relation, o.triplet, w.mined);
                g.loss = w.mined.loss;
                g.anchors = w.mined.grad_embeddings.data();
                g.positives = w.mined.grad_embeddings.data() + b * dim;
            }
            break;
    }
    return g;
}

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
    using S = Scalar;
    validate(options);
    pairs.check("train_pairs");
    if (pairs.empty()) throw invalid_argument("train_pairs: there are no pairs");
    if (pairs.separate_key_spaces && !options.two_tower) {
        throw invalid_argument("train_pairs: anchors and positives have separate key spaces; set two_tower");
    }
    const std::size_t n = pairs.size();
    const int k = options.negatives_per_pair();
    const unsigned threads = detail::resolve_threads(options.threads);
    const auto dim = static_cast<Eigen::Index>(options.dim);

    PairModel<S> model;
    model.options = options;
    model.anchor_keys = pairs.anchor_keys;
    EmbeddingOptions init;
    init.init = Init::normal;
    init.sigma = options.init_sigma;
    init.threads = threads;
    init.seed = detail::stream_seed(options.seed, 1);
    model.anchor_vectors = std::move(Embedding<S>(static_cast<Eigen::Index>(pairs.anchor_rows()), dim, init).weights());
    if (options.two_tower) {
        model.positive_keys = pairs.positive_keys();
        init.seed = detail::stream_seed(options.seed, 2);
        model.positive_vectors =
            std::move(Embedding<S>(static_cast<Eigen::Index>(pairs.positive_rows()), dim, init).weights());
    }
    RowMatrix<S>& anchor_table = model.anchor_vectors;
    RowMatrix<S>& positive_table = options.two_tower ? model.positive_vectors : model.anchor_vectors;
    const bool adagrad = options.optimizer == PairOptimizer::adagrad;
    RowMatrix<S> anchor_accumulators, positive_accumulators;
    if (adagrad) {
        const S a0 = static_cast<S>(options.adagrad_initial_accumulator);
        anchor_accumulators.setConstant(anchor_table.rows(), dim, a0);
        if (options.two_tower) positive_accumulators.setConstant(positive_table.rows(), dim, a0);
    }
    RowMatrix<S>* anchor_acc = adagrad ? &anchor_accumulators : nullptr;
    RowMatrix<S>* positive_acc = adagrad ? (options.two_tower ? &positive_accumulators : &anchor_accumulators) : nullptr;

    std::optional<AliasSampler> sampler;
    if (k > 0) {
        std::vector<std::int64_t> counts(pairs.positive_rows(), 0);
        for (const TokenId id : pairs.positives) ++counts[static_cast<std::size_t>(id)];
        sampler.emplace(make_unigram_sampler(counts, options.negative_power));
    }

    const auto batch = static_cast<std::size_t>(options.batch_size);
    const std::size_t batches = (n + batch - 1) / batch;
    const double total_pairs = static_cast<double>(n) * options.epochs;
    const double lr0 = options.initial_lr();
    std::vector<detail::PairWorkspace<S>> workspaces(threads);
    std::unique_ptr<detail::PairThreadStats[]> stats(new detail::PairThreadStats[threads]);
    std::atomic<std::uint64_t> pairs_done{0};
    std::atomic<bool> stop{false};
    bool cancelled_by_callback = false;
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    const auto start = std::chrono::steady_clock::now();
    auto seconds_since = [](std::chrono::steady_clock::time_point t) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    };
    auto last_report = start;
    double reported_loss = 0;
    std::uint64_t reported_pairs = 0;
    auto current_lr = [&](std::uint64_t done) {
        const double f = std::min(1.0, static_cast<double>(done) / total_pairs);
        return lr0 * std::max(options.min_lr_ratio, 1.0 - f);
    };
    // Called from the calling thread only.
    auto report = [&](int epoch, bool final) {
        double loss_sum = 0;
        std::uint64_t counted = 0;
        for (unsigned t = 0; t < threads; ++t) {
            loss_sum += stats[t].loss_sum.load(std::memory_order_relaxed);
            counted += stats[t].pairs.load(std::memory_order_relaxed);
        }
        const std::uint64_t done = pairs_done.load(std::memory_order_relaxed);
        TrainingProgress p;
        p.fraction = final ? 1.0 : std::min(1.0, static_cast<double>(done) / total_pairs);
        p.epoch = epoch;
        p.tokens_processed = done;
        p.elapsed_seconds = seconds_since(start);
        p.words_per_sec_per_thread = p.elapsed_seconds > 0 ? static_cast<double>(done) / p.elapsed_seconds / threads : 0.0;
        p.learning_rate = current_lr(done);
        p.loss = counted > reported_pairs ? (loss_sum - reported_loss) / static_cast<double>(counted - reported_pairs) : 0.0;
        reported_loss = loss_sum;
        reported_pairs = counted;
        last_report = std::chrono::steady_clock::now();
        if (!options.progress(p)) {
            cancelled_by_callback = true;
            stop.store(true, std::memory_order_relaxed);
        }
    };

    const std::uint64_t negative_stream = detail::stream_seed(options.seed, 3);
    for (int epoch = 0; epoch < options.epochs && !stop.load(std::memory_order_relaxed); ++epoch) {
        detail::Rng shuffle_rng(detail::stream_seed(detail::stream_seed(options.seed, 4), static_cast<std::uint64_t>(epoch)));
        for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[shuffle_rng.below(i)]);
        std::atomic<std::size_t> next_batch{0};
        double epoch_loss_before = 0;
        std::uint64_t epoch_pairs_before = 0;
        for (unsigned t = 0; t < threads; ++t) {
            epoch_loss_before += stats[t].loss_sum.load(std::memory_order_relaxed);
            epoch_pairs_before += stats[t].pairs.load(std::memory_order_relaxed);
        }
        detail::run_threads(threads, [&](unsigned t) {
            detail::PairWorkspace<S>& w = workspaces[t];
            detail::PairThreadStats& my = stats[t];
            try {
                while (!stop.load(std::memory_order_relaxed)) {
                    const std::size_t bi = next_batch.fetch_add(1, std::memory_order_relaxed);
                    if (bi >= batches) break;
                    const std::size_t begin = bi * batch;
                    const std::size_t end = std::min(n, begin + batch);
                    const std::size_t b = end - begin;
                    w.anchor_ids.resize(b);
                    w.positive_ids.resize(b);
                    for (std::size_t i = 0; i < b; ++i) {
                        w.anchor_ids[i] = pairs.anchors[order[begin + i]];
                        w.positive_ids[i] = pairs.positives[order[begin + i]];
                    }
                    w.negative_ids.clear();
                    if (k > 0) {
                        detail::Rng rng(detail::stream_seed(negative_stream, static_cast<std::uint64_t>(epoch) * batches + bi));
                        for (std::size_t i = 0; i < b; ++i) {
                            for (int j = 0; j < k; ++j) {
                                // A negative equal to the positive (or, in a shared table, to the
                                // anchor itself) teaches nothing or the impossible; redraw a few times.
                                const TokenId avoid = options.two_tower ? w.positive_ids[i] : w.anchor_ids[i];
                                TokenId neg = sampler->sample(rng);
                                for (int retry = 0; retry < 8 && (neg == w.positive_ids[i] || neg == avoid); ++retry) {
                                    neg = sampler->sample(rng);
                                }
                                w.negative_ids.push_back(neg);
                            }
                        }
                    }
                    detail::gather_rows(anchor_table, w.anchor_ids, w.anchors);
                    detail::gather_rows(positive_table, w.positive_ids, w.positives);
                    if (k > 0) detail::gather_rows(positive_table, w.negative_ids, w.negatives);

                    const detail::PairBatchGradients<S> r = detail::pair_batch_loss(options, w);
                    if (!std::isfinite(r.loss)) {
                        throw numeric_error("train_pairs: the loss became " + std::to_string(r.loss) + " in epoch " +
                                            std::to_string(epoch) + " (learning rate too high?)");
                    }
                    const std::uint64_t done =
                        pairs_done.fetch_add(b, std::memory_order_relaxed) + static_cast<std::uint64_t>(b);
                    const S lr = static_cast<S>(current_lr(done));
                    const S scale = static_cast<S>(b);
                    auto& first = w.updates[0];
                    auto& second = options.two_tower ? w.updates[1] : w.updates[0];
                    detail::add_updates<S>(first, w.anchor_ids, r.anchors, dim);
                    detail::add_updates<S>(second, w.positive_ids, r.positives, dim);
                    if (r.negatives != nullptr) detail::add_updates<S>(second, w.negative_ids, r.negatives, dim);
                    detail::apply_updates<S>(first, anchor_table, anchor_acc, lr, scale, w.sum);
                    if (options.two_tower) detail::apply_updates<S>(second, positive_table, positive_acc, lr, scale, w.sum);

                    my.loss_sum.store(my.loss_sum.load(std::memory_order_relaxed) +
                                          static_cast<double>(r.loss) * static_cast<double>(b),
                                      std::memory_order_relaxed);
                    my.pairs.store(my.pairs.load(std::memory_order_relaxed) + b, std::memory_order_relaxed);
                    if (t == 0 && options.progress && seconds_since(last_report) >= options.progress_interval) {
                        report(epoch, false);
                    }
                }
            } catch (...) {
                stop.store(true, std::memory_order_relaxed);
                throw;
            }
        });
        double epoch_loss = 0;
        std::uint64_t epoch_pairs = 0;
        for (unsigned t = 0; t < threads; ++t) {
            epoch_loss += stats[t].loss_sum.load(std::memory_order_relaxed);
            epoch_pairs += stats[t].pairs.load(std::memory_order_relaxed);
        }
        if (epoch_pairs > epoch_pairs_before) {
            model.epoch_loss.push_back((epoch_loss - epoch_loss_before) / static_cast<double>(epoch_pairs - epoch_pairs_before));
        }
    }
    if (cancelled_by_callback) throw cancelled("train_pairs: cancelled by the progress callback");
    if (!anchor_table.allFinite() || !positive_table.allFinite()) {
        throw numeric_error("train_pairs: the vectors contain NaN or Inf (learning rate too high?)");
    }
    if (options.progress) report(options.epochs - 1, true);
    return model;
}

}  // namespace embedkit
