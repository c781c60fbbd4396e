#pragma once

// CBOW: the mean (or sum) of the context words' inputs predicts the centre word; the input's
// gradient goes to every context row. Plain and composed (fastText) inputs alike.

#include "embedkit/updates/context_window.hpp"
#include "embedkit/updates/input_rows.hpp"
#include "embedkit/updates/output_layer.hpp"

namespace embedkit::updates {

template <class S>
void cbow_sentence(const Word2VecLayers<S>& l, Word2VecWorkspace<S>& ws, S lr) {
    const int n = static_cast<int>(ws.sentence.size());
    const int window = l.options->window;
    const int dim = l.options->dim;
    for (int pos = 0; pos < n; ++pos) {
        const ContextWindow w = draw_context_window(ws.rng, pos, n, window);
        const TokenId centre = ws.sentence[static_cast<std::size_t>(pos)];
        ws.negatives.clear();
        draw_negatives(l, ws);
        prefetch_output_row(l, centre);
        // The word that enters the window next (the others are in cache from this window).
        if (pos + window + 1 < n) prefetch_input_rows(l, ws.sentence[static_cast<std::size_t>(pos + window + 1)]);
        ws.hidden.setZero();
        std::int64_t rows_in_hidden = 0;
        for (int c = w.lo; c <= w.hi; ++c) {
            if (c == pos) continue;
            for_each_input_row(l, ws.sentence[static_cast<std::size_t>(c)], [&](S* row) {
                detail::hogwild_axpy<S>(S(1), row, ws.hidden.data(), dim);
                ++rows_in_hidden;
            });
        }
        if (rows_in_hidden == 0) continue;
        if (l.options->cbow_mean) ws.hidden /= static_cast<S>(rows_in_hidden);
        ws.gradient.setZero();
        output_step(l, ws, ws.hidden.data(), centre, ws.negatives.data(), lr);
        for (int c = w.lo; c <= w.hi; ++c) {
            if (c == pos) continue;
            for_each_input_row(l, ws.sentence[static_cast<std::size_t>(c)],
                               [&](S* row) { detail::hogwild_axpy<S>(S(1), ws.gradient.data(), row, dim); });
        }
    }
}

}  // namespace embedkit::updates
