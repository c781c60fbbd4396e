#pragma once

// Training fastText's unsupervised subword model (Bojanowski et al. 2017) on the Word2Vec update
// rules: a word's input vector is the mean of its own row and of the rows its character n-grams
// hash to, and every prediction sends its gradient to all of those rows. The trained model
// (core/fasttext_model.hpp) gives words never seen in training a vector from their n-grams alone.

#include "embedkit/core/fasttext_model.hpp"
#include "embedkit/core/word_vectors.hpp"
#include "embedkit/detail/atomic_file.hpp"
#include "embedkit/detail/binary_io.hpp"
#include "embedkit/detail/chunk_reader.hpp"
#include "embedkit/detail/parallel.hpp"
#include "embedkit/detail/rng.hpp"
#include "embedkit/models/word2vec_engine.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/models/word2vec.hpp"
#include "embedkit/text/corpus.hpp"
#include "embedkit/text/subwords.hpp"
#include "embedkit/text/vocab.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace embedkit {

/// Options of `train_fasttext`: Word2Vec's options (architecture, dim, window, negative, hs,
/// sample, epochs, lr, threads, seed, progress ...) plus the character n-grams.
/// C++20: `{.word2vec = {.dim = 50}, .minn = 2}`.
struct FastTextOptions {
    Word2VecOptions word2vec;
    int minn = 3;  ///< shortest n-gram, in characters
    int maxn = 6;  ///< longest n-gram; minn = maxn = 0 trains plain Word2Vec
    std::int64_t buckets = 2'000'000;  ///< rows the n-grams hash into
    /// Skip-gram: while training, the centre word's input is the sum of its rows divided by its
    /// number of n-grams, as gensim 4 does ((n+1)/n times their mean), rather than their mean (as
    /// fastText). Unset: on for corpora below kFastTextSmallCorpusTokens, where it measured
    /// better, off above (docs/fasttext.md, "Defaults by corpus size"). Word vectors are the mean
    /// either way; CBOW is unaffected.
    std::optional<bool> gensim_input_scale;
    /// Skip-gram: compose the centre word's input anew for every prediction of its window and
    /// update its rows after each one, as fastText and gensim do; false composes it once per
    /// centre word and updates its rows once with the window's summed gradient (about 3x less
    /// work per word, the same update to first order).
    bool update_per_prediction = false;

    [[nodiscard]] SubwordOptions subwords() const noexcept { return {minn, maxn, buckets}; }
};

namespace detail {

/// Rethrows the invalid_options of a nested validate() with the field renamed `from` -> `to`.
template <class F>
void validate_as(F&& check, const std::string& from, const std::string& to) {
    try {
        check();
    } catch (const invalid_options& e) {
        std::string what = e.what();
        if (what.compare(0, from.size(), from) == 0) what = to + what.substr(from.size());
        throw invalid_options(what);
    }
}

}  // namespace detail

/// Throws invalid_options naming the first bad field ("FastTextOptions.word2vec.dim", "FastTextOptions.minn" ...).
inline void validate(const FastTextOptions& o) {
    detail::validate_as([&] { validate(o.word2vec); }, "Word2VecOptions.", "FastTextOptions.word2vec.");
    detail::validate_as([&] { validate(o.subwords()); }, "SubwordOptions.", "FastTextOptions.");
}

namespace detail {

/// fastText's sampler power, used when FastTextOptions leaves it unset on a large corpus: on
/// gutenberg100m, +0.6 points analogy and +1.9 WS353 over unigram^0.75.
inline constexpr double kFastTextNegativePower = 0.5;

}  // namespace detail

/// fastText models train on corpora below this many tokens (in the vocabulary, one epoch) with
/// gensim's designs when the options leave them unset: negatives from unigram^0.75 and gensim's
/// input scale; from it up with fastText's (unigram^0.5, the mean). Measured in docs/fasttext.md.
inline constexpr std::int64_t kFastTextSmallCorpusTokens = 10'000'000;

