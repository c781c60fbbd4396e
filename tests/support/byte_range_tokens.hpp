// The tokens of one byte range of a file, flattened, read 3 bytes at a time so that buffer
// refills fall inside tokens: what the byte-range tests (tests/text, tests/mpi) compare.
#pragma once

#include <embedkit/text/byte_ranges.hpp>
#include <embedkit/text/tokenizer.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace embedkit::testing {

inline std::vector<std::string> byte_range_tokens(const std::string& path, ByteRange range) {
    TokenizerOptions options;
    options.buffer_bytes = 3;
    options.max_token_bytes = 12;
    ByteRangeReader reader(path, range, options);
    std::vector<std::string> tokens;
    std::vector<std::string_view> sentence;
    while (reader.next_sentence(sentence)) tokens.insert(tokens.end(), sentence.begin(), sentence.end());
    return tokens;
}

}  // namespace embedkit::testing
