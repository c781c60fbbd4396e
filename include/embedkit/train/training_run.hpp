#pragma once

// The shared state of one training run, whatever the model: the global work counter that drives
// the learning-rate schedule and the progress fraction, each worker's running loss, progress
// reports (with the loss since the last report and an ETA), stop requests (a flag, or the
// progress callback saying no), divergence (a loss that became NaN or Inf) and the pause point
// where every worker stands still so a checkpoint sees parameters that hold still.
//
// A trainer owns one TrainingRun, has its executor run the workers, and has each worker call
// sync() every few thousand units of work; between two syncs a worker touches nothing here. After
// the workers return, finish() turns what happened into the result or the exception.

#include "embedkit/errors.hpp"
#include "embedkit/train/schedule.hpp"
#include "embedkit/train/training_progress.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace embedkit {

struct TrainingRunOptions {
    /// Units of work in the whole run (corpus tokens x epochs, cells x epochs, pairs x epochs).
    std::uint64_t total_work = 0;
    LinearSchedule schedule;
    unsigned workers = 1;
    ProgressCallback progress;
    double progress_interval = 1.0;
    /// When it becomes true (a signal handler may set it), the run stops: after a final pause
    /// (checkpoint) when a pause action is set, at once otherwise.
    const std::atomic<bool>* stop_requested = nullptr;
    /// Names the run in exceptions: "<name> diverged ...", "<name> cancelled".
    std::string name = "training";
};

/// The pause point's action: called with every worker paused (or done), every `every_seconds`
/// and once more before a requested stop. An exception from it stops the run and finish()
/// rethrows it.
struct PauseAction {
    double every_seconds = 0;     ///< 0: only before a requested stop
    std::function<void()> action;  ///< empty: workers never pause
};

class TrainingRun {
public:
    explicit TrainingRun(TrainingRunOptions options)
        : options_(std::move(options)), workers_(std::max(1u, options_.workers)),
          stats_(new WorkerStats[workers_]) {
        start_ = last_report_ = Clock::now();
    }

    /// Continues a run that had already done `processed` units (a resumed checkpoint).
    void resume_at(std::uint64_t processed) {
        processed_.store(processed);
        processed_at_start_ = processed;
    }

    void set_pause_action(PauseAction pause) { pause_ = std::move(pause); }
    /// Also pause (and run the pause action) once the work count reaches each of `points`
    /// (ascending): the meeting points of a distributed run, fixed by work so that a rerun
    /// pauses at the same words.
    void set_pause_points(std::vector<std::uint64_t> points) { pause_points_ = std::move(points); }

    [[nodiscard]] unsigned workers() const noexcept { return workers_; }
    [[nodiscard]] const TrainingRunOptions& options() const noexcept { return options_; }
    [[nodiscard]] std::uint64_t processed() const noexcept { return processed_.load(std::memory_order_relaxed); }
    [[nodiscard]] double learning_rate(std::uint64_t done) const noexcept { return options_.schedule.at(done); }
    [[nodiscard]] bool stopping() const noexcept { return stop_.load(std::memory_order_relaxed); }

    /// The epoch `worker` is in (reports show worker 0's).
    void set_epoch(unsigned worker, int epoch) noexcept { stats_[worker].epoch.store(epoch, std::memory_order_relaxed); }

    /// A worker's progress: `work` more units done; `loss_sum` and `loss_count` its totals so far.
    /// Returns the learning rate for its next stretch of work (from the global count), and sets
    /// `keep_going` false when the run must stop. Worker 0 reports progress.
    double sync(unsigned worker, std::uint64_t work, double loss_sum, std::uint64_t loss_count, bool& keep_going) {
        const std::uint64_t done = processed_.fetch_add(work, std::memory_order_relaxed) + work;
        const double lr = options_.schedule.at(done);
        publish_loss(worker, loss_sum, loss_count);
        const auto now = Clock::now();
        if (worker == 0 && options_.progress &&
            std::chrono::duration<double>(now - last_report_).count() >= options_.progress_interval) {
            last_report_ = now;
            if (!report(false, lr)) request_stop();
        }
        if (options_.stop_requested && options_.stop_requested->load(std::memory_order_relaxed) &&
            !stop_request_seen_.exchange(true)) {
            request_stop();
        }
        const std::size_t point = next_point_.load(std::memory_order_relaxed);
        if (point < pause_points_.size() && done >= pause_points_[point]) pause_due_.store(true, std::memory_order_relaxed);
        if (pause_.action && pause_.every_seconds > 0) {
            const double since = std::chrono::duration<double>(now - start_).count() -
                                 static_cast<double>(last_pause_ns_.load(std::memory_order_relaxed)) * 1e-9;
            if (since >= pause_.every_seconds) pause_due_.store(true, std::memory_order_relaxed);
        }
        keep_going = !stop_.load(std::memory_order_relaxed);
        return lr;
    }

