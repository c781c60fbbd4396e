#pragma once

// The output side of one Word2Vec prediction, shared by every rule: the input vector `hidden`
// predicts `target` against drawn negatives (negative sampling) and/or along the target's
// Huffman path (hierarchical softmax). Each output row steps at once; the input's gradient is
// summed in ws.gradient for the rule to apply to the input rows.

#include "embedkit/detail/hogwild.hpp"
#include "embedkit/detail/prefetch.hpp"
#include "embedkit/updates/word2vec_layers.hpp"

#include <cstdint>

namespace embedkit::updates {

/// Appends one prediction's negatives (options->negative draws) to ws.negatives and prefetches
/// their output rows.
template <class S>
void draw_negatives(const Word2VecLayers<S>& l, Word2VecWorkspace<S>& ws) {
    for (int d = 0; d < l.options->negative; ++d) {
        const TokenId sample = l.sampler->sample(ws.rng);
        ws.negatives.push_back(sample);
        detail::prefetch_row(l.output_negative->row(sample).data(), l.options->dim);
    }
}

template <class S>
void prefetch_output_row(const Word2VecLayers<S>& l, TokenId word) {
    if (l.options->negative > 0) detail::prefetch_row(l.output_negative->row(word).data(), l.options->dim);
}

/// One prediction of `target` from `hidden`, against `negatives` (options->negative ids drawn
/// ahead; a draw equal to the target is skipped): updates the output rows, adds the input's
/// gradient to ws.gradient, and counts the loss.
template <class S>
void output_step(const Word2VecLayers<S>& l, Word2VecWorkspace<S>& ws, const S* hidden, TokenId target,
                 const TokenId* negatives, S lr) {
    const int dim = l.options->dim;
    const detail::SigmoidTable& table = *l.table;
    double loss = 0;
    if (l.options->negative > 0) {
        // All scores first: the 1 + K dot products are independent and overlap in the pipeline
        // (~10% on fastText, bench_train); then each output row's step.
        S** rows = ws.target_rows.data();
        float* labels = ws.labels.data();
        S* scores = ws.scores.data();
        int targets = 0;
        for (int d = 0; d <= l.options->negative; ++d) {
            const TokenId sample = d == 0 ? target : negatives[d - 1];
            if (d > 0 && sample == target) continue;
            rows[targets] = l.output_negative->row(sample).data();
            labels[targets] = d == 0 ? 1.0f : 0.0f;
            ++targets;
        }
        for (int t = 0; t < targets; ++t) scores[t] = detail::hogwild_dot<S>(hidden, rows[t], dim);
        for (int t = 0; t < targets; ++t) {
            const float f = static_cast<float>(scores[t]);
            loss -= labels[t] > 0 ? table.log_sigmoid(f) : table.log_sigmoid(-f);
            const S g = static_cast<S>(labels[t] - table.sigmoid(f)) * lr;
            detail::hogwild_output_step<S>(g, hidden, rows[t], ws.gradient.data(), dim);
        }
    }
    if (l.options->hierarchical_softmax) {
        const std::size_t length = l.tree->code_length(target);
        const std::uint32_t* path = l.tree->path(target);
        const std::uint8_t* code = l.tree->code(target);
        for (std::size_t d = 0; d < length; ++d) {
            S* out = l.output_hs->row(path[d]).data();
            const float f = static_cast<float>(detail::hogwild_dot<S>(hidden, out, dim));
            // Branch 0 is the positive class, as in word2vec.c: p(branch) = sigma(f) for code 0.
            const float label = 1.0f - static_cast<float>(code[d]);
            loss -= code[d] == 0 ? table.log_sigmoid(f) : table.log_sigmoid(-f);
            const S g = static_cast<S>(label - table.sigmoid(f)) * lr;
            detail::hogwild_output_step<S>(g, hidden, out, ws.gradient.data(), dim);
        }
    }
    ws.loss += loss;
    ++ws.predictions;
}

}  // namespace embedkit::updates