namespace detail {

/// The sampler power of a fastText run on `corpus_tokens` tokens when the options leave it unset.
[[nodiscard]] inline double fasttext_default_power(std::int64_t corpus_tokens) {
    return corpus_tokens < kFastTextSmallCorpusTokens ? kWord2VecNegativePower : kFastTextNegativePower;
}

/// The options a run on `corpus_tokens` tokens uses: Word2Vec's resolved with the sampler power
/// and input scale of its corpus size (when unset).
[[nodiscard]] inline FastTextOptions fasttext_resolved(FastTextOptions options,
                                                       std::int64_t corpus_tokens = kLargeCorpusTokens) {
    options.word2vec = resolved(options.word2vec, fasttext_default_power(corpus_tokens), corpus_tokens);
    options.gensim_input_scale = options.gensim_input_scale.value_or(corpus_tokens < kFastTextSmallCorpusTokens);
    return options;
}

/// Every FastTextOptions field beyond Word2Vec's that shapes a run, in checkpoint order.
template <class Options, class Visit>
void for_each_fasttext_setting(Options& o, Visit&& visit) {
    visit("minn", o.minn);
    visit("maxn", o.maxn);
    visit("buckets", o.buckets);
    visit("gensim_input_scale", o.gensim_input_scale);
    visit("update_per_prediction", o.update_per_prediction);
}

/// The settings a checkpoint keeps for a fastText run on `corpus_tokens` tokens (resolved first).
[[nodiscard]] inline Settings fasttext_settings(const FastTextOptions& options,
                                                std::int64_t corpus_tokens = kLargeCorpusTokens) {
    const FastTextOptions r = fasttext_resolved(options, corpus_tokens);
    Settings settings = word2vec_settings(r.word2vec, *r.word2vec.negative_power, corpus_tokens);
    const Settings own = settings_of(r, [](const FastTextOptions& x, auto&& visit) { for_each_fasttext_setting(x, visit); });
    settings.insert(settings.end(), own.begin(), own.end());
    return settings;
}

/// The inverse of fasttext_settings; io_error naming the file on a missing or bad value.
[[nodiscard]] inline FastTextOptions fasttext_options_from(const SettingsReader& s) {
    FastTextOptions options;
    options.word2vec = word2vec_options_from(s);
    read_settings(s, options, [](FastTextOptions& x, auto&& visit) { for_each_fasttext_setting(x, visit); });
    try {
        validate(options);
    } catch (const invalid_options& e) {
        throw io_error(s.source(), std::string("checkpoint holds invalid options: ") + e.what());
    }
    return options;
}

/// Trains a fastText model whose matrices are initialised (or restored), from `resume` when given.
template <class Scalar>
void run_fasttext_engine(FastTextModel<Scalar>& model, const FastTextOptions& options, CorpusView corpus,
                         const EngineState* resume, const CheckpointOptions& checkpoint) {
    using Access = FastTextAccess;
    const std::int64_t corpus_tokens = model.vocab().total_count();
    const FastTextOptions resolved_options = fasttext_resolved(options, corpus_tokens);
    const Word2VecOptions& w2v = resolved_options.word2vec;
    EngineParameters<Scalar> params;
    params.input = &Access::input(model);
    if (w2v.negative > 0) params.output_negative = &Access::output(model);
    if (w2v.hierarchical_softmax) params.output_hs = &Access::output_hs(model);
    CheckpointContents<Scalar> contents;
    if (!checkpoint.path.empty()) {
        contents.model = "fasttext";
        FastTextOptions saved = resolved_options;
        saved.minn = model.subwords().minn;
        saved.maxn = model.subwords().maxn;
        saved.buckets = model.subwords().buckets;
        contents.settings = fasttext_settings(saved, corpus_tokens);
        contents.words = &model.vocab().words();
        contents.counts = &model.vocab().counts();
        contents.ids = &model.stored_buckets();
        contents.corpus = fingerprint(corpus);
        contents.matrices = {{"input", params.input}, {"output", &Access::output(model)},
                             {"output_hs", &Access::output_hs(model)}};
    }
    updates::ComposedInputs composed;
    composed.gensim_input_scale = *resolved_options.gensim_input_scale;
    composed.update_per_prediction = options.update_per_prediction;
    run_word2vec_updates(w2v, model.vocab().counts(), corpus, Access::word_rows(model), composed, params, resume,
                         engine_checkpoints(checkpoint, std::move(contents)));
}

}  // namespace detail

