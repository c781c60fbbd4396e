#pragma once

// The training loop shared by Word2Vec and fastText: skip-gram and CBOW, negative sampling and
// hierarchical softmax, linear learning-rate decay, Hogwild threads over corpus shards.
// fastText differs only in what a word's input vector is (the mean of its own row and its
// n-gram rows), which `InputRows` describes; plain Word2Vec leaves it empty.

#include "embedkit/core/alias_sampler.hpp"
#include "embedkit/core/huffman_tree.hpp"
#include "embedkit/core/training_progress.hpp"
#include "embedkit/detail/hogwild.hpp"
#include "embedkit/detail/huge_pages.hpp"
#include "embedkit/detail/engine_state.hpp"
#include "embedkit/detail/parallel.hpp"
#include "embedkit/detail/prefetch.hpp"
#include "embedkit/detail/rng.hpp"
#include "embedkit/detail/sigmoid_table.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/text/corpus.hpp"
#include "embedkit/text/subsampling.hpp"
#include "embedkit/types.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace embedkit::detail {

/// The rows that make up each word's input vector: rows[offsets[w] .. offsets[w+1]). Empty
/// means plain Word2Vec, where word w's input is row w alone.
struct InputRows {
    std::vector<std::int64_t> offsets;
    std::vector<std::int32_t> rows;

    [[nodiscard]] bool plain() const noexcept { return offsets.empty(); }
};

enum class EngineArchitecture { skipgram, cbow };

struct EngineConfig {
    EngineArchitecture architecture = EngineArchitecture::skipgram;
    int dim = 100;
    int window = 5;
    int negative = 5;
    bool hierarchical_softmax = false;
    bool cbow_mean = true;
    /// Skip-gram with negative sampling: one set of negatives per centre word, shared by all its
    /// context words (Ji et al. 2016), instead of one set per (context, centre) pair.
    bool shared_negatives = true;
    /// Composed inputs (fastText), skip-gram: the centre word's input is the sum of its rows
    /// divided by the number of rows after its own (gensim 4), instead of by all of them (their
    /// mean, as fastText).
    bool gensim_input_scale = false;
    /// Composed inputs (fastText), skip-gram: compose the centre word's input anew for every
    /// prediction and update its rows after each (fastText, gensim), instead of once per centre
    /// word with the summed gradient of its window.
    bool update_per_prediction = false;
    /// Negatives are drawn in proportion to count^negative_power.
    double negative_power = 0.75;
    double sample = 1e-3;
    int epochs = 5;
    double lr = 0.025;
    double min_lr_ratio = 1e-4;
    unsigned threads = 1;
    std::uint64_t seed = 1;
    ProgressCallback progress;
    double progress_interval = 1.0;
    /// When it becomes true, the run stops (after a final checkpoint, if checkpoints are on).
    const std::atomic<bool>* stop_requested = nullptr;
};

/// Checkpoints while the engine runs: `save` is called with every thread paused between two
/// sentences (so the parameters hold still), every `every_seconds` and once more when a stop is
/// requested. An exception from `save` stops the run and is rethrown by run().
struct EngineCheckpoints {
    double every_seconds = 0;  ///< 0: only the final checkpoint of a stopped run
    std::function<void(const EngineState&)> save;  ///< empty: no checkpoints
};

/// Parameters the engine trains in place. `output_negative` is used when negative > 0,
/// `output_hs` (one row per inner node of `tree`) with hierarchical softmax.
template <class S>
struct EngineParameters {
    RowMatrix<S>* input = nullptr;
    RowMatrix<S>* output_negative = nullptr;
    RowMatrix<S>* output_hs = nullptr;
};

