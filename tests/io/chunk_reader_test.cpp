// Tests for include/embedkit/detail/chunk_reader.hpp (the buffered reader behind the vector files).

#include "embedkit/detail/chunk_reader.hpp"

#include "embedkit/detail/rng.hpp"

#include <catch2/catch.hpp>

#include "support/unseekable_buffer.hpp"

#include <optional>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <vector>

namespace {

using embedkit::detail::ChunkReader;
using Status = ChunkReader::Line::Status;

/// Serves `good` bytes, then fails like a disk error.
class FailingBuf : public std::streambuf {
public:
    explicit FailingBuf(std::string good) : data_(std::move(good)) {
        setg(data_.data(), data_.data(), data_.data() + data_.size());
    }

protected:
    int_type underflow() override { throw std::runtime_error("device error"); }

private:
    std::string data_;
};

}  // namespace

TEST_CASE("ChunkReader splits lines across chunk boundaries", "[io][chunk_reader]") {
    // Random line lengths (some empty, some longer than a chunk), last line with or without '\n'.
    embedkit::detail::Rng rng(31);
    for (int trial = 0; trial < 20; ++trial) {
        std::vector<std::string> lines;
        std::string text;
        const int count = 1 + static_cast<int>(rng.below(40));
        for (int i = 0; i < count; ++i) {
            std::string line(rng.below(5) == 0 ? 0 : rng.below(300), 'a');
            for (char& c : line) c = static_cast<char>('a' + rng.below(26));
            lines.push_back(line);
            text += line + "\n";
        }
        const bool drop_last_newline = trial % 2 == 1 && !lines.back().empty();
        if (drop_last_newline) text.pop_back();
        std::istringstream in(text);
        ChunkReader reader(in, "memory", 64);
        std::uint64_t offset = 0;
        for (const std::string& expected : lines) {
            const ChunkReader::Line line = reader.next_line(1000);
            REQUIRE(line.status == Status::ok);
            CHECK(line.text == expected);
            offset += line.length;
            CHECK(reader.offset() == offset);
        }
        CHECK(reader.next_line(1000).status == Status::end);
        CHECK(reader.at_end());
        CHECK(offset == text.size());
    }
}

TEST_CASE("ChunkReader peeks without consuming and bounds line length", "[io][chunk_reader]") {
    std::istringstream in("header\n" + std::string(500, 'x') + "\nrest");
    ChunkReader reader(in, "memory", 64);
    CHECK(reader.peek_line(100).text == "header");
    CHECK(reader.next_line(100).text == "header");
    CHECK(reader.peek_line(499).status == Status::too_long);
    CHECK(reader.peek_line(500).text.size() == 500);  // still there after a too_long peek
    reader.consume(reader.peek_line(500).length);
    CHECK(reader.fill(100) == 4);  // only "rest" is left
    CHECK(reader.exhausted());
    CHECK(reader.buffered() == "rest");
    reader.consume(4);
    CHECK(reader.at_end());
}

TEST_CASE("remaining_bytes measures seekable streams only", "[io][chunk_reader]") {
    std::istringstream in("0123456789");
    in.seekg(3);
    CHECK(embedkit::detail::remaining_bytes(in) == std::optional<std::uint64_t>(7));
    char c = 0;
    in.get(c);
    CHECK(c == '3');  // position restored

    embedkit::testing::UnseekableBuffer buffer("abc");
    std::istream pipe(&buffer);
    CHECK_FALSE(embedkit::detail::remaining_bytes(pipe).has_value());
    ChunkReader reader(pipe, "pipe");
    CHECK(reader.fill(10) == 3);  // still readable afterwards
}

TEST_CASE("ChunkReader reports a stream failure as io_error naming the source", "[io][chunk_reader]") {
    FailingBuf buffer("some bytes");
    std::istream in(&buffer);
    ChunkReader reader(in, "disk.vec", 64);
    try {
        reader.fill(1000);
        FAIL("expected io_error");
    } catch (const embedkit::io_error& e) {
        CHECK(std::string(e.what()).find("disk.vec") != std::string::npos);
        CHECK(e.path() == "disk.vec");
    }
}
