#pragma once

// The pair trainer's update rule for one mini-batch of (anchor, positive) pairs: draw the sampled
// negatives, copy the rows the batch touches out of the shared tables, score them with one of the
// losses of losses/ (the trainer chooses which, see pair_batch_loss), and step the rows it touched
// with the gradient of the batch's summed loss: sparse AdaGrad (one step per distinct row with its
// summed gradient) or SGD (row by row).

#include "embedkit/core/alias_sampler.hpp"
#include "embedkit/detail/hogwild.hpp"
#include "embedkit/detail/rng.hpp"
#include "embedkit/losses/infonce.hpp"
#include "embedkit/losses/logistic.hpp"
#include "embedkit/losses/mnrl.hpp"
#include "embedkit/losses/nt_xent.hpp"
#include "embedkit/losses/triplet.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace embedkit::updates {

/// The shared parameters: one table (anchors == positives) or two towers, and AdaGrad's
/// accumulators of each (null with SGD; the same matrix twice with one table).
template <class S>
struct PairTables {
    RowMatrix<S>* anchors = nullptr;
    RowMatrix<S>* positives = nullptr;
    RowMatrix<S>* anchor_accumulators = nullptr;
    RowMatrix<S>* positive_accumulators = nullptr;
    bool two_tower = false;
};

/// One worker's workspace: ids and rows of the current batch, and the update buffers.
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

/// The loss of one batch and where its gradients with respect to the gathered rows are (rows of
/// the workspace's result matrices; `negatives` is null without sampled negatives).
template <class S>
struct PairBatchGradients {
    S loss = 0;
    const S* anchors = nullptr;
    const S* positives = nullptr;
    const S* negatives = nullptr;
};

/// Draws k negatives per pair of the batch into w.negative_ids. A negative equal to the positive
/// (or, in a shared table, to the anchor itself) teaches nothing or the impossible; it is redrawn
/// a few times.
template <class S>
void draw_pair_negatives(const AliasSampler& sampler, int k, bool two_tower, detail::Rng& rng, PairWorkspace<S>& w) {
    w.negative_ids.clear();
    for (std::size_t i = 0; i < w.anchor_ids.size(); ++i) {
        for (int j = 0; j < k; ++j) {
            const TokenId avoid = two_tower ? w.positive_ids[i] : w.anchor_ids[i];
            TokenId neg = sampler.sample(rng);
            for (int retry = 0; retry < 8 && (neg == w.positive_ids[i] || neg == avoid); ++retry) neg = sampler.sample(rng);
            w.negative_ids.push_back(neg);
        }
    }
}

/// Copies the shared rows `ids` of `table` into `out` (Hogwild reads).
template <class S>
void gather_rows(const RowMatrix<S>& table, const std::vector<TokenId>& ids, RowMatrix<S>& out) {
    const auto dim = static_cast<int>(table.cols());
    out.resize(static_cast<Eigen::Index>(ids.size()), table.cols());
    for (std::size_t k = 0; k < ids.size(); ++k) {
        detail::hogwild_copy(table.row(ids[k]).data(), out.row(static_cast<Eigen::Index>(k)).data(), dim);
    }
}

/// Copies the batch's anchor, positive and negative rows into the workspace.
template <class S>
void gather_pair_rows(const PairTables<S>& t, PairWorkspace<S>& w) {
    gather_rows(*t.anchors, w.anchor_ids, w.anchors);
    gather_rows(*t.positives, w.positive_ids, w.positives);
    if (!w.negative_ids.empty()) gather_rows(*t.positives, w.negative_ids, w.negatives);
}

// The losses, each scoring the gathered batch (with sampled negatives when w.negative_ids is not
// empty). InfoNCE and MNRL mask in-batch candidates: a duplicate of the positive, or the anchor
// itself in a shared table, is no negative.

template <class S>
void mask_in_batch_duplicates(PairWorkspace<S>& w, bool two_tower) {
    w.positive_labels = w.positive_ids;
    if (two_tower) {
        w.anchor_labels.clear();
    } else {
        w.anchor_labels = w.anchor_ids;
    }
}

template <class S, class Result>
PairBatchGradients<S> gradients_of(const Result& result, const PairWorkspace<S>& w) {
    return {result.loss, result.grad_anchors.data(), result.grad_positives.data(),
            w.negative_ids.empty() ? nullptr : result.grad_negatives.data()};
}

