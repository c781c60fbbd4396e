#pragma once

// SIGINT and SIGTERM during training: the first one asks the trainer to stop (after writing a
// final checkpoint when --checkpoint is on) and the command exits with 128 + the signal number;
// the handler then restores the default action, so a second Ctrl-C ends the process at once.

#include <atomic>
#include <csignal>

namespace embedkit::cli {

/// Set by the handler; the trainers poll it (a lock-free atomic is safe to store from a handler).
inline std::atomic<bool> g_stop_requested{false};
inline std::atomic<int> g_stop_signal{0};

extern "C" inline void embedkit_stop_handler(int signal) {
    g_stop_signal.store(signal);
    g_stop_requested.store(true);
    std::signal(signal, SIG_DFL);
}

/// Installs the handler for SIGINT and SIGTERM while it lives.
class StopOnSignals {
public:
    StopOnSignals() {
        static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free);
        previous_int_ = std::signal(SIGINT, embedkit_stop_handler);
        previous_term_ = std::signal(SIGTERM, embedkit_stop_handler);
    }
    StopOnSignals(const StopOnSignals&) = delete;
    StopOnSignals& operator=(const StopOnSignals&) = delete;
    ~StopOnSignals() {
        std::signal(SIGINT, previous_int_ == SIG_ERR ? SIG_DFL : previous_int_);
        std::signal(SIGTERM, previous_term_ == SIG_ERR ? SIG_DFL : previous_term_);
    }

    [[nodiscard]] static const std::atomic<bool>* flag() noexcept { return &g_stop_requested; }
    [[nodiscard]] static bool stopped() noexcept { return g_stop_requested.load(); }
    /// The exit status of a process ended by the signal received: 128 + its number.
    [[nodiscard]] static int exit_status() noexcept { return 128 + g_stop_signal.load(); }

private:
    using Handler = void (*)(int);
    Handler previous_int_ = SIG_DFL;
    Handler previous_term_ = SIG_DFL;
};

/// Thrown by a command to end the process with `status` after printing nothing more.
struct Exit {
    int status = 1;
};

}  // namespace embedkit::cli