    /// Records a worker's loss totals without counting work (a worker that reports per batch).
    void publish_loss(unsigned worker, double loss_sum, std::uint64_t loss_count) {
        stats_[worker].loss_sum.store(loss_sum, std::memory_order_relaxed);
        stats_[worker].loss_count.store(loss_count, std::memory_order_relaxed);
        if (!std::isfinite(loss_sum)) diverge();
    }

    /// Marks the run diverged (a NaN or Inf loss or parameter) and stops it.
    void diverge() noexcept {
        diverged_.store(true);
        stop_.store(true);
    }

    /// Stops the run: after a final pause (checkpoint) when a pause action is set, at once otherwise.
    void request_stop() {
        if (pause_.action) {
            std::lock_guard<std::mutex> lock(pause_mutex_);
            stop_pending_ = true;
            pause_due_.store(true);
        } else {
            stop_.store(true);
        }
    }

    /// Called by the pause action: the run stops when the pause ends (`saved`: a checkpoint holds
    /// its state, which the exception of finish() then says).
    void stop_at_pause(bool saved) noexcept {
        stop_pending_ = true;
        stopped_after_pause_ = saved;
    }

    /// True when the workers should stop at their next safe point and call pause().
    [[nodiscard]] bool pause_due() const noexcept { return pause_due_.load(std::memory_order_relaxed); }

    /// Waits until every worker is paused or done; `record()` runs first, under the pause lock (a
    /// worker stores where it is there). The last worker to arrive runs the pause action and
    /// wakes the others. Returns false when the run must stop.
    template <class Record>
    bool pause(Record&& record) {
        std::unique_lock<std::mutex> lock(pause_mutex_);
        record();
        ++paused_;
        const std::uint64_t generation = generation_;
        if (paused_ + finished_ == workers_) {
            complete_pause();
        } else {
            pause_cv_.wait(lock, [&] { return generation_ != generation; });
        }
        return !stop_.load();
    }

    /// Called once by every worker when it ends, however it ends (done, stopped, an exception):
    /// it no longer holds up pauses. `record()` runs under the pause lock.
    template <class Record>
    void leave(Record&& record) {
        std::unique_lock<std::mutex> lock(pause_mutex_);
        record();
        ++finished_;
        if (std::uncaught_exceptions() > 0) stop_.store(true);
        if (paused_ > 0 && paused_ + finished_ == workers_) complete_pause();
    }

    /// A report now (forced reports ignore the interval), as from the reporting worker. Returns
    /// false when the callback asked to stop (the run is then stopping).
    bool report_now(double lr, bool forced = true) {
        if (!options_.progress) return true;
        const auto now = Clock::now();
        if (!forced && std::chrono::duration<double>(now - last_report_).count() < options_.progress_interval) return true;
        last_report_ = now;
        if (report(false, lr)) return true;
        request_stop();
        return false;
    }

    /// Mid-run, between two passes of the workers: rethrows a failed pause action, throws
    /// numeric_error if the run diverged, cancelled if it was stopped; otherwise returns.
    void throw_if_stopped() const {
        if (pause_error_) std::rethrow_exception(pause_error_);
        if (diverged_.load()) throw_diverged("the loss became NaN or Inf");
        if (stop_.load()) {
            throw cancelled(stopped_after_pause_ ? options_.name + " stopped on request; the checkpoint holds its last state"
                                                 : options_.name + " cancelled");
        }
    }

    /// After the workers have returned: what throw_if_stopped throws; then numeric_error if
    /// `parameters_finite()` (called only for a run that was not stopped: it may scan the
    /// matrices) is false; otherwise the final report (fraction 1, the floor learning rate, the
    /// mean loss of the run).
    template <class ParametersFinite>
    void finish(ParametersFinite&& parameters_finite) {
        throw_if_stopped();
        if (!parameters_finite()) throw_diverged("it produced NaN or Inf parameters");
        (void)report(true, options_.schedule.initial * options_.schedule.min_ratio);
    }
    void finish() {
        finish([] { return true; });
    }

    /// Seconds since the run was created.
    [[nodiscard]] double elapsed_seconds() const {
        return std::chrono::duration<double>(Clock::now() - start_).count();
    }