/// Trains fastText on a corpus of ids from `vocab` (words outside it already dropped): skip-gram
/// or CBOW (options.word2vec.architecture), negative sampling and/or hierarchical softmax, with
/// Word2Vec's threading, learning-rate schedule, progress, cancellation and NaN checks.
/// minn = maxn = 0 gives exactly train_word2vec's vectors (with the same negative_power: unset,
/// fastText models draw negatives from unigram^0.5, Word2Vec from unigram^0.75). Throws invalid_options,
/// invalid_argument (empty vocabulary or corpus, ids out of range, too many rows), numeric_error
/// (the run diverged) or cancelled.
template <class Scalar = float>
[[nodiscard]] FastTextModel<Scalar> train_fasttext(const Vocab& vocab, CorpusView corpus, const FastTextOptions& options = {}) {
    static_assert(std::is_floating_point_v<Scalar>, "train_fasttext needs a floating-point scalar");
    validate(options);
    if (vocab.size() == 0) throw invalid_argument("train_fasttext: the vocabulary is empty (every word below min_count?)");
    if (detail::checked_token_count(corpus, vocab.size(), "train_fasttext") == 0 && options.word2vec.peers == nullptr) {
        throw invalid_argument("train_fasttext: the corpus has no tokens in the vocabulary");
    }
    const Word2VecOptions& w2v = options.word2vec;
    const SubwordOptions sub = options.subwords();
    const std::size_t words = vocab.size();

    // The buckets some vocabulary word uses, ascending; only they get rows.
    std::vector<std::int32_t> stored;
    if (sub.enabled()) {
        std::vector<char> used(static_cast<std::size_t>(sub.buckets), 0);
        std::vector<std::int32_t> buckets;
        for (std::size_t w = 0; w < words; ++w) {
            buckets.clear();
            append_ngram_buckets(vocab.words()[w], sub, buckets);
            for (const std::int32_t b : buckets) used[static_cast<std::size_t>(b)] = 1;
        }
        for (std::size_t b = 0; b < used.size(); ++b) {
            if (used[b]) stored.push_back(static_cast<std::int32_t>(b));
        }
    }
    const std::size_t rows = words + stored.size();
    if (rows > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
        throw invalid_argument("train_fasttext: vocabulary + used buckets exceed 2^31-1 rows");
    }

    // Row i (a word, or bucket b at logical row words + b as in fastText's layout) is drawn from
    // its own stream, uniform in +-init_scale/dim: the word rows are train_word2vec's, bit for bit.
    RowMatrix<Scalar> input(static_cast<Eigen::Index>(rows), w2v.dim);
    const auto scale = static_cast<Scalar>(2 * w2v.init_scale);
    detail::parallel_for(rows, detail::resolve_threads(w2v.threads), [&](std::size_t begin, std::size_t end, unsigned) {
        for (std::size_t r = begin; r < end; ++r) {
            const std::uint64_t logical = r < words ? r : words + static_cast<std::uint64_t>(stored[r - words]);
            detail::Rng rng(detail::stream_seed(w2v.seed, logical));
            Scalar* row = input.row(static_cast<Eigen::Index>(r)).data();
            for (int j = 0; j < w2v.dim; ++j) {
                row[j] = static_cast<Scalar>((rng.uniform<double>() - 0.5) / static_cast<double>(w2v.dim)) * scale;
            }
        }
    });

    const auto vrows = static_cast<Eigen::Index>(words);
    RowMatrix<Scalar> output;
    RowMatrix<Scalar> output_hs;
    if (w2v.negative > 0) output = RowMatrix<Scalar>::Zero(vrows, w2v.dim);
    if (w2v.hierarchical_softmax) output_hs = RowMatrix<Scalar>::Zero(std::max<Eigen::Index>(1, vrows - 1), w2v.dim);
    FastTextModel<Scalar> model(vocab, sub, std::move(input), std::move(stored), /*dense=*/false, std::move(output),
                                std::move(output_hs));
    detail::run_fasttext_engine(model, options, corpus, nullptr, w2v.checkpoint);
    return model;
}

