#pragma once

// The neighbour lists `embedkit nn` prints (and `embedkit search` too): per query a heading, then
// "rank  word  score" lines, the words padded to the longest one.

#include <embedkit/types.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace embedkit::cli {

inline void print_neighbours(const std::vector<std::string>& queries, const std::vector<std::string>& words,
                             const std::vector<std::vector<Neighbor<float>>>& results) {
    for (std::size_t i = 0; i < queries.size(); ++i) {
        std::size_t width = 4;
        for (const auto& n : results[i]) width = std::max(width, words[static_cast<std::size_t>(n.id)].size());
        fmt::print("{}{}:\n", i == 0 ? "" : "\n", queries[i]);
        for (std::size_t r = 0; r < results[i].size(); ++r) {
            const auto& n = results[i][r];
            fmt::print("{:>4}  {:<{}}  {:.4f}\n", r + 1, words[static_cast<std::size_t>(n.id)], width, n.score);
        }
    }
}

}  // namespace embedkit::cli
