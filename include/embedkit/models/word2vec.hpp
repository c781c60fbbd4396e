#pragma once

#include "embedkit/core/embedding.hpp"
#include "embedkit/core/training_progress.hpp"
#include "embedkit/core/word_vectors.hpp"
#include "embedkit/detail/parallel.hpp"
#include "embedkit/detail/word2vec_engine.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/text/corpus.hpp"
#include "embedkit/text/vocab.hpp"
#include "embedkit/types.hpp"

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace embedkit {

enum class Word2VecArchitecture { skipgram, cbow };

/// Options of `train_word2vec`. Defaults are word2vec.c's unless noted.
struct Word2VecOptions {
    Word2VecArchitecture architecture = Word2VecArchitecture::skipgram;
    int dim = 100;
    int window = 5;            ///< maximum distance; the effective window is drawn from 1..window per word
    int negative = 5;          ///< negative samples per prediction (unigram^0.75); 0 disables
    bool hierarchical_softmax = false;  ///< alone (negative = 0) or with negative sampling
    double sample = 1e-3;      ///< subsampling threshold t; 0 keeps every word
    std::int64_t min_count = 5;  ///< used when the trainer builds the vocabulary (train_word2vec_file)
    int epochs = 5;
    std::optional<double> lr;  ///< initial learning rate; unset: 0.025 (skip-gram) or 0.05 (CBOW)
    double min_lr_ratio = 1e-4;  ///< the rate decays linearly to lr * min_lr_ratio over the run
    bool cbow_mean = true;     ///< CBOW: mean of the context vectors (false: their sum)
    /// Input vectors start uniform in +-init_scale/dim. 1 is gensim's and fastText's range
    /// (word2vec.c uses 0.5); it scored 0.7 points higher on analogies on text8-prefix.
    double init_scale = 1.0;
    /// Skip-gram with negative sampling: the context words of a centre word share one set of
    /// negatives (Ji et al. 2016). About 1.8x faster, and on text8-prefix as good on analogies
    /// and 3 points better on WS353 than a set per pair (docs/word2vec.md). Not used with
    /// hierarchical softmax.
    bool shared_negatives = true;
    unsigned threads = 0;      ///< 0: all cores
    std::uint64_t seed = 1;
    ProgressCallback progress;  ///< optional; may cancel the run
    double progress_interval = 1.0;  ///< seconds between progress reports
    /// Negatives are drawn in proportion to count^negative_power; 0 draws uniformly. Unset: 0.75
    /// (word2vec.c, gensim) for Word2Vec, 0.5 (fastText's) for train_fasttext.
    std::optional<double> negative_power;

    /// The learning rate the run starts with.
    [[nodiscard]] double initial_lr() const {
        return lr ? *lr : (architecture == Word2VecArchitecture::skipgram ? 0.025 : 0.05);
    }
};

/// Throws invalid_options naming the first bad field.
inline void validate(const Word2VecOptions& o) {
    auto fail = [](const std::string& field, const std::string& why) {
        throw invalid_options("Word2VecOptions." + field + " " + why);
    };
    if (o.dim <= 0) fail("dim", "must be positive (got " + std::to_string(o.dim) + ")");
    if (o.window <= 0) fail("window", "must be positive (got " + std::to_string(o.window) + ")");
    if (o.negative < 0) fail("negative", "must be >= 0 (got " + std::to_string(o.negative) + ")");
    if (o.negative == 0 && !o.hierarchical_softmax) {
        fail("negative", "is 0 and hierarchical_softmax is off: nothing to train");
    }
    if (!(o.sample >= 0) || !std::isfinite(o.sample)) fail("sample", "must be >= 0 (got " + std::to_string(o.sample) + ")");
    if (o.min_count < 1) fail("min_count", "must be >= 1 (got " + std::to_string(o.min_count) + ")");
    if (o.epochs <= 0) fail("epochs", "must be positive (got " + std::to_string(o.epochs) + ")");
    if (o.lr && !(*o.lr > 0 && std::isfinite(*o.lr))) fail("lr", "must be positive and finite (got " + std::to_string(*o.lr) + ")");
    if (!(o.min_lr_ratio >= 0 && o.min_lr_ratio <= 1)) fail("min_lr_ratio", "must be in [0, 1]");
    if (!(o.init_scale >= 0 && std::isfinite(o.init_scale))) fail("init_scale", "must be >= 0 and finite");
    if (!(o.progress_interval >= 0)) fail("progress_interval", "must be >= 0");
    if (o.negative_power && !(*o.negative_power >= 0 && *o.negative_power <= 4)) {
        fail("negative_power", "must be in [0, 4] (got " + std::to_string(*o.negative_power) + ")");
    }
}

/// A trained Word2Vec model: the vocabulary, the input vectors (the word vectors users want) and
/// the output layer(s).
template <class Scalar = float>
struct Word2VecModel {
    Vocab vocab;
    RowMatrix<Scalar> input;      ///< one row per vocabulary word: the word vectors
    RowMatrix<Scalar> output;     ///< negative-sampling output vectors (empty when negative = 0)
    RowMatrix<Scalar> output_hs;  ///< hierarchical-softmax inner-node vectors (empty without hs)
    Word2VecOptions options;

    /// The words and their input vectors, ready to save or search.
    [[nodiscard]] WordVectors<Scalar> vectors() const {
        std::vector<std::string> words;
        words.reserve(vocab.size());
        for (std::size_t i = 0; i < vocab.size(); ++i) words.push_back(vocab.word(static_cast<TokenId>(i)));
        return WordVectors<Scalar>(std::move(words), input);
    }
};

namespace detail {

[[nodiscard]] inline EngineConfig engine_config(const Word2VecOptions& o) {
    EngineConfig c;
    c.architecture = o.architecture == Word2VecArchitecture::skipgram ? EngineArchitecture::skipgram
                                                                      : EngineArchitecture::cbow;
    c.dim = o.dim;
    c.window = o.window;
    c.negative = o.negative;
    c.hierarchical_softmax = o.hierarchical_softmax;
    c.cbow_mean = o.cbow_mean;
    c.shared_negatives = o.shared_negatives;
    c.negative_power = o.negative_power.value_or(0.75);
    c.sample = o.sample;
    c.epochs = o.epochs;
    c.lr = o.initial_lr();
    c.min_lr_ratio = o.min_lr_ratio;
    c.threads = resolve_threads(o.threads);
    c.seed = o.seed;
    c.progress = o.progress;
    c.progress_interval = o.progress_interval;
    return c;
}

}  // namespace detail

/// Trains Word2Vec on a corpus of ids from `vocab` (words outside it already dropped).
/// Throws invalid_options, invalid_argument (empty vocabulary or corpus, ids out of range),
/// numeric_error (the run diverged) or cancelled (the progress callback said stop).
template <class Scalar = float>
[[nodiscard]] Word2VecModel<Scalar> train_word2vec(const Vocab& vocab, CorpusView corpus, const Word2VecOptions& options = {}) {
    static_assert(std::is_floating_point_v<Scalar>, "train_word2vec needs a floating-point scalar");
    validate(options);
    if (vocab.size() == 0) throw invalid_argument("train_word2vec: the vocabulary is empty (every word below min_count?)");
    if (corpus.token_count() == 0) throw invalid_argument("train_word2vec: the corpus has no tokens in the vocabulary");
    for (std::size_t i = 0; i < corpus.size; ++i) {
        const TokenId id = corpus.data[i];
        if (id != kSentenceEnd && (id < 0 || static_cast<std::size_t>(id) >= vocab.size())) {
            throw invalid_argument("train_word2vec: corpus id " + std::to_string(id) + " at position " +
                                   std::to_string(i) + " is outside the vocabulary of " +
                                   std::to_string(vocab.size()) + " words");
        }
    }
    const auto rows = static_cast<Eigen::Index>(vocab.size());
    Word2VecModel<Scalar> model;
    model.vocab = vocab;
    model.options = options;
    const detail::EngineConfig config = detail::engine_config(options);
    // Input rows uniform in +-init_scale/dim (word2vec.c's +-0.5/dim, scaled; each row from its
    // own stream, so independent of the thread count), output rows zero.
    EmbeddingOptions init;
    init.init = Init::uniform_word2vec;
    init.seed = options.seed;
    init.threads = config.threads;
    model.input = std::move(Embedding<Scalar>(rows, options.dim, init).weights());
    model.input *= static_cast<Scalar>(2 * options.init_scale);
    detail::EngineParameters<Scalar> params;
    params.input = &model.input;
    if (options.negative > 0) {
        model.output = RowMatrix<Scalar>::Zero(rows, options.dim);
        params.output_negative = &model.output;
    }
    if (options.hierarchical_softmax) {
        model.output_hs = RowMatrix<Scalar>::Zero(static_cast<Eigen::Index>(std::max<std::size_t>(1, vocab.size() - 1)), options.dim);
        params.output_hs = &model.output_hs;
    }
    const detail::InputRows plain;
    detail::Word2VecEngine<Scalar> engine(config, vocab.counts(), corpus, plain, params);
    engine.run();
    return model;
}

/// Builds the vocabulary (options.min_count) and the corpus from a text file, then trains.
template <class Scalar = float>
[[nodiscard]] Word2VecModel<Scalar> train_word2vec_file(const std::string& path, const Word2VecOptions& options = {}) {
    validate(options);
    VocabOptions vocab_options;
    vocab_options.min_count = options.min_count;
    const Vocab vocab = Vocab::build_file(path, vocab_options);
    if (vocab.size() == 0) {
        throw invalid_argument(path + ": no word occurs at least min_count = " + std::to_string(options.min_count) +
                               " times (or the file is empty)");
    }
    const Corpus corpus = Corpus::encode_file(path, vocab);
    return train_word2vec<Scalar>(vocab, corpus.view(), options);
}

}  // namespace embedkit
