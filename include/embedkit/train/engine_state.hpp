#pragma once

// Where a corpus-reading run is (every worker's epoch, shard position, random stream, learning
// rate and loss sums), which checkpoints save and resume from.

#include "embedkit/detail/rng.hpp"

#include <cstdint>
#include <vector>

namespace embedkit::detail {

/// Where one thread is: its epoch, the shard position of its next sentence, its random stream,
/// its learning rate and loss sums. Everything a checkpoint needs to continue it exactly.
struct EngineThreadState {
    std::int32_t epoch = 0;  ///< == epochs once the thread is done
    std::uint64_t position = 0;
    Rng::State rng{};
    double lr = 0;
    double loss = 0;
    std::uint64_t predictions = 0;
};

/// The engine's state between two sentences: with the parameter matrices, a whole run.
struct EngineState {
    std::uint64_t processed = 0;  ///< corpus tokens read, all threads and epochs
    std::vector<EngineThreadState> threads;
};

}  // namespace embedkit::detail
