#pragma once

// The options of a Word2Vec run, declared once: for_each_word2vec_setting lists every field that
// shapes the trained numbers, and the checkpoint settings (writing, reading) and the CLI's check
// of a resumed run's flags are that list visited. A field appended to Word2VecOptions goes into
// that list, or into kWord2VecRunFields when it only says how a run is watched
// (tests/models/word2vec_options_test.cpp fails otherwise).

#include "embedkit/detail/parallel.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/train/checkpoint.hpp"
#include "embedkit/train/peers.hpp"
#include "embedkit/train/settings.hpp"
#include "embedkit/train/training_progress.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

namespace embedkit {

enum class Word2VecArchitecture { skipgram, cbow };

/// Corpora of at least this many tokens (in the vocabulary, one epoch) train with word2vec.c's
/// learning rates (0.025 skip-gram, 0.05 CBOW); it is also the size assumed when none is given.
inline constexpr std::int64_t kLargeCorpusTokens = 20'000'000;
/// At and below this many tokens the default learning rate is kSmallCorpusLrFactor times
/// word2vec.c's; between the two sizes the factor grows geometrically as the corpus shrinks.
inline constexpr std::int64_t kSmallCorpusTokens = kLargeCorpusTokens / 8;
inline constexpr double kSmallCorpusLrFactor = 2.0;

/// The learning rate a run starts with when Word2VecOptions::lr is unset: a rule of the corpus
/// size chosen by measurement at 1M, 2M, 5M and 19M tokens (docs/word2vec.md, "Defaults by corpus
/// size"): a corpus of a few million tokens underfits at word2vec.c's rates.
[[nodiscard]] inline double default_lr(Word2VecArchitecture architecture, std::int64_t corpus_tokens) {
    const double large = architecture == Word2VecArchitecture::skipgram ? 0.025 : 0.05;
    if (corpus_tokens >= kLargeCorpusTokens || corpus_tokens <= 0) return large;
    // 0 at the large size, 1 at the small one and below.
    const double position = std::min(1.0, std::log2(static_cast<double>(kLargeCorpusTokens) / static_cast<double>(corpus_tokens)) /
                                              std::log2(static_cast<double>(kLargeCorpusTokens) / kSmallCorpusTokens));
    return large * std::pow(kSmallCorpusLrFactor, position);
}

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
    /// Initial learning rate; unset: default_lr of the corpus size (0.025 skip-gram, 0.05 CBOW on
    /// large corpora, higher on small ones).
    std::optional<double> lr;
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
    /// The other processes of a distributed run (mpi::RankPeers), or null: this process alone.
    /// `corpus` is then this process's part; the processes merge their parameters at meeting
    /// points fixed by words processed. Not owned.
    Peers* peers = nullptr;

    /// The learning rate a run on `corpus_tokens` tokens starts with: `lr`, or default_lr. Resolved
    /// options (lr set) need no size.
    [[nodiscard]] double initial_lr(std::int64_t corpus_tokens = kLargeCorpusTokens) const {
        return lr ? *lr : default_lr(architecture, corpus_tokens);
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

[[nodiscard]] inline std::string setting_text(Word2VecArchitecture a) {
    return a == Word2VecArchitecture::skipgram ? "skipgram" : "cbow";
}
[[nodiscard]] inline bool parse_setting(const std::string& text, Word2VecArchitecture& a) {
    if (text != "skipgram" && text != "cbow") return false;
    a = text == "skipgram" ? Word2VecArchitecture::skipgram : Word2VecArchitecture::cbow;
    return true;
}

namespace detail {

/// Every Word2VecOptions field that shapes a run's numbers, in checkpoint order, each with its
/// setting name: visit(name, field). `Options` is Word2VecOptions, const or not.
template <class Options, class Visit>
void for_each_word2vec_setting(Options& o, Visit&& visit) {
    visit("architecture", o.architecture);
    visit("dim", o.dim);
    visit("window", o.window);
    visit("negative", o.negative);
    visit("hierarchical_softmax", o.hierarchical_softmax);
    visit("sample", o.sample);
    visit("min_count", o.min_count);
    visit("epochs", o.epochs);
    visit("lr", o.lr);
    visit("min_lr_ratio", o.min_lr_ratio);
    visit("cbow_mean", o.cbow_mean);
    visit("init_scale", o.init_scale);
    visit("shared_negatives", o.shared_negatives);
    visit("threads", o.threads);
    visit("seed", o.seed);
    visit("negative_power", o.negative_power);
}

/// The Word2VecOptions fields that never enter a checkpoint: how a run is watched and where it
/// saves, not what it computes. A resumed run takes them from ResumeOptions.
inline constexpr const char* kWord2VecRunFields[] = {"progress", "progress_interval", "checkpoint", "stop_requested",
                                                     "peers"};

/// Negatives are drawn in proportion to count^power; this power when Word2VecOptions leaves it
/// unset (word2vec.c's and gensim's).
inline constexpr double kWord2VecNegativePower = 0.75;

/// The options a run on `corpus_tokens` tokens (the vocabulary's total count: the same on every
/// rank of a distributed run) actually uses: the learning rate, the sampler's power
/// (`default_power` when unset: 0.75 for Word2Vec, fastText's see fasttext.hpp) and the thread
/// count resolved.
[[nodiscard]] inline Word2VecOptions resolved(Word2VecOptions o, double default_power,
                                              std::int64_t corpus_tokens = kLargeCorpusTokens) {
    o.lr = o.initial_lr(corpus_tokens);
    o.negative_power = o.negative_power.value_or(default_power);
    o.threads = resolve_threads(o.threads);
    return o;
}

/// The settings a checkpoint keeps for `o` (resolved first).
[[nodiscard]] inline Settings word2vec_settings(const Word2VecOptions& o, double default_power = kWord2VecNegativePower,
                                                std::int64_t corpus_tokens = kLargeCorpusTokens) {
    return settings_of(resolved(o, default_power, corpus_tokens),
                       [](const Word2VecOptions& x, auto&& visit) { for_each_word2vec_setting(x, visit); });
}

/// The inverse of word2vec_settings; io_error naming the file on a missing or bad value.
[[nodiscard]] inline Word2VecOptions word2vec_options_from(const SettingsReader& s) {
    Word2VecOptions o;
    read_settings(s, o, [](Word2VecOptions& x, auto&& visit) { for_each_word2vec_setting(x, visit); });
    try {
        validate(o);
    } catch (const invalid_options& e) {
        throw io_error(s.source(), std::string("checkpoint holds invalid options: ") + e.what());
    }
    if (o.threads == 0) throw io_error(s.source(), "checkpoint holds 0 threads");
    return o;
}

}  // namespace detail
}  // namespace embedkit
