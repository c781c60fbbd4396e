// The checks the three word2vec-reader targets share: read the bytes through a seekable and a
// non-seekable stream (same outcome, same result), with limit = 1 (a prefix of the full result),
// and write what was read back in both formats (it reads back bit for bit).
#pragma once

#include "fuzz_support.hpp"
#include "support/unseekable_buffer.hpp"

#include <embedkit/io/word2vec_format.hpp>

#include <cstring>
#include <istream>
#include <optional>
#include <sstream>
#include <string>

namespace embedkit::fuzz {

[[nodiscard]] inline bool same_vectors(const WordVectors<float>& a, const WordVectors<float>& b) {
    return a.words() == b.words() && a.matrix().rows() == b.matrix().rows() && a.matrix().cols() == b.matrix().cols() &&
           std::memcmp(a.matrix().data(), b.matrix().data(), sizeof(float) * static_cast<std::size_t>(a.matrix().size())) == 0;
}

[[nodiscard]] inline std::optional<WordVectors<float>> read_vectors(std::istream& in, const ReadVectorsOptions& options) {
    std::optional<WordVectors<float>> result;
    accepts([&] { result = read_word2vec<float>(in, "<fuzz>", options); });
    return result;
}

inline void check_round_trip(const WordVectors<float>& vectors, VectorFormat format) {
    std::ostringstream out;
    const bool writable = accepts([&] { write_word2vec(out, "<fuzz out>", vectors, format); });
    if (!writable) return;  // e.g. a word with a tab: the reader splits on it only in text records
    std::istringstream in(out.str());
    ReadVectorsOptions forced;
    forced.format = format;
    const std::optional<WordVectors<float>> back = read_vectors(in, forced);
    EMBEDKIT_FUZZ_CHECK(back.has_value());
    EMBEDKIT_FUZZ_CHECK(same_vectors(vectors, *back));
}

inline void check_vector_reader(const std::string& bytes, VectorFormat format) {
    ReadVectorsOptions options;
    options.format = format;
    std::istringstream seekable(bytes);
    const std::optional<WordVectors<float>> full = read_vectors(seekable, options);

    embedkit::testing::UnseekableBuffer pipe_buffer(bytes);
    std::istream piped(&pipe_buffer);
    const std::optional<WordVectors<float>> from_pipe = read_vectors(piped, options);
    EMBEDKIT_FUZZ_CHECK(full.has_value() == from_pipe.has_value());
    if (!full) return;
    EMBEDKIT_FUZZ_CHECK(same_vectors(*full, *from_pipe));
    EMBEDKIT_FUZZ_CHECK(full->size() >= 1 && full->dim() >= 1);

    ReadVectorsOptions first_only = options;
    first_only.limit = 1;
    std::istringstream again(bytes);
    const std::optional<WordVectors<float>> first = read_vectors(again, first_only);
    EMBEDKIT_FUZZ_CHECK(first.has_value() && first->size() == 1);
    EMBEDKIT_FUZZ_CHECK(first->words()[0] == full->words()[0]);
    EMBEDKIT_FUZZ_CHECK(first->matrix().row(0) == full->matrix().row(0));

    check_round_trip(*full, VectorFormat::text);
    check_round_trip(*full, VectorFormat::binary);
}

}  // namespace embedkit::fuzz
