#include <catch2/catch.hpp>

#include <embedkit/text/byte_ranges.hpp>
#include <embedkit/text/vocab.hpp>

#include "support/byte_range_tokens.hpp"
#include "text/text_test_helpers.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace embedkit;
using embedkit_test::TempDir;

namespace {

// Texts whose splits are easy to get wrong: one-byte tokens, runs of spaces and newlines, no
// whitespace at all, empty, whitespace only, \r\n, Unicode spaces (never split points), a token
// longer than max_token_bytes.
const std::vector<std::string>& byte_range_samples() {
    static const std::vector<std::string> samples = {
        "",
        "a",
        " ",
        "\n\n",
        "a b",
        "a  b   c",
        "ab cd ef\n",
        "  lead and trail  ",
        "\n\nx\ny\n\n\nz",
        "nowhitespaceatall",
        "a b c d e f g h i j",
        "x\r\ny\tz\vw\fq\r",
        "na\xC3\xAFve caf\xC3\xA9\xC2\xA0x\xE2\x80\xA8y z",
        "short averyveryverylongtokenthatgetscut b",
    };
    return samples;
}

void write_byte_range_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

using testing::byte_range_tokens;

}  // namespace

TEST_CASE("token_start_at_or_after: at every byte, the first token start at or after it", "[byte_ranges]") {
    TempDir dir;
    for (const std::string& text : byte_range_samples()) {
        CAPTURE(text);
        const std::string path = dir.file("sample.txt");
        write_byte_range_file(path, text);
        const std::uint64_t n = text.size();
        REQUIRE(file_bytes(path) == n);
        const std::vector<std::string> whole = byte_range_tokens(path, {0, n});
        for (std::uint64_t offset = 0; offset <= n + 1; ++offset) {
            CAPTURE(offset);
            const std::uint64_t s = token_start_at_or_after(path, offset);
            CHECK(s >= std::min(offset, n));
            CHECK(s <= n);
            const bool may_start = s == 0 || s == n || is_split_byte(static_cast<unsigned char>(text[s - 1]));
            CHECK(may_start);
            for (std::uint64_t k = std::max<std::uint64_t>(offset, 1); k < s; ++k) {
                CHECK_FALSE(is_split_byte(static_cast<unsigned char>(text[k - 1])));  // s is the first
            }
            // The two sides hold every token once, in order.
            std::vector<std::string> joined = byte_range_tokens(path, {0, s});
            const std::vector<std::string> right = byte_range_tokens(path, {s, n});
            joined.insert(joined.end(), right.begin(), right.end());
            CHECK(joined == whole);
        }
    }
}

TEST_CASE("whitespace_split_points: every part count up to more parts than bytes", "[byte_ranges]") {
    TempDir dir;
    for (const std::string& text : byte_range_samples()) {
        CAPTURE(text);
        const std::string path = dir.file("sample.txt");
        write_byte_range_file(path, text);
        const std::uint64_t n = text.size();
        const std::vector<std::string> whole = byte_range_tokens(path, {0, n});
        for (int parts = 1; parts <= static_cast<int>(n) + 2; ++parts) {
            CAPTURE(parts);
            const std::vector<std::uint64_t> starts = whitespace_split_points(path, parts);
            REQUIRE(starts.size() == static_cast<std::size_t>(parts) + 1);
            CHECK(starts.front() == 0);
            CHECK(starts.back() == n);
            CHECK(std::is_sorted(starts.begin(), starts.end()));
            std::vector<std::string> joined;
            for (int p = 0; p < parts; ++p) {
                const ByteRange part = whitespace_part(path, p, parts);
                CHECK(part.begin == starts[static_cast<std::size_t>(p)]);
                CHECK(part.end == starts[static_cast<std::size_t>(p) + 1]);
                const std::vector<std::string> tokens = byte_range_tokens(path, part);
                joined.insert(joined.end(), tokens.begin(), tokens.end());
            }
            CHECK(joined == whole);
        }
    }
}

TEST_CASE("whitespace_split_points: a part starts at the nominal offset when a token starts there", "[byte_ranges]") {
    TempDir dir;
    const std::string path = dir.file("even.txt");
    write_byte_range_file(path, "aaa bbb ccc ddd ");  // 16 bytes: nominal starts 0 4 8 12
    CHECK(whitespace_split_points(path, 4) == std::vector<std::uint64_t>{0, 4, 8, 12, 16});
    // Nominal 5, 10 fall inside "bbb" and "ccc": each token belongs to the part where it starts.
    CHECK(whitespace_split_points(path, 3) == std::vector<std::uint64_t>{0, 8, 12, 16});
}

