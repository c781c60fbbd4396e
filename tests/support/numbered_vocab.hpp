// A vocabulary of words w0, w1, ... with strictly decreasing counts, so word "wi" has id i.
#pragma once

#include <embedkit/text/vocab.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace embedkit::testing {

inline Vocab numbered_vocab(int words) {
    std::vector<std::pair<std::string, std::int64_t>> counts;
    for (int i = 0; i < words; ++i) counts.emplace_back("w" + std::to_string(i), 1000000 - i);
    VocabOptions keep_all;
    keep_all.min_count = 0;
    return Vocab::from_counts(counts, keep_all);
}

}  // namespace embedkit::testing
