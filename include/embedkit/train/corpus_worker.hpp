#pragma once

// One worker of a run that reads a corpus sentence by sentence (Word2Vec, fastText, and any model
// that learns from sentences): for each epoch, read the worker's shard, drop subsampled words,
// hand each sentence to the model's update rule, and every kCorpusSyncEvery tokens sync with the
// TrainingRun (learning rate, progress, stop) and stop at its pause point when one is due.
// The worker's position is what a checkpoint saves, so a resumed worker continues exactly.

#include "embedkit/detail/rng.hpp"
#include "embedkit/text/corpus.hpp"
#include "embedkit/text/subsampling.hpp"
#include "embedkit/train/engine_state.hpp"
#include "embedkit/train/training_run.hpp"

#include <cstdint>
#include <vector>

namespace embedkit {

/// Tokens a worker reads between two syncs with the run.
inline constexpr std::uint64_t kCorpusSyncEvery = 10000;

/// Runs worker `worker` over `shard` for `epochs` epochs. `ws` has `rng`, `sentence` (a vector of
/// ids), `loss` and `predictions`; `train_sentence(ws, lr)` trains on ws.sentence at rate lr (of
/// type S). Starts from `from` when given (a checkpoint), else from the shard's start with
/// `seed_stream` seeding ws.rng. `positions[worker]` receives where the worker is at every pause
/// and when it ends.
template <class S, class Workspace, class TrainSentence>
void run_corpus_worker(TrainingRun& run, unsigned worker, CorpusView shard, int epochs, const Subsampler& subsampler,
                       const detail::EngineThreadState* from, std::uint64_t seed_stream, Workspace& ws,
                       std::vector<detail::EngineThreadState>& positions, TrainSentence&& train_sentence) {
    using detail::EngineThreadState;
    // However the worker ends (done, stopped, an exception), it leaves the pause point.
    struct Leave {
        TrainingRun& run;
        std::vector<EngineThreadState>& positions;
        unsigned worker;
        int epochs;
        Workspace& ws;
        ~Leave() {
            run.leave([&] {
                EngineThreadState done;
                done.epoch = epochs;
                done.rng = ws.rng.state();
                done.loss = ws.loss;
                done.predictions = ws.predictions;
                positions[worker] = done;
            });
        }
    } leave_on_exit{run, positions, worker, epochs, ws};
    EngineThreadState start;
    if (from) {
        start = *from;
        if (start.position > shard.size) {
            throw invalid_argument("the checkpoint's position is beyond the corpus shard: is it the same corpus?");
        }
        ws.rng.set_state(start.rng);
        ws.loss = start.loss;
        ws.predictions = start.predictions;
    } else {
        ws.rng.reseed(seed_stream);
        start.lr = run.options().schedule.initial;
    }
    std::uint64_t unsynced = 0;
    S lr = static_cast<S>(start.lr);
    bool keep_going = true;
    std::size_t i = static_cast<std::size_t>(start.position);
    // A file-backed corpus (MappedCorpus) gives back the pages of ids this worker has passed, a
    // block at a time, so its resident part stays at about one block per worker.
    std::size_t released = i;
    for (int epoch = start.epoch; epoch < epochs; ++epoch, i = 0, released = 0) {
        run.set_epoch(worker, epoch);
        while (i < shard.size) {
            ws.sentence.clear();
            for (; i < shard.size && shard.data[i] != kSentenceEnd; ++i) {
                ++unsynced;
                if (subsampler.keep(shard.data[i], ws.rng)) ws.sentence.push_back(shard.data[i]);
            }
            if (i < shard.size) ++i;  // past the sentence end (a shard may end without one)
            train_sentence(ws, lr);
            if (unsynced >= kCorpusSyncEvery) {
                if (i - released >= CorpusView::kPassBlock) {
                    shard.release(shard.data + released, shard.data + i);
                    released = i;
                }
                lr = static_cast<S>(run.sync(worker, unsynced, ws.loss, ws.predictions, keep_going));
                if (!keep_going) return;
                unsynced = 0;
                if (run.pause_due()) {
                    EngineThreadState here;
                    here.epoch = epoch;
                    here.position = i;
                    here.rng = ws.rng.state();
                    here.lr = static_cast<double>(lr);
                    here.loss = ws.loss;
                    here.predictions = ws.predictions;
                    if (!run.pause([&] { positions[worker] = here; })) return;
                }
            }
        }
        shard.release(shard.data + released, shard.data + shard.size);
    }
    (void)run.sync(worker, unsynced, ws.loss, ws.predictions, keep_going);
}

}  // namespace embedkit