template <class S>
class Word2VecEngine {
public:
    Word2VecEngine(const EngineConfig& config, const std::vector<std::int64_t>& counts, CorpusView corpus,
                   const InputRows& inputs, EngineParameters<S> params)
        : config_(config), corpus_(corpus), inputs_(inputs), params_(params),
          subsampler_(counts, config.sample), table_(SigmoidTable::instance()) {
        if (config_.negative > 0) sampler_.emplace(make_unigram_sampler(counts, config.negative_power));
        if (config_.hierarchical_softmax) tree_ = HuffmanTree(counts);
        for (RowMatrix<S>* m : {params_.input, params_.output_negative, params_.output_hs}) {
            if (m != nullptr) advise_huge_pages(m->data(), static_cast<std::size_t>(m->size()) * sizeof(S));
        }
        corpus_tokens_ = corpus_.token_count();
        total_tokens_ = corpus_tokens_ * static_cast<std::uint64_t>(config_.epochs);
    }

    /// Trains from the start, or from `resume` (a state saved by a checkpoint of a run with the
    /// same configuration, corpus and thread count), writing checkpoints as `checkpoints` says.
    void run(const EngineState* resume = nullptr, EngineCheckpoints checkpoints = {}) {
        const unsigned threads = std::max(1u, config_.threads);
        if (resume && resume->threads.size() != threads) {
            throw invalid_argument("the checkpoint was written by a run with " + std::to_string(resume->threads.size()) +
                                   " threads, not " + std::to_string(threads));
        }
        resume_ = resume;
        checkpoints_ = std::move(checkpoints);
        states_ = std::vector<ThreadState>(threads);
        snapshot_.threads.assign(threads, EngineThreadState{});
        threads_ = threads;
        if (resume) processed_.store(resume->processed);
        processed_at_start_ = processed_.load();
        start_ = Clock::now();
        last_report_ = start_;
        run_threads(threads, [&](unsigned t) { train_thread(t, threads); });
        if (checkpoint_error_) std::rethrow_exception(checkpoint_error_);
        if (diverged_.load()) {
            throw numeric_error("training diverged: the loss became NaN or Inf (learning rate " +
                                std::to_string(config_.lr) + " is too high; try a lower one)");
        }
        if (stop_.load()) {
            throw cancelled(stopped_after_checkpoint_ ? "training stopped on request; the checkpoint holds its last state"
                                                      : "training cancelled");
        }
        if (!all_finite()) {
            throw numeric_error("training produced NaN or Inf parameters (learning rate " +
                                std::to_string(config_.lr) + " is too high; try a lower one)");
        }
        (void)report(/*final_report=*/true, 0);
    }

private:
    using Clock = std::chrono::steady_clock;
    static constexpr std::uint64_t kSyncEvery = 10000;  // words between updates of shared progress

    struct alignas(64) ThreadState {
        std::atomic<double> loss_sum{0.0};
        std::atomic<std::uint64_t> loss_count{0};
        std::atomic<int> epoch{0};
    };

    struct Workspace {
        Rng rng;
        std::vector<TokenId> sentence;
        std::vector<TokenId> negatives;  // drawn ahead of use, so their rows can be prefetched
        RowVector<S> hidden;
        RowVector<S> gradient;
        double loss = 0;
        std::uint64_t predictions = 0;
        // Shared-negative skip-gram scratch.
        std::vector<S*> context_rows;
        std::vector<S*> target_rows;
        std::vector<float> labels;
        std::vector<S> scores;
        RowMatrix<S> context_gradients;
    };

