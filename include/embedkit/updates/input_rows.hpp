#pragma once

// A word's input vector as the rules read it: its own row (plain Word2Vec), or the mean of its
// own row and its n-gram rows (fastText), composed from the rows InputRows lists.

#include "embedkit/detail/hogwild.hpp"
#include "embedkit/detail/prefetch.hpp"
#include "embedkit/updates/word2vec_layers.hpp"

#include <cstdint>

namespace embedkit::updates {

/// Calls f(row pointer) for every input row of `word`.
template <class S, class F>
void for_each_input_row(const Word2VecLayers<S>& l, TokenId word, F&& f) {
    if (l.inputs->plain()) {
        f(l.input->row(word).data());
        return;
    }
    const auto w = static_cast<std::size_t>(word);
    for (std::int64_t r = l.inputs->offsets[w]; r < l.inputs->offsets[w + 1]; ++r) {
        f(l.input->row(l.inputs->rows[static_cast<std::size_t>(r)]).data());
    }
}

/// hidden = the composed input of rows [begin, end) of InputRows: their mean, or (gensim's
/// scale) their sum divided by the number of n-gram rows.
template <class S>
void compose_input(const Word2VecLayers<S>& l, S* hidden, std::int64_t begin, std::int64_t end) {
    const int dim = l.options->dim;
    const auto& rows = l.inputs->rows;
    detail::hogwild_copy<S>(l.input->row(rows[static_cast<std::size_t>(begin)]).data(), hidden, dim);
    for (std::int64_t r = begin + 1; r < end; ++r) {
        detail::hogwild_axpy<S>(S(1), l.input->row(rows[static_cast<std::size_t>(r)]).data(), hidden, dim);
    }
    const std::int64_t divisor = l.composed.gensim_input_scale && end - begin > 1 ? end - begin - 1 : end - begin;
    if (divisor > 1) detail::RowMap<S>(hidden, dim) /= static_cast<S>(divisor);
}

/// Adds `gradient` to rows [begin, end) of InputRows.
template <class S>
void add_to_input_rows(const Word2VecLayers<S>& l, const S* gradient, std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
        detail::hogwild_axpy<S>(S(1), gradient, l.input->row(l.inputs->rows[static_cast<std::size_t>(r)]).data(),
                                l.options->dim);
    }
}

template <class S>
void prefetch_input_rows(const Word2VecLayers<S>& l, TokenId word) {
    for_each_input_row(l, word, [&](S* row) { detail::prefetch_row(row, l.options->dim); });
}

}  // namespace embedkit::updates
