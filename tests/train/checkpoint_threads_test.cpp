// The checkpoint protocol with several threads: in its own file so that the ThreadSanitizer step
// of .ci/run (embedkit_threaded_tests, tests/CMakeLists.txt) runs it without the single-threaded
// bit-identity tests of checkpoint_test.cpp, which take two minutes there and start no thread.

#include <embedkit/detail/binary_io.hpp>
#include <embedkit/models/word2vec_engine.hpp>
#include <embedkit/train/checkpoint.hpp>
#include <embedkit/models/word2vec.hpp>

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"
#include "support/zipf_corpus.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

using namespace embedkit;
using embedkit::testing::TempDir;
namespace fs = std::filesystem;

TEST_CASE("two threads checkpointing at every synchronisation point stop, resume and finish", "[checkpoint]") {
    // The pause protocol under contention: both threads park between sentences for a checkpoint
    // at every synchronisation point and the last to arrive writes it; near the end of each run
    // one thread has finished its shard and the other checkpoints alone; a stop request (raised
    // on thread 0, seen by either) ends both after a final checkpoint. Twice, then to the end.
    const auto [vocab, corpus] = embedkit::testing::zipf_corpus(9, 400, 120'000, 60);
    const TempDir dir;
    for (const auto architecture : {Word2VecArchitecture::skipgram, Word2VecArchitecture::cbow}) {
        INFO((architecture == Word2VecArchitecture::skipgram ? "skip-gram" : "cbow"));
        const std::string path =
            dir.file(architecture == Word2VecArchitecture::skipgram ? "skipgram.ckpt" : "cbow.ckpt");
        std::atomic<bool> stop{false};
        // The progress callback runs on thread 0 (the caller's) while thread 1 may be writing a
        // checkpoint: the file it reads is always a whole one (atomic replacement), and never
        // from an earlier point than the last one it read.
        int reads = 0;
        std::uint64_t last_processed = 0;
        auto watch = [&](int stop_at_call) {
            auto calls = std::make_shared<int>(0);
            return [&, calls, stop_at_call](const TrainingProgress&) {
                if (fs::exists(path)) {
                    const auto c = read_checkpoint<float>(path);
                    CHECK(c.state.threads.size() == 2);
                    CHECK(c.state.processed >= last_processed);
                    last_processed = c.state.processed;
                    ++reads;
                }
                if (++*calls == stop_at_call) stop.store(true);
                return true;
            };
        };
        // Heavy subsampling and a small window keep the updates (and ThreadSanitizer's work on the
        // Hogwild races, suppressed but costly) few, while the threads still read every token and
        // so pause as often.
        Word2VecOptions o;
        o.architecture = architecture;
        o.dim = 8;
        o.window = 2;
        o.negative = 2;
        o.sample = 1e-5;
        o.epochs = 2;
        o.threads = 2;
        o.seed = 3;
        o.checkpoint = {path, 1e-9};  // at every synchronisation point (every 10,000 words a thread)
        o.stop_requested = &stop;
        o.progress_interval = 0;
        o.progress = watch(3);
        CHECK_THROWS_AS(train_word2vec(vocab, corpus.view(), o), cancelled);
        const std::uint64_t first_stop = read_checkpoint<float>(path).state.processed;
        CHECK(first_stop > 0);

        ResumeOptions r;
        r.checkpoint = {path, 1e-9};
        r.stop_requested = &stop;
        r.progress_interval = 0;
        r.progress = watch(3);
        stop.store(false);
        CHECK_THROWS_AS(resume_word2vec(path, corpus.view(), r), cancelled);
        const auto second = read_checkpoint<float>(path);
        CHECK(second.state.processed > first_stop);
        CHECK(second.state.processed < 2 * corpus.token_count());

        r.progress = watch(-1);
        stop.store(false);
        const auto model = resume_word2vec(path, corpus.view(), r);
        CHECK(model.options.threads == 2);
        CHECK(model.input.allFinite());
        CHECK(model.input.rows() == static_cast<Eigen::Index>(vocab.size()));
        CHECK(reads >= 6);
        CHECK(read_checkpoint<float>(path).state.processed <= 2 * corpus.token_count());
    }
}

TEST_CASE("no thread trains while a checkpoint is written: the parameters hold still", "[checkpoint]") {
    // What the pause protocol exists for, checked directly: the save callback hashes the matrices,
    // waits, and hashes them again. ThreadSanitizer cannot see a save racing with training (the
    // training side is a suppressed Hogwild access), so this test is what would catch it.
    const auto [vocab, corpus] = embedkit::testing::zipf_corpus(10, 400, 120'000, 60);
    Word2VecOptions config;  // few updates, as above
    config.dim = 8;
    config.window = 2;
    config.negative = 2;
    config.sample = 1e-5;
    config.epochs = 2;
    config.threads = 2;
    config = detail::resolved(config, 0.75);
    RowMatrix<float> input = RowMatrix<float>::Constant(static_cast<Eigen::Index>(vocab.size()), config.dim, 0.01f);
    RowMatrix<float> output = RowMatrix<float>::Zero(static_cast<Eigen::Index>(vocab.size()), config.dim);
    detail::EngineParameters<float> params;
    params.input = &input;
    params.output_negative = &output;
    auto hash = [&] {
        detail::Checksum64 sum;
        sum.update(input.data(), static_cast<std::size_t>(input.size()) * sizeof(float));
        sum.update(output.data(), static_cast<std::size_t>(output.size()) * sizeof(float));
        return sum.value();
    };
    // The callback runs on whichever thread completes the pause, with the other one parked:
    // it only records, and the test checks after the run.
    int saves = 0;
    int moved = 0;
    std::uint64_t last_processed = 0;
    bool processed_monotonic = true;
    detail::EngineCheckpoints checkpoints;
    checkpoints.every_seconds = 1e-9;
    checkpoints.save = [&](const detail::EngineState& state) {
        const std::uint64_t before = hash();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        moved += hash() != before;
        processed_monotonic = processed_monotonic && state.processed >= last_processed && state.threads.size() == 2;
        last_processed = state.processed;
        ++saves;
    };
    const InputRows plain;
    detail::run_word2vec_updates<float>(config, vocab.counts(), corpus.view(), plain, {}, params, nullptr, checkpoints);
    CHECK(saves >= 5);
    CHECK(moved == 0);
    CHECK(processed_monotonic);
    CHECK(input.allFinite());
}