    void train_thread(unsigned t, unsigned threads) {
        const CorpusView shard = corpus_.shard(t, threads);
        Workspace ws;
        ws.hidden.resize(config_.dim);
        ws.gradient.resize(config_.dim);
        ws.sentence.reserve(1024);
        ws.target_rows.resize(static_cast<std::size_t>(config_.negative) + 1);
        ws.labels.resize(static_cast<std::size_t>(config_.negative) + 1);
        ws.scores.resize(static_cast<std::size_t>(config_.negative) + 1);
        // However the thread ends (done, stopped, an exception), it leaves the checkpoint barrier.
        struct Leave {
            Word2VecEngine& engine;
            unsigned t;
            Workspace& ws;
            ~Leave() { engine.leave(t, ws); }
        } leave_on_exit{*this, t, ws};
        EngineThreadState from;
        if (resume_) {
            from = resume_->threads[t];
            if (from.position > shard.size) {
                throw invalid_argument("the checkpoint's position is beyond the corpus shard: is it the same corpus?");
            }
            ws.rng.set_state(from.rng);
            ws.loss = from.loss;
            ws.predictions = from.predictions;
        } else {
            ws.rng.reseed(stream_seed(config_.seed, t));
            from.lr = config_.lr;
        }
        std::uint64_t unsynced = 0;
        S lr = static_cast<S>(from.lr);
        std::size_t i = static_cast<std::size_t>(from.position);
        // A file-backed corpus (MappedCorpus) gives back the pages of ids this thread has passed,
        // a block at a time, so its resident part stays at about one block per thread.
        std::size_t released = i;
        for (int epoch = from.epoch; epoch < config_.epochs; ++epoch, i = 0, released = 0) {
            states_[t].epoch.store(epoch, std::memory_order_relaxed);
            while (i < shard.size) {
                ws.sentence.clear();
                for (; i < shard.size && shard.data[i] != kSentenceEnd; ++i) {
                    ++unsynced;
                    if (subsampler_.keep(shard.data[i], ws.rng)) ws.sentence.push_back(shard.data[i]);
                }
                if (i < shard.size) ++i;  // past the sentence end (a shard may end without one)
                if (config_.architecture == EngineArchitecture::skipgram) {
                    train_skipgram_sentence(ws, lr);
                } else {
                    train_cbow_sentence(ws, lr);
                }
                if (unsynced >= kSyncEvery) {
                    if (i - released >= CorpusView::kPassBlock) {
                        shard.release(shard.data + released, shard.data + i);
                        released = i;
                    }
                    if (!sync(t, ws, unsynced, lr)) return;
                    unsynced = 0;
                    if (checkpoint_due_.load(std::memory_order_relaxed)) {
                        EngineThreadState here;
                        here.epoch = epoch;
                        here.position = i;
                        here.rng = ws.rng.state();
                        here.lr = static_cast<double>(lr);
                        here.loss = ws.loss;
                        here.predictions = ws.predictions;
                        park(t, here);
                        if (stop_.load()) return;
                    }
                }
            }
            shard.release(shard.data + released, shard.data + shard.size);
        }
        sync(t, ws, unsynced, lr);
    }

    /// Waits between two sentences until every thread is paused or done; the last one to arrive
    /// saves the checkpoint and wakes the others.
    void park(unsigned t, const EngineThreadState& here) {
        std::unique_lock<std::mutex> lock(park_mutex_);
        snapshot_.threads[t] = here;
        ++parked_;
        const std::uint64_t generation = generation_;
        if (parked_ + finished_ == threads_) {
            complete_checkpoint();
        } else {
            park_cv_.wait(lock, [&] { return generation_ != generation; });
        }
    }

    /// Called once by every thread when it ends: it no longer holds up checkpoints.
    void leave(unsigned t, const Workspace& ws) {
        std::unique_lock<std::mutex> lock(park_mutex_);
        EngineThreadState done;
        done.epoch = config_.epochs;
        done.rng = ws.rng.state();
        done.loss = ws.loss;
        done.predictions = ws.predictions;
        snapshot_.threads[t] = done;
        ++finished_;
        if (std::uncaught_exceptions() > 0) stop_.store(true);
        if (parked_ > 0 && parked_ + finished_ == threads_) complete_checkpoint();
    }

