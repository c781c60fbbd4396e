#pragma once

// When a long-running job calls its progress callback: at most every `interval` seconds, plus the
// reports it forces (the end, an epoch's end). Not thread-safe: one thread reports.

#include "embedkit/train/training_progress.hpp"

#include <chrono>

namespace embedkit::detail {

class ProgressClock {
public:
    explicit ProgressClock(double interval = 1.0) : interval_(interval) { restart(); }

    /// Starts the clock (the elapsed time counts from here).
    void restart() { start_ = last_ = Clock::now(); }

    /// True when a report is due now (always when `forced`); then remembers this time as the last
    /// report and sets p.elapsed_seconds.
    [[nodiscard]] bool due(bool forced, TrainingProgress& p) {
        const auto now = Clock::now();
        if (!forced && std::chrono::duration<double>(now - last_).count() < interval_) return false;
        last_ = now;
        p.elapsed_seconds = std::chrono::duration<double>(now - start_).count();
        return true;
    }

    [[nodiscard]] double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

private:
    using Clock = std::chrono::steady_clock;
    double interval_;
    Clock::time_point start_;
    Clock::time_point last_;
};

}  // namespace embedkit::detail
