#pragma once

// Which rows of an input matrix make up each word's input vector: rows[offsets[w] ..
// offsets[w + 1]). fastText composes a word from its own row and its n-gram rows; empty means
// plain Word2Vec, where word w's input is row w alone.

#include <cstdint>
#include <vector>

namespace embedkit {

struct InputRows {
    std::vector<std::int64_t> offsets;
    std::vector<std::int32_t> rows;

    [[nodiscard]] bool plain() const noexcept { return offsets.empty(); }
};

}  // namespace embedkit
