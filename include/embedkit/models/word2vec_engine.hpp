#pragma once

// Word2Vec and fastText training, put together from the shared runtime (train/: TrainingRun, the
// executor, the corpus worker loop, checkpoints at its pause point) and the update rules
// (updates/: skip-gram, shared-negative skip-gram, composed-input skip-gram, CBOW, each over the
// output layer of negative sampling and/or hierarchical softmax). fastText differs only in what a
// word's input vector is (InputRows); plain Word2Vec leaves it empty.

#include "embedkit/core/alias_sampler.hpp"
#include "embedkit/core/huffman_tree.hpp"
#include "embedkit/core/input_rows.hpp"
#include "embedkit/detail/huge_pages.hpp"
#include "embedkit/detail/rng.hpp"
#include "embedkit/detail/sigmoid_table.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/models/word2vec_options.hpp"
#include "embedkit/text/corpus.hpp"
#include "embedkit/text/subsampling.hpp"
#include "embedkit/train/checkpoint.hpp"
#include "embedkit/train/corpus_worker.hpp"
#include "embedkit/train/engine_state.hpp"
#include "embedkit/train/executor.hpp"
#include "embedkit/train/peers.hpp"
#include "embedkit/train/training_run.hpp"
#include "embedkit/types.hpp"
#include "embedkit/updates/cbow.hpp"
#include "embedkit/updates/skipgram.hpp"
#include "embedkit/updates/skipgram_composed.hpp"
#include "embedkit/updates/skipgram_shared_negatives.hpp"
#include "embedkit/updates/word2vec_layers.hpp"

#include <atomic>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <vector>

