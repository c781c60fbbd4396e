// The tests' own data directory and reading a file back whole, shared by every test area (the
// test files of an area are compiled together, so each helper is defined once, here).
#pragma once

#include <embedkit/errors.hpp>

#include <fstream>
#include <iterator>
#include <string>

namespace embedkit::testing {

/// tests/data/eval/ with its trailing slash: the hand-made vectors, questions and pairs.
inline const std::string kEvalDataDir = std::string(EMBEDKIT_TEST_DATA_DIR) + "/eval/";

/// The bytes of the file at `path` ("" when it cannot be opened: callers compare contents).
inline std::string file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Writes `bytes` to `path`, replacing what was there.
inline void put_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Writes `bytes` to `path` and calls `read(path)`: the message of the io_error it throws, or
/// "accepted" when it reads the file (a test of a reader's refusals compares these).
template <class Read>
std::string read_error(const std::string& path, const std::string& bytes, Read read) {
    put_file(path, bytes);
    try {
        read(path);
    } catch (const embedkit::io_error& e) {
        return e.what();
    }
    return "accepted";
}

}  // namespace embedkit::testing
