#pragma once

// Skip-gram, one prediction at a time (word2vec.c): every context word's input predicts the
// centre word, each with its own negatives and/or Huffman path. Used with hierarchical softmax,
// and when shared negatives are off.

#include "embedkit/updates/context_window.hpp"
#include "embedkit/updates/input_rows.hpp"
#include "embedkit/updates/output_layer.hpp"

namespace embedkit::updates {

/// One prediction: the input vector of `context` predicts `target`.
template <class S>
void skipgram_pair(const Word2VecLayers<S>& l, Word2VecWorkspace<S>& ws, TokenId context, TokenId target, S lr) {
    const int dim = l.options->dim;
    ws.gradient.setZero();
    ws.negatives.clear();
    draw_negatives(l, ws);
    if (l.inputs->plain()) {
        S* row = l.input->row(context).data();
        output_step(l, ws, row, target, ws.negatives.data(), lr);
        detail::hogwild_axpy<S>(S(1), ws.gradient.data(), row, dim);
        return;
    }
    const std::int64_t begin = l.inputs->offsets[static_cast<std::size_t>(context)];
    const std::int64_t end = l.inputs->offsets[static_cast<std::size_t>(context) + 1];
    compose_input(l, ws.hidden.data(), begin, end);
    output_step(l, ws, ws.hidden.data(), target, ws.negatives.data(), lr);
    add_to_input_rows(l, ws.gradient.data(), begin, end);
}

/// Skip-gram over ws.sentence with plain inputs, one prediction per (context, centre) pair.
template <class S>
void skipgram_sentence(const Word2VecLayers<S>& l, Word2VecWorkspace<S>& ws, S lr) {
    const int n = static_cast<int>(ws.sentence.size());
    for (int pos = 0; pos < n; ++pos) {
        const ContextWindow w = draw_context_window(ws.rng, pos, n, l.options->window);
        const TokenId target = ws.sentence[static_cast<std::size_t>(pos)];
        for (int c = w.lo; c <= w.hi; ++c) {
            if (c == pos) continue;
            skipgram_pair(l, ws, ws.sentence[static_cast<std::size_t>(c)], target, lr);
        }
    }
}

}  // namespace embedkit::updates
