#pragma once

// Skip-gram when inputs are composed of several rows (fastText): as in fastText, the centre
// word's input vector (the mean of its rows) predicts each word of its window. By default the
// mean is composed once per centre word, and its rows receive the summed gradient of all these
// predictions once, at the end: with ~20 rows per word, composing and updating them per
// prediction would be most of the work (ComposedInputs::update_per_prediction does that).

#include "embedkit/updates/context_window.hpp"
#include "embedkit/updates/input_rows.hpp"
#include "embedkit/updates/output_layer.hpp"
#include "embedkit/updates/skipgram.hpp"

namespace embedkit::updates {

template <class S>
void skipgram_composed_sentence(const Word2VecLayers<S>& l, Word2VecWorkspace<S>& ws, S lr) {
    const int n = static_cast<int>(ws.sentence.size());
    for (int pos = 0; pos < n; ++pos) {
        const ContextWindow w = draw_context_window(ws.rng, pos, n, l.options->window);
        if (w.lo == w.hi) continue;  // no context word
        if (l.composed.update_per_prediction) {
            for (int c = w.lo; c <= w.hi; ++c) {
                if (c != pos) skipgram_pair(l, ws, ws.sentence[static_cast<std::size_t>(pos)], ws.sentence[static_cast<std::size_t>(c)], lr);
            }
            continue;
        }
        const auto centre = static_cast<std::size_t>(ws.sentence[static_cast<std::size_t>(pos)]);
        const std::int64_t begin = l.inputs->offsets[centre];
        const std::int64_t end = l.inputs->offsets[centre + 1];
        // Every row this window will touch is known now: ask for all of them at once, and for the
        // next centre word's n-gram rows, while the rows already here are worked on.
        if (pos + 1 < n) prefetch_input_rows(l, ws.sentence[static_cast<std::size_t>(pos) + 1]);
        ws.negatives.clear();
        for (int c = w.lo; c <= w.hi; ++c) {
            if (c == pos) continue;
            prefetch_output_row(l, ws.sentence[static_cast<std::size_t>(c)]);
            draw_negatives(l, ws);
        }
        compose_input(l, ws.hidden.data(), begin, end);
        ws.gradient.setZero();
        const TokenId* negatives = ws.negatives.data();
        for (int c = w.lo; c <= w.hi; ++c) {
            if (c == pos) continue;
            output_step(l, ws, ws.hidden.data(), ws.sentence[static_cast<std::size_t>(c)], negatives, lr);
            negatives += l.options->negative;
        }
        add_to_input_rows(l, ws.gradient.data(), begin, end);
    }
}

}  // namespace embedkit::updates
