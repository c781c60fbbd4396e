// Editing the bytes of a file that ends in a Checksum64 of the rest (the index and compressed
// vector formats), for tests of readers that must refuse lying contents: a file edited and
// resealed passes the checksum, so only the reader's structural checks can catch it.
#pragma once

#include <embedkit/detail/binary_io.hpp>

#include <cstdint>
#include <cstring>
#include <string>

namespace embedkit::testing {

/// `bytes` with its last 8 bytes replaced by the checksum of the bytes before them.
inline std::string resealed(std::string bytes) {
    embedkit::detail::Checksum64 sum;
    sum.update(bytes.data(), bytes.size() - 8);
    const std::uint64_t v = sum.value();
    std::memcpy(&bytes[bytes.size() - 8], &v, 8);
    return bytes;
}

/// `bytes` with the 8 bytes at `at` replaced by `v`.
inline std::string with_u64(std::string bytes, std::size_t at, std::uint64_t v) {
    std::memcpy(&bytes[at], &v, 8);
    return bytes;
}

}  // namespace embedkit::testing