template <class S>
PairBatchGradients<S> infonce_batch(PairWorkspace<S>& w, const InfoNceOptions& o, bool two_tower) {
    mask_in_batch_duplicates(w, two_tower);
    if (!w.negative_ids.empty()) {
        infonce_loss(w.anchors, w.positives, w.negatives, o, w.infonce);
    } else {
        infonce_in_batch_loss(w.anchors, w.positives, w.anchor_labels, w.positive_labels, o, w.infonce);
    }
    return gradients_of(w.infonce, w);
}

template <class S>
PairBatchGradients<S> mnrl_batch(PairWorkspace<S>& w, const MnrlOptions& o, bool two_tower) {
    mask_in_batch_duplicates(w, two_tower);
    w.no_negatives.resize(0, w.anchors.cols());
    const RowMatrix<S>& hard = w.negative_ids.empty() ? w.no_negatives : w.negatives;
    mnrl_loss(w.anchors, w.positives, hard, w.anchor_labels, w.positive_labels, o, w.infonce);
    return gradients_of(w.infonce, w);
}

template <class S>
PairBatchGradients<S> logistic_batch(PairWorkspace<S>& w) {
    logistic_loss(w.anchors, w.positives, w.negatives, w.logistic);
    return gradients_of(w.logistic, w);
}

template <class S>
PairBatchGradients<S> nt_xent_batch(PairWorkspace<S>& w, const NtXentOptions& o) {
    nt_xent_loss(w.anchors, w.positives, o, w.nt_xent);
    return {w.nt_xent.loss, w.nt_xent.grad_first.data(), w.nt_xent.grad_second.data(), nullptr};
}

template <class S>
PairBatchGradients<S> triplet_batch(PairWorkspace<S>& w, const TripletOptions& o) {
    triplet_loss(w.anchors, w.positives, w.negatives, o, w.triplet);
    return gradients_of(w.triplet, w);
}

/// Triplets mined among the 2B rows of the batch: row j is a positive of row i when their items
/// form a pair of this batch, ignored when it is the same item, and a negative otherwise. (Labels
/// would make this relation transitive and could merge a whole connected batch into one class.)
template <class S>
PairBatchGradients<S> mined_triplet_batch(PairWorkspace<S>& w, const TripletOptions& o, bool two_tower) {
    const auto b = static_cast<Eigen::Index>(w.anchor_ids.size());
    const Eigen::Index dim = w.anchors.cols();
    w.stacked.resize(2 * b, dim);
    w.stacked.topRows(b) = w.anchors;
    w.stacked.bottomRows(b) = w.positives;
    const auto nb = static_cast<std::size_t>(b);
    w.keys.resize(2 * nb);
    const std::int64_t tower = two_tower ? 1 : 0;
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
    detail::mined_triplet_loss(w.stacked, relation, o, w.mined);
    return {w.mined.loss, w.mined.grad_embeddings.data(), w.mined.grad_embeddings.data() + b * dim, nullptr};
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
        for (const Entry& e : list) detail::hogwild_axpy(step, e.grad, table.row(e.id).data(), n);
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
        detail::hogwild_adagrad(sum.data(), table.row(id).data(), accumulators->row(id).data(), lr, S(1e-10), n);
        k = end;
    }
    list.clear();
}

/// Steps the rows the batch touched with `g` (the gradient of the batch's mean loss) times the
/// batch size, at rate lr: the anchors' rows, then (in the positive table) the positives' and
/// the negatives'.
template <class S>
void apply_pair_gradients(const PairTables<S>& t, PairWorkspace<S>& w, const PairBatchGradients<S>& g, S lr) {
    const Eigen::Index dim = t.anchors->cols();
    const S scale = static_cast<S>(w.anchor_ids.size());
    auto& first = w.updates[0];
    auto& second = t.two_tower ? w.updates[1] : w.updates[0];
    add_updates<S>(first, w.anchor_ids, g.anchors, dim);
    add_updates<S>(second, w.positive_ids, g.positives, dim);
    if (g.negatives != nullptr) add_updates<S>(second, w.negative_ids, g.negatives, dim);
    apply_updates<S>(first, *t.anchors, t.anchor_accumulators, lr, scale, w.sum);
    if (t.two_tower) apply_updates<S>(second, *t.positives, t.positive_accumulators, lr, scale, w.sum);
}

}  // namespace embedkit::updates
