#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace embedkit::detail {

/// Threads to use when the caller asks for "all cores" (0): the hardware concurrency, at least 1.
[[nodiscard]] inline unsigned resolve_threads(unsigned requested) {
    if (requested > 0) return requested;
    const unsigned hw = std::thread::hardware_concurrency();
    return hw > 0 ? hw : 1;
}

/// Runs `body(thread_index)` on `threads` std::threads (the calling thread is index 0) and joins
/// them. The first exception thrown by any body is rethrown after every thread has finished.
template <class Body>
void run_threads(unsigned threads, Body&& body) {
    threads = std::max(1u, threads);
    std::exception_ptr first_error;
    std::mutex error_mutex;
    auto guarded = [&](unsigned t) {
        try {
            body(t);
        } catch (...) {
            std::lock_guard<std::mutex> lock(error_mutex);
            if (!first_error) first_error = std::current_exception();
        }
    };
    std::vector<std::thread> workers;
    workers.reserve(threads - 1);
    try {
        for (unsigned t = 1; t < threads; ++t) workers.emplace_back(guarded, t);
    } catch (...) {
        // Could not start a thread: finish with the ones we have, then report.
        guarded(0);
        for (auto& w : workers) w.join();
        throw;
    }
    guarded(0);
    for (auto& w : workers) w.join();
    if (first_error) std::rethrow_exception(first_error);
}

/// Calls `body(begin, end, thread_index)` on contiguous blocks of [0, n), one block per thread.
template <class Body>
void parallel_for(std::size_t n, unsigned threads, Body&& body) {
    threads = static_cast<unsigned>(std::min<std::size_t>(std::max(1u, threads), std::max<std::size_t>(n, 1)));
    run_threads(threads, [&](unsigned t) {
        const std::size_t begin = n * t / threads;
        const std::size_t end = n * (t + 1) / threads;
        if (begin < end) body(begin, end, t);
    });
}

}  // namespace embedkit::detail