    /// With park_mutex_ held and every thread paused or done: saves (unless the run is failing),
    /// then releases the paused threads.
    void complete_checkpoint() {
        if (checkpoints_.save && !diverged_.load() && !checkpoint_error_ && !(stop_.load() && !stop_pending_)) {
            snapshot_.processed = processed_.load();
            try {
                checkpoints_.save(snapshot_);
                if (stop_pending_) stopped_after_checkpoint_ = true;
            } catch (...) {
                checkpoint_error_ = std::current_exception();
                stop_.store(true);
            }
        }
        if (stop_pending_) stop_.store(true);
        last_checkpoint_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count(),
                                  std::memory_order_relaxed);
        checkpoint_due_.store(false);
        parked_ = 0;
        ++generation_;
        park_cv_.notify_all();
    }

    /// Stops the run: after a final checkpoint when checkpoints are on, at once otherwise.
    void request_stop() {
        if (checkpoints_.save) {
            std::lock_guard<std::mutex> lock(park_mutex_);
            stop_pending_ = true;
            checkpoint_due_.store(true);
        } else {
            stop_.store(true);
        }
    }

    /// Publishes this thread's progress, updates the learning rate, and (thread 0) reports.
    /// Returns false when the run must stop.
    bool sync(unsigned t, Workspace& ws, std::uint64_t words, S& lr) {
        const std::uint64_t done = processed_.fetch_add(words, std::memory_order_relaxed) + words;
        const double remaining = 1.0 - static_cast<double>(done) / static_cast<double>(total_tokens_ + 1);
        lr = static_cast<S>(config_.lr * std::max(config_.min_lr_ratio, remaining));
        states_[t].loss_sum.store(ws.loss, std::memory_order_relaxed);
        states_[t].loss_count.store(ws.predictions, std::memory_order_relaxed);
        if (!std::isfinite(ws.loss)) {
            diverged_.store(true);
            stop_.store(true);
        }
        const auto now = Clock::now();
        if (t == 0 && config_.progress) {
            if (std::chrono::duration<double>(now - last_report_).count() >= config_.progress_interval) {
                last_report_ = now;
                if (!report(false, static_cast<double>(lr))) request_stop();
            }
        }
        if (config_.stop_requested && config_.stop_requested->load(std::memory_order_relaxed) &&
            !stop_requested_seen_.exchange(true)) {
            request_stop();
        }
        if (checkpoints_.save && checkpoints_.every_seconds > 0) {
            const double since = std::chrono::duration<double>(now - start_).count() -
                                 static_cast<double>(last_checkpoint_ns_.load(std::memory_order_relaxed)) * 1e-9;
            if (since >= checkpoints_.every_seconds) checkpoint_due_.store(true, std::memory_order_relaxed);
        }
        return !stop_.load(std::memory_order_relaxed);
    }

    /// Calls the progress callback; returns what it returned.
    bool report(bool final_report, double lr) {
        if (!config_.progress) return true;
        double loss_sum = 0;
        std::uint64_t loss_count = 0;
        for (const auto& s : states_) {
            loss_sum += s.loss_sum.load(std::memory_order_relaxed);
            loss_count += s.loss_count.load(std::memory_order_relaxed);
        }
        TrainingProgress p;
        p.tokens_processed = processed_.load(std::memory_order_relaxed);
        const std::uint64_t this_run = p.tokens_processed - processed_at_start_;
        p.fraction = final_report ? 1.0
                                  : std::min(1.0, static_cast<double>(p.tokens_processed) /
                                                      static_cast<double>(std::max<std::uint64_t>(total_tokens_, 1)));
        p.epoch = states_.empty() ? 0 : states_[0].epoch.load(std::memory_order_relaxed);
        p.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start_).count();
        p.words_per_sec_per_thread = p.elapsed_seconds > 0
                                         ? static_cast<double>(this_run) / p.elapsed_seconds /
                                               static_cast<double>(states_.size())
                                         : 0.0;
        p.learning_rate = final_report ? config_.lr * config_.min_lr_ratio : lr;
        const std::uint64_t count_delta = loss_count - reported_loss_count_;
        p.loss = count_delta > 0 ? (loss_sum - reported_loss_sum_) / static_cast<double>(count_delta)
                                 : (loss_count > 0 ? loss_sum / static_cast<double>(loss_count) : 0.0);
        if (final_report && loss_count > 0) p.loss = loss_sum / static_cast<double>(loss_count);
        reported_loss_sum_ = loss_sum;
        reported_loss_count_ = loss_count;
        return config_.progress(p) || final_report;
    }

    void train_skipgram_sentence(Workspace& ws, S lr) {
        if (!inputs_.plain()) {
            train_skipgram_composed_sentence(ws, lr);
            return;
        }
        if (config_.shared_negatives && config_.negative > 0 && !config_.hierarchical_softmax && inputs_.plain()) {
            train_skipgram_shared_negatives(ws, lr);
            return;
        }
        const int n = static_cast<int>(ws.sentence.size());
        const int window = config_.window;
        for (int pos = 0; pos < n; ++pos) {
            const int reduced = static_cast<int>(ws.rng.below(static_cast<std::uint64_t>(window)));
            const int lo = std::max(0, pos - window + reduced);
            const int hi = std::min(n - 1, pos + window - reduced);
            const TokenId target = ws.sentence[static_cast<std::size_t>(pos)];
            for (int c = lo; c <= hi; ++c) {
                if (c == pos) continue;
                train_pair(ws, ws.sentence[static_cast<std::size_t>(c)], target, lr);
            }
        }
    }

    /// Skip-gram where the context words of one centre word share its negatives: per centre word,
    /// m context rows against 1 + K output rows. The same arithmetic as m separate predictions,
    /// but K random rows are fetched per centre word instead of m x K, and the output rows are
    /// updated once with the summed gradient.
    void train_skipgram_shared_negatives(Workspace& ws, S lr) {
        const int n = static_cast<int>(ws.sentence.size());
        const int window = config_.window;
        const int dim = config_.dim;
        const int k = config_.negative;
        ws.context_rows.resize(static_cast<std::size_t>(2 * window));
        ws.target_rows.resize(static_cast<std::size_t>(k + 1));
        ws.labels.resize(static_cast<std::size_t>(k + 1));
        ws.scores.resize(static_cast<std::size_t>(2 * window * (k + 1)));
        ws.context_gradients.resize(2 * window, dim);
        for (int pos = 0; pos < n; ++pos) {
            const int reduced = static_cast<int>(ws.rng.below(static_cast<std::uint64_t>(window)));
            const int lo = std::max(0, pos - window + reduced);
            const int hi = std::min(n - 1, pos + window - reduced);
            const TokenId centre = ws.sentence[static_cast<std::size_t>(pos)];
            int m = 0;
            for (int c = lo; c <= hi; ++c) {
                if (c != pos) ws.context_rows[static_cast<std::size_t>(m++)] = params_.input->row(ws.sentence[static_cast<std::size_t>(c)]).data();
            }
            if (m == 0) continue;
            int targets = 0;
            for (int d = 0; d <= k; ++d) {
                const TokenId sample = d == 0 ? centre : sampler_->sample(ws.rng);
                if (d > 0 && sample == centre) continue;
                ws.target_rows[static_cast<std::size_t>(targets)] = params_.output_negative->row(sample).data();
                prefetch_row(ws.target_rows[static_cast<std::size_t>(targets)], dim);
                ws.labels[static_cast<std::size_t>(targets)] = d == 0 ? 1.0f : 0.0f;
                ++targets;
            }
            // Scores and gradient coefficients, then the context gradients from the old output
            // rows, then the output rows from the old context rows, then the context rows.
            double loss = 0;
            for (int j = 0; j < m; ++j) {
                for (int t = 0; t < targets; ++t) {
                    const float f = static_cast<float>(hogwild_dot<S>(ws.context_rows[static_cast<std::size_t>(j)], ws.target_rows[static_cast<std::size_t>(t)], dim));
                    const float label = ws.labels[static_cast<std::size_t>(t)];
                    loss -= label > 0 ? table_.log_sigmoid(f) : table_.log_sigmoid(-f);
                    ws.scores[static_cast<std::size_t>(j * targets + t)] = static_cast<S>(label - table_.sigmoid(f)) * lr;
                }
            }
            for (int j = 0; j < m; ++j) {
                S* grad = ws.context_gradients.row(j).data();
                RowMap<S>(grad, dim).setZero();
                for (int t = 0; t < targets; ++t) {
                    hogwild_axpy<S>(ws.scores[static_cast<std::size_t>(j * targets + t)], ws.target_rows[static_cast<std::size_t>(t)], grad, dim);
                }
            }
            for (int t = 0; t < targets; ++t) {
                for (int j = 0; j < m; ++j) {
                    hogwild_axpy<S>(ws.scores[static_cast<std::size_t>(j * targets + t)], ws.context_rows[static_cast<std::size_t>(j)], ws.target_rows[static_cast<std::size_t>(t)], dim);
                }
            }
            for (int j = 0; j < m; ++j) {
                hogwild_axpy<S>(S(1), ws.context_gradients.row(j).data(), ws.context_rows[static_cast<std::size_t>(j)], dim);
            }
            ws.loss += loss;
            ws.predictions += static_cast<std::uint64_t>(m);
        }
    }

    /// Skip-gram when inputs are composed of several rows (fastText): as in fastText, the centre
    /// word's input vector (the mean of its rows) predicts each word of its window. The mean is
    /// composed once per centre word, and its rows receive the summed gradient of all these
    /// predictions once, at the end: with ~20 rows per word, composing and updating them per
    /// prediction would be most of the work.
    void train_skipgram_composed_sentence(Workspace& ws, S lr) {
        const int n = static_cast<int>(ws.sentence.size());
        const int window = config_.window;
        const int dim = config_.dim;
        for (int pos = 0; pos < n; ++pos) {
            const int reduced = static_cast<int>(ws.rng.below(static_cast<std::uint64_t>(window)));
            const int lo = std::max(0, pos - window + reduced);
            const int hi = std::min(n - 1, pos + window - reduced);
            if (lo == hi) continue;  // no context word
            if (config_.update_per_prediction) {
                for (int c = lo; c <= hi; ++c) {
                    if (c != pos) train_pair(ws, ws.sentence[static_cast<std::size_t>(pos)], ws.sentence[static_cast<std::size_t>(c)], lr);
                }
                continue;
            }
            const auto centre = static_cast<std::size_t>(ws.sentence[static_cast<std::size_t>(pos)]);
            const std::int64_t begin = inputs_.offsets[centre];
            const std::int64_t end = inputs_.offsets[centre + 1];
            // Every row this window will touch is known now: ask for all of them at once, and for
            // the next centre word's n-gram rows, while the rows already here are worked on.
            if (pos + 1 < n) prefetch_input_rows(ws.sentence[static_cast<std::size_t>(pos) + 1]);
            ws.negatives.clear();
            for (int c = lo; c <= hi; ++c) {
                if (c == pos) continue;
                prefetch_output_row(ws.sentence[static_cast<std::size_t>(c)]);
                draw_negatives(ws);
            }
            compose_mean(ws.hidden.data(), begin, end);
            ws.gradient.setZero();
            const TokenId* negatives = ws.negatives.data();
            for (int c = lo; c <= hi; ++c) {
                if (c == pos) continue;
                train_targets(ws, ws.hidden.data(), ws.sentence[static_cast<std::size_t>(c)], negatives, lr);
                negatives += config_.negative;
            }
            for (std::int64_t r = begin; r < end; ++r) {
                hogwild_axpy<S>(S(1), ws.gradient.data(), params_.input->row(inputs_.rows[static_cast<std::size_t>(r)]).data(), dim);
            }
        }
    }

    /// One skip-gram prediction: the input vector of `context` predicts `target`.
    void train_pair(Workspace& ws, TokenId context, TokenId target, S lr) {
        const int dim = config_.dim;
        ws.gradient.setZero();
        ws.negatives.clear();
        draw_negatives(ws);
        if (inputs_.plain()) {
            S* row = params_.input->row(context).data();
            train_targets(ws, row, target, ws.negatives.data(), lr);
            hogwild_axpy<S>(S(1), ws.gradient.data(), row, dim);
            return;
        }
        const std::int64_t begin = inputs_.offsets[static_cast<std::size_t>(context)];
        const std::int64_t end = inputs_.offsets[static_cast<std::size_t>(context) + 1];
        compose_mean(ws.hidden.data(), begin, end);
        train_targets(ws, ws.hidden.data(), target, ws.negatives.data(), lr);
        for (std::int64_t r = begin; r < end; ++r) {
            hogwild_axpy<S>(S(1), ws.gradient.data(), params_.input->row(inputs_.rows[static_cast<std::size_t>(r)]).data(), dim);
        }
    }

    void train_cbow_sentence(Workspace& ws, S lr) {
        const int n = static_cast<int>(ws.sentence.size());
        const int window = config_.window;
        const int dim = config_.dim;
        for (int pos = 0; pos < n; ++pos) {
            const int reduced = static_cast<int>(ws.rng.below(static_cast<std::uint64_t>(window)));
            const int lo = std::max(0, pos - window + reduced);
            const int hi = std::min(n - 1, pos + window - reduced);
            const TokenId centre = ws.sentence[static_cast<std::size_t>(pos)];
            ws.negatives.clear();
            draw_negatives(ws);
            prefetch_output_row(centre);
            // The word that enters the window next (the others are in cache from this window).
            if (pos + window + 1 < n) prefetch_input_rows(ws.sentence[static_cast<std::size_t>(pos + window + 1)]);
            ws.hidden.setZero();
            std::int64_t rows_in_hidden = 0;
            for (int c = lo; c <= hi; ++c) {
                if (c == pos) continue;
                for_each_input_row(ws.sentence[static_cast<std::size_t>(c)], [&](S* row) {
                    hogwild_axpy<S>(S(1), row, ws.hidden.data(), dim);
                    ++rows_in_hidden;
                });
            }
            if (rows_in_hidden == 0) continue;
            if (config_.cbow_mean) ws.hidden /= static_cast<S>(rows_in_hidden);
            ws.gradient.setZero();
            train_targets(ws, ws.hidden.data(), centre, ws.negatives.data(), lr);
            for (int c = lo; c <= hi; ++c) {
                if (c == pos) continue;
                for_each_input_row(ws.sentence[static_cast<std::size_t>(c)],
                                   [&](S* row) { hogwild_axpy<S>(S(1), ws.gradient.data(), row, dim); });
            }
        }
    }

    template <class F>
    void for_each_input_row(TokenId word, F&& f) {
        if (inputs_.plain()) {
            f(params_.input->row(word).data());
            return;
        }
        const auto w = static_cast<std::size_t>(word);
        for (std::int64_t r = inputs_.offsets[w]; r < inputs_.offsets[w + 1]; ++r) {
            f(params_.input->row(inputs_.rows[static_cast<std::size_t>(r)]).data());
        }
    }

    void compose_mean(S* hidden, std::int64_t begin, std::int64_t end) {
        const int dim = config_.dim;
        hogwild_copy<S>(params_.input->row(inputs_.rows[static_cast<std::size_t>(begin)]).data(), hidden, dim);
        for (std::int64_t r = begin + 1; r < end; ++r) {
            hogwild_axpy<S>(S(1), params_.input->row(inputs_.rows[static_cast<std::size_t>(r)]).data(), hidden, dim);
        }
        const std::int64_t divisor = config_.gensim_input_scale && end - begin > 1 ? end - begin - 1 : end - begin;
        if (divisor > 1) RowMap<S>(hidden, dim) /= static_cast<S>(divisor);
    }

    /// Appends one prediction's negatives (config_.negative draws) to ws.negatives and prefetches
    /// their output rows.
    void draw_negatives(Workspace& ws) {
        for (int d = 0; d < config_.negative; ++d) {
            const TokenId sample = sampler_->sample(ws.rng);
            ws.negatives.push_back(sample);
            prefetch_row(params_.output_negative->row(sample).data(), config_.dim);
        }
    }

    void prefetch_output_row(TokenId word) {
        if (config_.negative > 0) prefetch_row(params_.output_negative->row(word).data(), config_.dim);
    }

    void prefetch_input_rows(TokenId word) {
        for_each_input_row(word, [&](S* row) { prefetch_row(row, config_.dim); });
    }

    /// The output layer for one prediction of `target` from the input vector `hidden`, against
    /// `negatives` (config_.negative ids, drawn ahead; a draw equal to the target is skipped):
    /// updates the output rows and accumulates the input gradient in ws.gradient.
    void train_targets(Workspace& ws, const S* hidden, TokenId target, const TokenId* negatives, S lr) {
        const int dim = config_.dim;
        double loss = 0;
        if (config_.negative > 0) {
            // All scores first: the 1 + K dot products are independent and overlap in the
            // pipeline (~10% on fastText, bench_train); then each output row's step.
            S** rows = ws.target_rows.data();
            float* labels = ws.labels.data();
            S* scores = ws.scores.data();
            int targets = 0;
            for (int d = 0; d <= config_.negative; ++d) {
                const TokenId sample = d == 0 ? target : negatives[d - 1];
                if (d > 0 && sample == target) continue;
                rows[targets] = params_.output_negative->row(sample).data();
                labels[targets] = d == 0 ? 1.0f : 0.0f;
                ++targets;
            }
            for (int t = 0; t < targets; ++t) scores[t] = hogwild_dot<S>(hidden, rows[t], dim);
            for (int t = 0; t < targets; ++t) {
                const float f = static_cast<float>(scores[t]);
                loss -= labels[t] > 0 ? table_.log_sigmoid(f) : table_.log_sigmoid(-f);
                const S g = static_cast<S>(labels[t] - table_.sigmoid(f)) * lr;
                hogwild_output_step<S>(g, hidden, rows[t], ws.gradient.data(), dim);
            }
        }
        if (config_.hierarchical_softmax) {
            const std::size_t length = tree_.code_length(target);
            const std::uint32_t* path = tree_.path(target);
            const std::uint8_t* code = tree_.code(target);
            for (std::size_t d = 0; d < length; ++d) {
                S* out = params_.output_hs->row(path[d]).data();
                const float f = static_cast<float>(hogwild_dot<S>(hidden, out, dim));
                // Branch 0 is the positive class, as in word2vec.c: p(branch) = sigma(f) for code 0.
                const float label = 1.0f - static_cast<float>(code[d]);
                loss -= code[d] == 0 ? table_.log_sigmoid(f) : table_.log_sigmoid(-f);
                const S g = static_cast<S>(label - table_.sigmoid(f)) * lr;
                hogwild_output_step<S>(g, hidden, out, ws.gradient.data(), dim);
            }
        }
        ws.loss += loss;
        ++ws.predictions;
    }

    [[nodiscard]] bool all_finite() const {
        auto finite = [](const RowMatrix<S>* m) { return m == nullptr || m->allFinite(); };
        return finite(params_.input) && finite(params_.output_negative) && finite(params_.output_hs);
    }

    EngineConfig config_;
    CorpusView corpus_;
    const InputRows& inputs_;
    EngineParameters<S> params_;
    Subsampler subsampler_;
    std::optional<AliasSampler> sampler_;  // with negative sampling
    HuffmanTree tree_;
    const SigmoidTable& table_;
    std::uint64_t corpus_tokens_ = 0;
    std::uint64_t total_tokens_ = 0;

    std::vector<ThreadState> states_;
    std::atomic<std::uint64_t> processed_{0};
    std::atomic<bool> stop_{false};
    std::atomic<bool> diverged_{false};
    std::uint64_t processed_at_start_ = 0;

    // Checkpoints: threads pause in park() until all are paused or done (park_mutex_ guards the
    // counters, the snapshot and the stop request).
    const EngineState* resume_ = nullptr;
    EngineCheckpoints checkpoints_;
    std::atomic<bool> checkpoint_due_{false};
    std::atomic<std::int64_t> last_checkpoint_ns_{0};
    std::mutex park_mutex_;
    std::condition_variable park_cv_;
    unsigned threads_ = 1;
    unsigned parked_ = 0;
    unsigned finished_ = 0;
    std::uint64_t generation_ = 0;
    EngineState snapshot_;
    bool stop_pending_ = false;
    bool stopped_after_checkpoint_ = false;
    std::atomic<bool> stop_requested_seen_{false};
    std::exception_ptr checkpoint_error_;
    Clock::time_point start_;
    Clock::time_point last_report_;
    double reported_loss_sum_ = 0;
    std::uint64_t reported_loss_count_ = 0;
};

}  // namespace embedkit::detail