/// Continues a fastText run from a checkpoint written by train_fasttext (or an earlier resume),
/// on the same corpus encoded with the checkpoint's vocabulary (`read_checkpoint_vocab(path)`).
/// With one thread the result is bit-identical to the run that was never stopped. Options come
/// from the checkpoint; `resume` sets what may change. Throws io_error (unreadable, corrupt or
/// foreign checkpoint), invalid_argument (another corpus), and what train_fasttext throws.
template <class Scalar = float>
[[nodiscard]] FastTextModel<Scalar> resume_fasttext(const std::string& checkpoint_path, CorpusView corpus,
                                                    const ResumeOptions& resume = {}) {
    static_assert(std::is_floating_point_v<Scalar>, "resume_fasttext needs a floating-point scalar");
    Checkpoint<Scalar> c = read_checkpoint<Scalar>(checkpoint_path);
    if (c.model != "fasttext") {
        throw io_error(checkpoint_path, "is a checkpoint of a " + c.model + " run, not of fasttext");
    }
    const detail::EngineState state = detail::resumed_state(c, corpus, checkpoint_path, resume.peers);
    FastTextOptions options = detail::fasttext_options_from(detail::SettingsReader(c.settings, checkpoint_path));
    options.word2vec.progress = resume.progress;
    options.word2vec.progress_interval = resume.progress_interval;
    options.word2vec.checkpoint = resume.checkpoint;
    options.word2vec.stop_requested = resume.stop_requested;
    options.word2vec.peers = resume.peers;
    Vocab vocab = detail::checkpoint_vocab(c, checkpoint_path);
    (void)detail::checked_token_count(corpus, vocab.size(), "resume_fasttext: " + checkpoint_path);
    const auto vrows = static_cast<Eigen::Index>(vocab.size());
    const int dim = options.word2vec.dim;
    const auto input_rows = vrows + static_cast<Eigen::Index>(c.ids.size());
    RowMatrix<Scalar> input = detail::checkpoint_matrix(c, "input", input_rows, dim, checkpoint_path);
    RowMatrix<Scalar> output =
        detail::checkpoint_matrix(c, "output", options.word2vec.negative > 0 ? vrows : 0, dim, checkpoint_path);
    RowMatrix<Scalar> output_hs = detail::checkpoint_matrix(
        c, "output_hs", options.word2vec.hierarchical_softmax ? std::max<Eigen::Index>(1, vrows - 1) : 0, dim,
        checkpoint_path);
    std::optional<FastTextModel<Scalar>> model;
    try {
        model.emplace(std::move(vocab), options.subwords(), std::move(input), std::move(c.ids), /*dense=*/false,
                      std::move(output), std::move(output_hs));
    } catch (const error& e) {
        throw io_error(checkpoint_path, std::string("checkpoint holds an inconsistent model: ") + e.what());
    }
    detail::run_fasttext_engine(*model, options, corpus, &state, resume.checkpoint);
    return std::move(*model);
}

/// Builds the vocabulary (options.word2vec.min_count) and the corpus from a text file, then trains.
template <class Scalar = float>
[[nodiscard]] FastTextModel<Scalar> train_fasttext_file(const std::string& path, const FastTextOptions& options = {}) {
    validate(options);
    VocabOptions vocab_options;
    vocab_options.min_count = options.word2vec.min_count;
    const Vocab vocab = Vocab::build_file(path, vocab_options);
    if (vocab.size() == 0) {
        throw invalid_argument(path + ": no word occurs at least min_count = " +
                               std::to_string(options.word2vec.min_count) + " times (or the file is empty)");
    }
    const Corpus corpus = Corpus::encode_file(path, vocab);
    return train_fasttext<Scalar>(vocab, corpus.view(), options);
}

}  // namespace embedkit