    [[noreturn]] void throw_diverged(const std::string& what) const {
        throw numeric_error(options_.name + " diverged: " + what + " (learning rate " +
                            std::to_string(options_.schedule.initial) + " is too high; try a lower one)");
    }

private:
    using Clock = std::chrono::steady_clock;

    struct alignas(64) WorkerStats {
        std::atomic<double> loss_sum{0.0};
        std::atomic<std::uint64_t> loss_count{0};
        std::atomic<int> epoch{0};
    };

    /// With pause_mutex_ held and every worker paused or done: runs the action (unless the run is
    /// failing), then releases the paused workers.
    void complete_pause() {
        if (pause_.action && !diverged_.load() && !pause_error_ && !(stop_.load() && !stop_pending_)) {
            try {
                const bool stop_was_pending = stop_pending_;
                pause_.action();
                if (stop_was_pending) stopped_after_pause_ = true;
            } catch (...) {
                pause_error_ = std::current_exception();
                stop_.store(true);
            }
        }
        if (stop_pending_) stop_.store(true);
        last_pause_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count(),
                             std::memory_order_relaxed);
        std::size_t point = next_point_.load();
        while (point < pause_points_.size() && processed() >= pause_points_[point]) ++point;
        next_point_.store(point);
        pause_due_.store(false);
        paused_ = 0;
        ++generation_;
        pause_cv_.notify_all();
    }

    /// Calls the progress callback; returns what it returned (always true for the final report).
    bool report(bool final_report, double lr) {
        if (!options_.progress) return true;
        double loss_sum = 0;
        std::uint64_t loss_count = 0;
        for (unsigned w = 0; w < workers_; ++w) {
            loss_sum += stats_[w].loss_sum.load(std::memory_order_relaxed);
            loss_count += stats_[w].loss_count.load(std::memory_order_relaxed);
        }
        TrainingProgress p;
        p.tokens_processed = processed_.load(std::memory_order_relaxed);
        const std::uint64_t this_run = p.tokens_processed - processed_at_start_;
        const double total = static_cast<double>(std::max<std::uint64_t>(options_.total_work, 1));
        p.fraction = final_report ? 1.0 : std::min(1.0, static_cast<double>(p.tokens_processed) / total);
        p.epoch = stats_[0].epoch.load(std::memory_order_relaxed);
        p.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start_).count();
        p.words_per_sec_per_thread =
            p.elapsed_seconds > 0 ? static_cast<double>(this_run) / p.elapsed_seconds / static_cast<double>(workers_) : 0.0;
        if (!final_report && this_run > 0 && p.tokens_processed < options_.total_work) {
            p.eta_seconds = p.elapsed_seconds * static_cast<double>(options_.total_work - p.tokens_processed) /
                            static_cast<double>(this_run);
        }
        p.learning_rate = lr;
        const std::uint64_t count_delta = loss_count - reported_loss_count_;
        p.loss = count_delta > 0 ? (loss_sum - reported_loss_sum_) / static_cast<double>(count_delta)
                                 : (loss_count > 0 ? loss_sum / static_cast<double>(loss_count) : 0.0);
        if (final_report && loss_count > 0) p.loss = loss_sum / static_cast<double>(loss_count);
        reported_loss_sum_ = loss_sum;
        reported_loss_count_ = loss_count;
        return options_.progress(p) || final_report;
    }

    TrainingRunOptions options_;
    unsigned workers_;
    std::unique_ptr<WorkerStats[]> stats_;
    std::atomic<std::uint64_t> processed_{0};
    std::uint64_t processed_at_start_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<bool> diverged_{false};
    std::atomic<bool> stop_request_seen_{false};
    Clock::time_point start_;
    Clock::time_point last_report_;  // the reporting worker's only
    double reported_loss_sum_ = 0;
    std::uint64_t reported_loss_count_ = 0;

    // The pause point: workers wait in pause() until all are paused or done (pause_mutex_ guards
    // the counters and the stop request).
    PauseAction pause_;
    std::atomic<bool> pause_due_{false};
    std::atomic<std::int64_t> last_pause_ns_{0};
    std::vector<std::uint64_t> pause_points_;
    std::atomic<std::size_t> next_point_{0};  // the first of pause_points_ not yet reached
    std::mutex pause_mutex_;
    std::condition_variable pause_cv_;
    unsigned paused_ = 0;
    unsigned finished_ = 0;
    std::uint64_t generation_ = 0;
    bool stop_pending_ = false;
    bool stopped_after_pause_ = false;
    std::exception_ptr pause_error_;
};

}  // namespace embedkit
