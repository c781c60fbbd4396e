#pragma once

#include <cstdint>
#include <functional>

namespace embedkit {

/// What a trainer reports while it runs. Every trainer calls the callback from one thread, at
/// most every `progress_interval` seconds and once at the end (fraction 1).
struct TrainingProgress {
    double fraction = 0;              ///< of the whole run, in [0, 1]
    int epoch = 0;                    ///< 0-based epoch the reporting thread is in
    std::uint64_t tokens_processed = 0;  ///< corpus tokens read so far, all threads, all epochs
    double words_per_sec_per_thread = 0;
    double learning_rate = 0;
    double loss = 0;                  ///< mean loss per prediction since the previous report
    double elapsed_seconds = 0;
    /// Seconds left at the rate of this run so far (0 when unknown, and in the final report).
    double eta_seconds = 0;
};

/// Return false to cancel the run; the trainer then throws `embedkit::cancelled`.
using ProgressCallback = std::function<bool(const TrainingProgress&)>;

}  // namespace embedkit
