#pragma once

// Where a training run's workers execute. A trainer asks its executor to run a body once per
// worker and gets the first exception back after every worker has returned. ThreadExecutor runs
// the workers as threads of this process; a distributed executor (its own optional target) runs
// one set of workers per process on several machines behind the same two calls.

#include "embedkit/detail/parallel.hpp"

#include <algorithm>
#include <utility>

namespace embedkit {

class ThreadExecutor {
public:
    /// `threads` workers (0: all cores).
    explicit ThreadExecutor(unsigned threads) : threads_(std::max(1u, detail::resolve_threads(threads))) {}

    [[nodiscard]] unsigned workers() const noexcept { return threads_; }

    /// Calls body(worker) for every worker in [0, workers()) at once (the calling thread is
    /// worker 0); rethrows the first exception after all have finished.
    template <class Body>
    void run(Body&& body) const {
        detail::run_threads(threads_, std::forward<Body>(body));
    }

private:
    unsigned threads_;
};

}  // namespace embedkit
