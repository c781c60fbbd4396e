#pragma once

// Progress lines for long runs on stderr: refreshed in place on a terminal, plain periodic lines
// otherwise (logs, CI), and a summary at the end.

#include <embedkit/train/training_progress.hpp>

#include <fmt/core.h>

#include <cstdio>
#include <string>
#include <utility>

#include <unistd.h>

namespace embedkit::cli {

[[nodiscard]] inline std::string format_duration(double seconds) {
    if (!(seconds >= 0) || seconds > 1e7) return "--:--";
    const long s = static_cast<long>(seconds + 0.5);
    if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
    return fmt::format("{}:{:02}", s / 60, s % 60);
}

[[nodiscard]] inline std::string format_rate(double per_second) {
    if (per_second >= 1e6) return fmt::format("{:.2f}M", per_second / 1e6);
    if (per_second >= 1e3) return fmt::format("{:.1f}k", per_second / 1e3);
    return fmt::format("{:.0f}", per_second);
}

/// Which fields a progress line shows and what it calls them (the defaults are Word2Vec's line).
struct ProgressStyle {
    std::string rate = "words/sec/thread";  ///< label of words_per_sec_per_thread; "" hides it
    bool learning_rate = true;
    std::string loss = "loss";  ///< label of loss; "" hides it
};

class ProgressPrinter {
public:
    explicit ProgressPrinter(std::string stage, bool quiet = false, ProgressStyle style = {})
        : stage_(std::move(stage)), quiet_(quiet), terminal_(::isatty(STDERR_FILENO) == 1), style_(std::move(style)) {}

    /// Seconds between reports: frequent in place on a terminal, sparse in a log.
    [[nodiscard]] double interval() const noexcept { return terminal_ ? 0.5 : 10.0; }

    bool operator()(const TrainingProgress& p) {
        if (quiet_) return true;
        // The runtime's ETA counts only this run's pace (right for a resumed run); trainers
        // that do not set it get one from the fraction.
        const double eta = p.eta_seconds > 0   ? p.eta_seconds
                           : p.fraction >= 1.0 ? 0.0
                           : p.fraction > 0    ? p.elapsed_seconds * (1.0 - p.fraction) / p.fraction
                                               : -1.0;
        std::string line = fmt::format("{}: {:5.1f}%", stage_, 100.0 * p.fraction);
        if (!style_.rate.empty()) line += fmt::format("  {}: {:>7}", style_.rate, format_rate(p.words_per_sec_per_thread));
        if (style_.learning_rate) line += fmt::format("  lr: {:.6f}", p.learning_rate);
        if (!style_.loss.empty()) line += fmt::format("  {}: {:.4f}", style_.loss, p.loss);
        line += fmt::format("  ETA: {}", format_duration(eta));
        if (terminal_) {
            fmt::print(stderr, "\r{}\x1b[K", line);
            if (p.fraction >= 1.0) fmt::print(stderr, "\n");
        } else {
            fmt::print(stderr, "{}\n", line);
        }
        std::fflush(stderr);
        return true;
    }

private:
    std::string stage_;
    bool quiet_;
    bool terminal_;
    ProgressStyle style_;
};

}  // namespace embedkit::cli
