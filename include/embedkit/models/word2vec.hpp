#pragma once

#include "embedkit/core/embedding.hpp"
#include "embedkit/core/training_progress.hpp"
#include "embedkit/core/word_vectors.hpp"
#include "embedkit/detail/parallel.hpp"
#include "embedkit/detail/word2vec_engine.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/io/checkpoint.hpp"
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
    /// Checkpoints of the whole training state (resume with resume_word2vec / resume_fasttext).
    CheckpointOptions checkpoint;
    /// When it becomes true (a signal handler may set it), training stops: after writing a final
    /// checkpoint when `checkpoint.path` is set; then the trainer throws `cancelled`.
    const std::atomic<bool>* stop_requested = nullptr;

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
    if (!(o.checkpoint.every_seconds >= 0)) fail("checkpoint.every_seconds", "must be >= 0");
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
    [[nodiscard]] WordVectors<Scalar> vectors() const& { return WordVectors<Scalar>(vocab.words(), input); }
    /// The same from a model that is done with (`std::move(model).vectors()`): the input vectors
    /// are moved, not copied, which saves vocab.size() x dim values at the peak of a run.
    [[nodiscard]] WordVectors<Scalar> vectors() && { return WordVectors<Scalar>(vocab.words(), std::move(input)); }
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
    c.stop_requested = o.stop_requested;
    return c;
}

/// Settings as text for checkpoints: integers in decimal, reals as hexadecimal floating point
/// (exact round trip), flags as 0/1.
using Settings = std::vector<std::pair<std::string, std::string>>;

[[nodiscard]] inline std::string setting_text(double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%a", v);
    return buffer;
}

/// Reads typed settings back; io_error naming the file and the setting on a bad value.
class SettingsReader {
public:
    SettingsReader(const Settings& settings, std::string source) : settings_(settings), source_(std::move(source)) {}

