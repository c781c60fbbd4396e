#pragma once

// Where a corpus-reading run is (every worker's epoch, shard position, random stream, learning
// rate and loss sums), which checkpoints save and resume from.

#include "embedkit/detail/rng.hpp"

#include <cstddef>
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

/// One process of a distributed run, as its checkpoint records it: its own work counter, the
/// fingerprint of its part of the corpus and how many of EngineState::threads are its own.
struct RankState {
    std::uint64_t processed = 0;
    std::uint64_t meetings = 0;  ///< meetings of the ranks done when the state was saved
    std::uint64_t corpus_tokens = 0;
    std::uint64_t corpus_checksum = 0;
    std::uint32_t threads = 0;
};

/// The engine's state between two sentences: with the parameter matrices, a whole run.
struct EngineState {
    std::uint64_t processed = 0;  ///< corpus tokens read, all threads and epochs (all ranks)
    std::vector<EngineThreadState> threads;  ///< rank 0's threads first, then rank 1's, ...
    std::vector<RankState> ranks;            ///< empty: a run of one process
    std::uint64_t meetings = 0;              ///< a distributed run's meetings done (this process's part)
};

/// Rank `rank`'s part of a distributed run's state, as a state of one process.
[[nodiscard]] inline EngineState rank_part(const EngineState& all, std::size_t rank) {
    EngineState part;
    std::size_t first = 0;
    for (std::size_t r = 0; r < rank; ++r) first += all.ranks[r].threads;
    part.processed = all.ranks[rank].processed;
    part.meetings = all.ranks[rank].meetings;
    part.threads.assign(all.threads.begin() + static_cast<std::ptrdiff_t>(first),
                        all.threads.begin() + static_cast<std::ptrdiff_t>(first + all.ranks[rank].threads));
    return part;
}

}  // namespace embedkit::detail
