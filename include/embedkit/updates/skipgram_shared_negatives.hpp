#pragma once

// Skip-gram with negative sampling where the context words of one centre word share its
// negatives (Ji et al. 2016): per centre word, m context rows against 1 + K output rows. The same
// arithmetic as m separate predictions, but K random rows are fetched per centre word instead of
// m x K, and the output rows are updated once with the summed gradient.

#include "embedkit/updates/context_window.hpp"
#include "embedkit/updates/output_layer.hpp"

namespace embedkit::updates {

template <class S>
void skipgram_shared_negatives_sentence(const Word2VecLayers<S>& l, Word2VecWorkspace<S>& ws, S lr) {
    const int n = static_cast<int>(ws.sentence.size());
    const int window = l.options->window;
    const int dim = l.options->dim;
    const int k = l.options->negative;
    const detail::SigmoidTable& table = *l.table;
    ws.context_rows.resize(static_cast<std::size_t>(2 * window));
    ws.target_rows.resize(static_cast<std::size_t>(k + 1));
    ws.labels.resize(static_cast<std::size_t>(k + 1));
    ws.scores.resize(static_cast<std::size_t>(2 * window * (k + 1)));
    ws.context_gradients.resize(2 * window, dim);
    for (int pos = 0; pos < n; ++pos) {
        const ContextWindow w = draw_context_window(ws.rng, pos, n, window);
        const TokenId centre = ws.sentence[static_cast<std::size_t>(pos)];
        int m = 0;
        for (int c = w.lo; c <= w.hi; ++c) {
            if (c != pos) ws.context_rows[static_cast<std::size_t>(m++)] = l.input->row(ws.sentence[static_cast<std::size_t>(c)]).data();
        }
        if (m == 0) continue;
        int targets = 0;
        for (int d = 0; d <= k; ++d) {
            const TokenId sample = d == 0 ? centre : l.sampler->sample(ws.rng);
            if (d > 0 && sample == centre) continue;
            ws.target_rows[static_cast<std::size_t>(targets)] = l.output_negative->row(sample).data();
            detail::prefetch_row(ws.target_rows[static_cast<std::size_t>(targets)], dim);
            ws.labels[static_cast<std::size_t>(targets)] = d == 0 ? 1.0f : 0.0f;
            ++targets;
        }
        // Scores and gradient coefficients, then the context gradients from the old output rows,
        // then the output rows from the old context rows, then the context rows.
        double loss = 0;
        for (int j = 0; j < m; ++j) {
            for (int t = 0; t < targets; ++t) {
                const float f = static_cast<float>(detail::hogwild_dot<S>(ws.context_rows[static_cast<std::size_t>(j)],
                                                                          ws.target_rows[static_cast<std::size_t>(t)], dim));
                const float label = ws.labels[static_cast<std::size_t>(t)];
                loss -= label > 0 ? table.log_sigmoid(f) : table.log_sigmoid(-f);
                ws.scores[static_cast<std::size_t>(j * targets + t)] = static_cast<S>(label - table.sigmoid(f)) * lr;
            }
        }
        for (int j = 0; j < m; ++j) {
            S* grad = ws.context_gradients.row(j).data();
            detail::RowMap<S>(grad, dim).setZero();
            for (int t = 0; t < targets; ++t) {
                detail::hogwild_axpy<S>(ws.scores[static_cast<std::size_t>(j * targets + t)],
                                        ws.target_rows[static_cast<std::size_t>(t)], grad, dim);
            }
        }
        for (int t = 0; t < targets; ++t) {
            for (int j = 0; j < m; ++j) {
                detail::hogwild_axpy<S>(ws.scores[static_cast<std::size_t>(j * targets + t)],
                                        ws.context_rows[static_cast<std::size_t>(j)],
                                        ws.target_rows[static_cast<std::size_t>(t)], dim);
            }
        }
        for (int j = 0; j < m; ++j) {
            detail::hogwild_axpy<S>(S(1), ws.context_gradients.row(j).data(), ws.context_rows[static_cast<std::size_t>(j)], dim);
        }
        ws.loss += loss;
        ws.predictions += static_cast<std::uint64_t>(m);
    }
}

}  // namespace embedkit::updates