    [[nodiscard]] const std::string& text(const std::string& key) const {
        for (const auto& [k, v] : settings_) {
            if (k == key) return v;
        }
        throw io_error(source_, "checkpoint has no setting '" + key + "'");
    }
    [[nodiscard]] std::int64_t integer(const std::string& key) const {
        const std::string& v = text(key);
        char* end = nullptr;
        const long long x = std::strtoll(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0') bad(key, v);
        return x;
    }
    [[nodiscard]] double real(const std::string& key) const {
        const std::string& v = text(key);
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0' || !std::isfinite(x)) bad(key, v);
        return x;
    }
    [[nodiscard]] bool flag(const std::string& key) const {
        const std::int64_t x = integer(key);
        if (x != 0 && x != 1) bad(key, text(key));
        return x == 1;
    }
    [[nodiscard]] const std::string& source() const noexcept { return source_; }

private:
    [[noreturn]] void bad(const std::string& key, const std::string& value) const {
        throw io_error(source_, "checkpoint setting '" + key + "' has an invalid value '" + value + "'");
    }
    const Settings& settings_;
    std::string source_;
};

/// The options of a run as saved in its checkpoints (the resolved learning rate, thread count
/// and sampler power, so a resumed run uses exactly them).
[[nodiscard]] inline Settings word2vec_settings(const Word2VecOptions& o, const EngineConfig& c) {
    return {
        {"architecture", o.architecture == Word2VecArchitecture::skipgram ? "skipgram" : "cbow"},
        {"dim", std::to_string(o.dim)},
        {"window", std::to_string(o.window)},
        {"negative", std::to_string(o.negative)},
        {"hierarchical_softmax", o.hierarchical_softmax ? "1" : "0"},
        {"sample", setting_text(o.sample)},
        {"min_count", std::to_string(o.min_count)},
        {"epochs", std::to_string(o.epochs)},
        {"lr", setting_text(c.lr)},
        {"min_lr_ratio", setting_text(o.min_lr_ratio)},
        {"cbow_mean", o.cbow_mean ? "1" : "0"},
        {"init_scale", setting_text(o.init_scale)},
        {"shared_negatives", o.shared_negatives ? "1" : "0"},
        {"threads", std::to_string(c.threads)},
        {"seed", std::to_string(o.seed)},
        {"negative_power", setting_text(c.negative_power)},
    };
}

/// The inverse of word2vec_settings; invalid_options (as io_error naming the file) on bad values.
[[nodiscard]] inline Word2VecOptions word2vec_options_from(const SettingsReader& s) {
    Word2VecOptions o;
    const std::string& architecture = s.text("architecture");
    if (architecture != "skipgram" && architecture != "cbow") {
        throw io_error(s.source(), "checkpoint setting 'architecture' has an invalid value '" + architecture + "'");
    }
    o.architecture = architecture == "skipgram" ? Word2VecArchitecture::skipgram : Word2VecArchitecture::cbow;
    o.dim = static_cast<int>(s.integer("dim"));
    o.window = static_cast<int>(s.integer("window"));
    o.negative = static_cast<int>(s.integer("negative"));
    o.hierarchical_softmax = s.flag("hierarchical_softmax");
    o.sample = s.real("sample");
    o.min_count = s.integer("min_count");
    o.epochs = static_cast<int>(s.integer("epochs"));
    o.lr = s.real("lr");
    o.min_lr_ratio = s.real("min_lr_ratio");
    o.cbow_mean = s.flag("cbow_mean");
    o.init_scale = s.real("init_scale");
    o.shared_negatives = s.flag("shared_negatives");
    o.threads = static_cast<unsigned>(s.integer("threads"));
    o.seed = static_cast<std::uint64_t>(s.integer("seed"));
    o.negative_power = s.real("negative_power");
    try {
        validate(o);
    } catch (const invalid_options& e) {
        throw io_error(s.source(), std::string("checkpoint holds invalid options: ") + e.what());
    }
    if (o.threads == 0) throw io_error(s.source(), "checkpoint holds 0 threads");
    return o;
}

/// A matrix from a checkpoint that must have `rows` x `cols` (an empty one when rows is 0).
template <class Scalar>
[[nodiscard]] RowMatrix<Scalar> checkpoint_matrix(Checkpoint<Scalar>& c, const std::string& name, Eigen::Index rows,
                                                  Eigen::Index cols, const std::string& source) {
    RowMatrix<Scalar> m = c.take_matrix(name, source);
    if (rows == 0 && m.size() == 0) return m;
    if (m.rows() != rows || m.cols() != cols) {
        throw io_error(source, "checkpoint matrix '" + name + "' is " + std::to_string(m.rows()) + " x " +
                                   std::to_string(m.cols()) + ", expected " + std::to_string(rows) + " x " +
                                   std::to_string(cols));
    }
    if (!m.allFinite()) throw io_error(source, "checkpoint matrix '" + name + "' holds NaN or Inf");
    return m;
}

/// Checks that `corpus` is the one the checkpoint was written on.
template <class Scalar>
void check_checkpoint_corpus(const Checkpoint<Scalar>& c, CorpusView corpus, const std::string& source) {
    const CorpusFingerprint here = fingerprint(corpus);
    if (here != c.corpus) {
        throw invalid_argument(source + ": the corpus is not the one this run was checkpointed on (" +
                               std::to_string(here.tokens) + " ids here, " + std::to_string(c.corpus.tokens) +
                               " then, or different words)");
    }
}

/// The engine's checkpoint writer for a run: `contents` borrows the model's matrices.
template <class Scalar>
[[nodiscard]] EngineCheckpoints engine_checkpoints(const CheckpointOptions& options, CheckpointContents<Scalar> contents) {
    EngineCheckpoints result;
    if (options.path.empty()) return result;
    result.every_seconds = options.every_seconds;
    result.save = [path = options.path, contents = std::move(contents)](const EngineState& state) {
        for (const auto& [name, m] : contents.matrices) {
            if (!m->allFinite()) throw numeric_error("training diverged: matrix '" + name + "' holds NaN or Inf; no checkpoint written");
        }
        write_checkpoint(path, contents, state);
    };
    return result;
}

/// Runs the engine on a Word2Vec model whose matrices are initialised (or restored).
template <class Scalar>
void run_word2vec_engine(Word2VecModel<Scalar>& model, const EngineConfig& config, CorpusView corpus,
                         const EngineState* resume, const CheckpointOptions& checkpoint) {
    EngineParameters<Scalar> params;
    params.input = &model.input;
    if (model.options.negative > 0) params.output_negative = &model.output;
    if (model.options.hierarchical_softmax) params.output_hs = &model.output_hs;
    CheckpointContents<Scalar> contents;
    if (!checkpoint.path.empty()) {
        contents.model = "word2vec";
        contents.settings = word2vec_settings(model.options, config);
        contents.words = &model.vocab.words();
        contents.counts = &model.vocab.counts();
        contents.corpus = fingerprint(corpus);
        contents.matrices = {{"input", &model.input}, {"output", &model.output}, {"output_hs", &model.output_hs}};
    }
    const InputRows plain;
    Word2VecEngine<Scalar> engine(config, model.vocab.counts(), corpus, plain, params);
    engine.run(resume, engine_checkpoints(checkpoint, std::move(contents)));
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
    if (detail::checked_token_count(corpus, vocab.size(), "train_word2vec") == 0) {
        throw invalid_argument("train_word2vec: the corpus has no tokens in the vocabulary");
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
    if (options.negative > 0) model.output = RowMatrix<Scalar>::Zero(rows, options.dim);
    if (options.hierarchical_softmax) {
        model.output_hs = RowMatrix<Scalar>::Zero(static_cast<Eigen::Index>(std::max<std::size_t>(1, vocab.size() - 1)), options.dim);
    }
    detail::run_word2vec_engine(model, config, corpus, nullptr, options.checkpoint);
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
    detail::check_checkpoint_corpus(c, corpus, checkpoint_path);
    Word2VecModel<Scalar> model;
    model.vocab = detail::checkpoint_vocab(c, checkpoint_path);
    (void)detail::checked_token_count(corpus, model.vocab.size(), "resume_word2vec: " + checkpoint_path);
    model.options = detail::word2vec_options_from(detail::SettingsReader(c.settings, checkpoint_path));
    model.options.progress = resume.progress;
    model.options.progress_interval = resume.progress_interval;
    model.options.checkpoint = resume.checkpoint;
    model.options.stop_requested = resume.stop_requested;
    const auto rows = static_cast<Eigen::Index>(model.vocab.size());
    const int dim = model.options.dim;
    model.input = detail::checkpoint_matrix(c, "input", rows, dim, checkpoint_path);
    model.output = detail::checkpoint_matrix(c, "output", model.options.negative > 0 ? rows : 0, dim, checkpoint_path);
    model.output_hs = detail::checkpoint_matrix(
        c, "output_hs", model.options.hierarchical_softmax ? std::max<Eigen::Index>(1, rows - 1) : 0, dim, checkpoint_path);
    const detail::EngineConfig config = detail::engine_config(model.options);
    detail::run_word2vec_engine(model, config, corpus, &c.state, resume.checkpoint);
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
