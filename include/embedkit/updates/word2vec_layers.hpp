#pragma once

// What every Word2Vec update rule reads and writes: the options, the parameter matrices, how
// inputs are composed (plain or fastText's n-gram rows), the negative sampler, the Huffman tree
// and the sigmoid table; and each worker's scratch space. The rules themselves are the other
// headers of updates/, one per way of turning a sentence into updates.

#include "embedkit/core/alias_sampler.hpp"
#include "embedkit/core/huffman_tree.hpp"
#include "embedkit/core/input_rows.hpp"
#include "embedkit/detail/rng.hpp"
#include "embedkit/detail/sigmoid_table.hpp"
#include "embedkit/models/word2vec_options.hpp"
#include "embedkit/types.hpp"

#include <cstdint>
#include <vector>

namespace embedkit::updates {

/// How a composed (fastText) input is formed and trained.
struct ComposedInputs {
    /// Skip-gram: the centre word's input is the sum of its rows divided by the number of rows
    /// after its own (gensim 4), instead of by all of them (their mean, as fastText).
    bool gensim_input_scale = false;
    /// Skip-gram: compose the centre word's input anew for every prediction and update its rows
    /// after each (fastText, gensim), instead of once per centre word with the summed gradient.
    bool update_per_prediction = false;
};

template <class S>
struct Word2VecLayers {
    const Word2VecOptions* options = nullptr;
    RowMatrix<S>* input = nullptr;
    RowMatrix<S>* output_negative = nullptr;  ///< with negative sampling
    RowMatrix<S>* output_hs = nullptr;        ///< with hierarchical softmax: one row per inner node of `tree`
    const InputRows* inputs = nullptr;        ///< plain(): word w's input is row w
    ComposedInputs composed;
    const AliasSampler* sampler = nullptr;    ///< with negative sampling
    const HuffmanTree* tree = nullptr;        ///< with hierarchical softmax
    const detail::SigmoidTable* table = nullptr;
};

/// One worker's scratch space and running loss.
template <class S>
struct Word2VecWorkspace {
    detail::Rng rng;
    std::vector<TokenId> sentence;
    std::vector<TokenId> negatives;  // drawn ahead of use, so their rows can be prefetched
    RowVector<S> hidden;
    RowVector<S> gradient;
    double loss = 0;
    std::uint64_t predictions = 0;
    // Output-step and shared-negative skip-gram scratch.
    std::vector<S*> context_rows;
    std::vector<S*> target_rows;
    std::vector<float> labels;
    std::vector<S> scores;
    RowMatrix<S> context_gradients;

    Word2VecWorkspace(int dim, int negative) {
        hidden.resize(dim);
        gradient.resize(dim);
        sentence.reserve(1024);
        target_rows.resize(static_cast<std::size_t>(negative) + 1);
        labels.resize(static_cast<std::size_t>(negative) + 1);
        scores.resize(static_cast<std::size_t>(negative) + 1);
    }
};

}  // namespace embedkit::updates
