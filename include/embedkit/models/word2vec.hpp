#pragma once

#include "embedkit/core/embedding.hpp"
#include "embedkit/core/word_vectors.hpp"
#include "embedkit/detail/parallel.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/models/word2vec_engine.hpp"
#include "embedkit/models/word2vec_options.hpp"
#include "embedkit/train/checkpoint.hpp"
#include "embedkit/text/corpus.hpp"
#include "embedkit/text/vocab.hpp"
#include "embedkit/types.hpp"

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace embedkit {

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
    [[nodiscard]] WordVectors<Scalar> vectors() const& { return WordVectors<Scalar>(vocab.words(), input); }
    /// The same from a model that is done with (`std::move(model).vectors()`): the input vectors
    /// are moved, not copied, which saves vocab.size() x dim values at the peak of a run.
    [[nodiscard]] WordVectors<Scalar> vectors() && { return WordVectors<Scalar>(vocab.words(), std::move(input)); }
};

namespace detail {

/// Trains a Word2Vec model whose matrices are initialised (or restored), from `resume` when given.
template <class Scalar>
void run_word2vec_engine(Word2VecModel<Scalar>& model, CorpusView corpus, const EngineState* resume,
                         const CheckpointOptions& checkpoint) {
    const Word2VecOptions options = resolved(model.options, kWord2VecNegativePower, model.vocab.total_count());
    EngineParameters<Scalar> params;
    params.input = &model.input;
    if (options.negative > 0) params.output_negative = &model.output;
    if (options.hierarchical_softmax) params.output_hs = &model.output_hs;
    CheckpointContents<Scalar> contents;
    if (!checkpoint.path.empty()) {
        contents.model = "word2vec";
        contents.settings = word2vec_settings(options);
        contents.words = &model.vocab.words();
        contents.counts = &model.vocab.counts();
        contents.corpus = fingerprint(corpus);
        contents.matrices = {{"input", &model.input}, {"output", &model.output}, {"output_hs", &model.output_hs}};
    }
    const InputRows plain;
    run_word2vec_updates(options, model.vocab.counts(), corpus, plain, {}, params, resume,
                         engine_checkpoints(checkpoint, std::move(contents)));
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
    // A rank of a distributed run may have no words of its own; the others train.
    if (detail::checked_token_count(corpus, vocab.size(), "train_word2vec") == 0 && options.peers == nullptr) {
        throw invalid_argument("train_word2vec: the corpus has no tokens in the vocabulary");
    }
    const auto rows = static_cast<Eigen::Index>(vocab.size());
    Word2VecModel<Scalar> model;
    model.vocab = vocab;
    model.options = options;
    // Input rows uniform in +-init_scale/dim (word2vec.c's +-0.5/dim, scaled; each row from its
    // own stream, so independent of the thread count), output rows zero.
    EmbeddingOptions init;
    init.init = Init::uniform_word2vec;
    init.seed = options.seed;
    init.threads = detail::resolve_threads(options.threads);
    model.input = std::move(Embedding<Scalar>(rows, options.dim, init).weights());
    model.input *= static_cast<Scalar>(2 * options.init_scale);
    if (options.negative > 0) model.output = RowMatrix<Scalar>::Zero(rows, options.dim);
    if (options.hierarchical_softmax) {
        model.output_hs = RowMatrix<Scalar>::Zero(static_cast<Eigen::Index>(std::max<std::size_t>(1, vocab.size() - 1)), options.dim);
    }
    detail::run_word2vec_engine(model, corpus, nullptr, options.checkpoint);
    return model;
}

/// Continues a Word2Vec run from a checkpoint written by train_word2vec (or by an earlier
/// resume), on the same corpus, encoded with the checkpoint's vocabulary
/// (`read_checkpoint_vocab(path)`). With one thread,
/// the result is bit-identical to the run that was never stopped. Options come from the
/// checkpoint; `resume` sets what may change (progress, later checkpoints, the stop flag).
/// Throws io_error (unreadable, corrupt or foreign checkpoint), invalid_argument (another corpus),
/// and what train_word2vec throws.
template <class Scalar = float>
[[nodiscard]] Word2VecModel<Scalar> resume_word2vec(const std::string& checkpoint_path, CorpusView corpus,
                                                    const ResumeOptions& resume = {}) {
    static_assert(std::is_floating_point_v<Scalar>, "resume_word2vec needs a floating-point scalar");
    Checkpoint<Scalar> c = read_checkpoint<Scalar>(checkpoint_path);
    if (c.model != "word2vec") {
        throw io_error(checkpoint_path, "is a checkpoint of a " + c.model + " run, not of word2vec");
    }
    const detail::EngineState state = detail::resumed_state(c, corpus, checkpoint_path, resume.peers);
    Word2VecModel<Scalar> model;
    model.vocab = detail::checkpoint_vocab(c, checkpoint_path);
    (void)detail::checked_token_count(corpus, model.vocab.size(), "resume_word2vec: " + checkpoint_path);
    model.options = detail::word2vec_options_from(detail::SettingsReader(c.settings, checkpoint_path));
    model.options.progress = resume.progress;
    model.options.progress_interval = resume.progress_interval;
    model.options.checkpoint = resume.checkpoint;
    model.options.stop_requested = resume.stop_requested;
    model.options.peers = resume.peers;
    const auto rows = static_cast<Eigen::Index>(model.vocab.size());
    const int dim = model.options.dim;
    model.input = detail::checkpoint_matrix(c, "input", rows, dim, checkpoint_path);
    model.output = detail::checkpoint_matrix(c, "output", model.options.negative > 0 ? rows : 0, dim, checkpoint_path);
    model.output_hs = detail::checkpoint_matrix(
        c, "output_hs", model.options.hierarchical_softmax ? std::max<Eigen::Index>(1, rows - 1) : 0, dim, checkpoint_path);
    detail::run_word2vec_engine(model, corpus, &state, resume.checkpoint);
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