namespace embedkit::detail {

/// Parameters a run trains in place. `output_negative` is used when negative > 0, `output_hs`
/// (one row per inner node of the Huffman tree) with hierarchical softmax.
template <class S>
struct EngineParameters {
    RowMatrix<S>* input = nullptr;
    RowMatrix<S>* output_negative = nullptr;
    RowMatrix<S>* output_hs = nullptr;
};

/// The update rule for a sentence, chosen once per run from the options and the inputs.
template <class S>
[[nodiscard]] auto word2vec_rule(const updates::Word2VecLayers<S>& l) {
    using Rule = void (*)(const updates::Word2VecLayers<S>&, updates::Word2VecWorkspace<S>&, S);
    Rule rule = &updates::cbow_sentence<S>;
    const Word2VecOptions& o = *l.options;
    if (o.architecture == Word2VecArchitecture::skipgram) {
        if (!l.inputs->plain()) {
            rule = &updates::skipgram_composed_sentence<S>;
        } else if (o.shared_negatives && o.negative > 0 && !o.hierarchical_softmax) {
            rule = &updates::skipgram_shared_negatives_sentence<S>;
        } else {
            rule = &updates::skipgram_sentence<S>;
        }
    }
    return rule;
}

/// The rows of `m` from the most often updated down, for a distributed run's frequent merges
/// (empty: id order, as output rows: word ids follow frequency). A composed input matrix
/// (fastText) lists each word's rows, its n-grams' too, by the word's frequency; hierarchical
/// softmax's inner nodes go from the root (the last row) down.
template <class S>
[[nodiscard]] std::vector<std::int64_t> update_order(const RowMatrix<S>& m, const InputRows* inputs, bool huffman_nodes) {
    std::vector<std::int64_t> order;
    const auto rows = static_cast<std::size_t>(m.rows());
    if (huffman_nodes) {
        for (std::size_t k = 0; k < rows; ++k) order.push_back(static_cast<std::int64_t>(rows - 1 - k));
    } else if (inputs != nullptr && !inputs->plain()) {
        std::vector<char> listed(rows, 0);
        order.reserve(rows);
        for (const std::int32_t r : inputs->rows) {  // word by word, in id (frequency) order
            if (listed[static_cast<std::size_t>(r)] == 0) order.push_back(r);
            listed[static_cast<std::size_t>(r)] = 1;
        }
        for (std::size_t r = 0; r < rows; ++r) {
            if (listed[r] == 0) order.push_back(static_cast<std::int64_t>(r));
        }
    }
    return order;
}

/// Trains `params` on `corpus` with Hogwild workers, from the start or from `resume` (a state
/// saved by a checkpoint of a run with the same options, corpus and thread count). `options`
/// must be resolved (lr, negative_power and threads set).
template <class S>
void run_word2vec_updates(const Word2VecOptions& options, const std::vector<std::int64_t>& counts, CorpusView corpus,
                          const InputRows& inputs, updates::ComposedInputs composed, EngineParameters<S> params,
                          const EngineState* resume = nullptr, EngineCheckpoints checkpoints = {}) {
    const ThreadExecutor executor(options.threads);
    const unsigned workers = executor.workers();
    if (resume && resume->threads.size() != workers) {
        throw invalid_argument("the checkpoint was written by a run with " + std::to_string(resume->threads.size()) +
                               " threads, not " + std::to_string(workers));
    }
    const Subsampler subsampler(counts, options.sample);
    std::optional<AliasSampler> sampler;
    if (options.negative > 0) {
        sampler.emplace(make_unigram_sampler(counts, options.negative_power.value_or(kWord2VecNegativePower)));
    }
    HuffmanTree tree;
    if (options.hierarchical_softmax) tree = HuffmanTree(counts);
    for (RowMatrix<S>* m : {params.input, params.output_negative, params.output_hs}) {
        if (m != nullptr) advise_huge_pages(m->data(), static_cast<std::size_t>(m->size()) * sizeof(S));
    }
    updates::Word2VecLayers<S> layers;
    layers.options = &options;
    layers.input = params.input;
    layers.output_negative = params.output_negative;
    layers.output_hs = params.output_hs;
    layers.inputs = &inputs;
    layers.composed = composed;
    layers.sampler = sampler ? &*sampler : nullptr;
    layers.tree = &tree;
    layers.table = &SigmoidTable::instance();
    const auto rule = word2vec_rule(layers);

    const std::uint64_t total = corpus.token_count() * static_cast<std::uint64_t>(options.epochs);
    // A distributed run (options.peers): this process trains its part of the corpus and meets the
    // others at points fixed by its own word count; its schedule follows its own fraction of the
    // run, which is the global fraction at every meeting.
    Peers* const peers = options.peers;
    std::vector<std::uint64_t> meetings;
    if (peers) {
        std::vector<RowMatrix<S>*> merged;
        std::vector<std::vector<std::int64_t>> frequency_order;
        for (RowMatrix<S>* m : {params.input, params.output_negative, params.output_hs}) {
            if (m == nullptr) continue;
            merged.push_back(m);
            frequency_order.push_back(update_order(*m, m == params.input ? &inputs : nullptr, m == params.output_hs));
        }
        meetings = peers->start(merged, std::move(frequency_order), total);
    }
    std::atomic<bool> cancel_requested{false};
    TrainingRunOptions run_options;
    run_options.total_work = total;
    run_options.schedule = {options.initial_lr(), options.min_lr_ratio, static_cast<double>(total + 1)};
    run_options.workers = workers;
    run_options.progress_interval = options.progress_interval;
    if (!peers) {
        run_options.progress = options.progress;
        run_options.stop_requested = options.stop_requested;
    } else if (peers->rank() == 0 && options.progress) {
        // A callback that says stop is heard at the next meeting, by every process at once.
        run_options.progress = [&](const TrainingProgress& p) {
            if (!options.progress(p)) cancel_requested.store(true);
            return true;
        };
    }
    TrainingRun run(run_options);
    if (resume) run.resume_at(resume->processed);
    std::vector<EngineThreadState> positions(workers);
    if (resume) positions = resume->threads;
    // Meetings before it are behind this process; a resumed run continues after the meeting its
    // checkpoint was written at (a process may have passed later points then, in the same pause).
    std::size_t next_meeting = resume && peers ? static_cast<std::size_t>(resume->meetings) : 0;
    const auto here = [&] {
        EngineState state;
        state.processed = run.processed();
        state.threads = positions;
        state.meetings = next_meeting;
        return state;
    };
    std::optional<RankState> corpus_id;  // this process's corpus, for checkpoints
    // Meets the others at the next point: merges parameters, checkpoints when they decide so.
    const auto meet = [&](const std::exception_ptr& failure) {
        const bool wants_stop = (options.stop_requested != nullptr && options.stop_requested->load()) ||
                                cancel_requested.load();
        const PeerDecision d =
            peers->meet(next_meeting++, failure, wants_stop, checkpoints.save ? checkpoints.every_seconds : -1.0);
        if (d.checkpoint && checkpoints.save) {
            if (!corpus_id) {
                const CorpusFingerprint f = fingerprint(corpus);
                corpus_id.emplace();
                corpus_id->corpus_tokens = f.tokens;
                corpus_id->corpus_checksum = f.checksum;
            }
            peers->save_checkpoint(here(), *corpus_id, checkpoints.save);
        }
        return d;
    };
    // The processes decided at a meeting to stop (a signal, a progress callback on one of them).
    const auto throw_stopped_by_peers = [&] {
        throw cancelled(checkpoints.save ? "training stopped on request; the checkpoint holds its last state"
                                         : "training cancelled");
    };
    if (peers) {
        // A resumed process that had passed later meeting points when its checkpoint was written
        // meets there before it trains, as the run never stopped did in the same pause.
        while (resume && next_meeting + 1 < meetings.size() && run.processed() >= meetings[next_meeting]) {
            if (meet(nullptr).stop) throw_stopped_by_peers();
        }
        run.set_pause_points({meetings.begin() + static_cast<std::ptrdiff_t>(next_meeting), meetings.end() - 1});
        PauseAction at_meetings;
        at_meetings.action = [&] {
            while (next_meeting + 1 < meetings.size() && run.processed() >= meetings[next_meeting]) {
                if (meet(nullptr).stop) return run.stop_at_pause(static_cast<bool>(checkpoints.save));
            }
        };
        run.set_pause_action(std::move(at_meetings));
    } else if (checkpoints.save) {
        run.set_pause_action({checkpoints.every_seconds, [&] { checkpoints.save(here()); }});
    }
    std::exception_ptr failure;
    try {
        executor.run([&](unsigned t) {
            updates::Word2VecWorkspace<S> ws(options.dim, options.negative);
            run_corpus_worker<S>(run, t, corpus.shard(t, workers), options.epochs, subsampler,
                                 resume ? &resume->threads[t] : nullptr, stream_seed(options.seed, t), ws, positions,
                                 [&](updates::Word2VecWorkspace<S>& w, S lr) { rule(layers, w, lr); });
        });
        run.throw_if_stopped();
    } catch (...) {
        failure = std::current_exception();
    }
    // The meetings this process has not reached (the last is the final merge). A failure here is
    // every process's: meet() throws on all of them.
    while (peers && !peers->ended() && next_meeting < meetings.size()) {
        if (meet(failure).stop) throw_stopped_by_peers();
    }
    if (failure) std::rethrow_exception(failure);
    auto finite = [](const RowMatrix<S>* m) { return m == nullptr || m->allFinite(); };
    run.finish([&] { return finite(params.input) && finite(params.output_negative) && finite(params.output_hs); });
}

}  // namespace embedkit::detail