TEST_CASE("ByteRangeStream reads exactly the bytes of its range", "[byte_ranges]") {
    TempDir dir;
    const std::string path = dir.file("bytes.txt");
    const std::string text = "0123456789 abcdefghij\nklmnop";
    write_byte_range_file(path, text);
    for (std::uint64_t begin = 0; begin <= text.size(); ++begin) {
        for (std::uint64_t end = begin; end <= text.size(); ++end) {
            ByteRangeStream in(path, {begin, end});
            const std::string got{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
            CHECK(got == text.substr(begin, end - begin));
        }
    }
    ByteRangeStream in(path, {3, 9});
    std::string chunk(100, '\0');
    in.read(chunk.data(), 100);
    CHECK(in.gcount() == 6);
    CHECK(chunk.substr(0, 6) == "345678");
}

TEST_CASE("byte ranges: the parts' counts add up to the whole file's vocabulary", "[byte_ranges]") {
    TempDir dir;
    const std::string path = dir.file("words.txt");
    std::string text;
    for (int i = 0; i < 2000; ++i) text += "w" + std::to_string((i * 7919) % 97 % (1 + i % 13)) + (i % 11 ? " " : "\n");
    write_byte_range_file(path, text);
    VocabOptions options;
    options.min_count = 3;
    const Vocab expected = Vocab::build_file(path, options);
    for (int parts : {1, 2, 3, 7}) {
        VocabCounter counter(options);
        for (int p = 0; p < parts; ++p) {
            ByteRangeStream in(path, whitespace_part(path, p, parts));
            counter.add_stream(in, {}, path);
        }
        const Vocab got = std::move(counter).finish();
        CHECK(got.words() == expected.words());
        CHECK(got.counts() == expected.counts());
        CHECK(got.total_tokens_seen() == expected.total_tokens_seen());
    }
}

TEST_CASE("byte ranges: bad arguments and missing files", "[byte_ranges]") {
    TempDir dir;
    const std::string missing = dir.file("missing.txt");
    CHECK_THROWS_AS(file_bytes(missing), io_error);
    CHECK_THROWS_WITH(file_bytes(missing), Catch::Matchers::Contains(missing));
    CHECK_THROWS_AS(whitespace_split_points(missing, 2), io_error);
    CHECK_THROWS_WITH(whitespace_split_points(missing, 2), Catch::Matchers::Contains(missing));
    CHECK_THROWS_AS(whitespace_part(missing, 0, 2), io_error);
    CHECK_THROWS_WITH(whitespace_part(missing, 0, 2), Catch::Matchers::Contains(missing));
    CHECK_THROWS_AS(token_start_at_or_after(missing, 0), io_error);
    CHECK_THROWS_WITH(token_start_at_or_after(missing, 0), Catch::Matchers::Contains(missing));
    CHECK_THROWS_AS(ByteRangeStream(missing, {0, 0}), io_error);
    CHECK_THROWS_WITH(ByteRangeStream(missing, {0, 0}), Catch::Matchers::Contains(missing));
    CHECK_THROWS_AS(ByteRangeReader(missing, {0, 0}), io_error);
    CHECK_THROWS_WITH(ByteRangeReader(missing, {0, 0}), Catch::Matchers::Contains(missing));

    const std::string path = dir.file("small.txt");
    write_byte_range_file(path, "a b c");
    CHECK_THROWS_AS(whitespace_split_points(path, 0), invalid_argument);
    CHECK_THROWS_AS(whitespace_part(path, 2, 2), invalid_argument);
    CHECK_THROWS_AS(whitespace_part(path, -1, 2), invalid_argument);
    CHECK_THROWS_AS(ByteRangeStream(path, {2, 9}), io_error);
    CHECK_THROWS_WITH(ByteRangeStream(path, {2, 9}), Catch::Matchers::Contains("not inside the file"));
    CHECK_THROWS_AS(ByteRangeStream(path, {3, 2}), io_error);
    CHECK_THROWS_WITH(ByteRangeStream(path, {3, 2}), Catch::Matchers::Contains(path));
}
