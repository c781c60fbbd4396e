// Tests of include/embedkit/detail/utf8.hpp (kept with the text pipeline, its only user).
#include <embedkit/detail/utf8.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace embedkit::detail;

namespace {

Utf8Decoded decode(const std::string& s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    return decode_utf8(p, p + s.size());
}

}  // namespace

TEST_CASE("decode_utf8 accepts well-formed sequences of every length", "[utf8]") {
    const struct {
        std::string bytes;
        char32_t cp;
    } cases[] = {
        {"A", U'A'},
        {"\xC2\x80", 0x80},
        {"\xC3\xA9", 0xE9},
        {"\xDF\xBF", 0x7FF},
        {"\xE0\xA0\x80", 0x800},
        {"\xE6\x9D\xB1", 0x6771},
        {"\xED\x9F\xBF", 0xD7FF},
        {"\xEE\x80\x80", 0xE000},
        {"\xEF\xBF\xBD", 0xFFFD},
        {"\xF0\x90\x80\x80", 0x10000},
        {"\xF0\x9F\x98\x80", 0x1F600},
        {"\xF4\x8F\xBF\xBF", 0x10FFFF},
    };
    for (const auto& c : cases) {
        const Utf8Decoded d = decode(c.bytes);
        CHECK(d.status == Utf8Status::ok);
        CHECK(d.length == c.bytes.size());
        CHECK(d.code_point == c.cp);
    }
}

TEST_CASE("decode_utf8 reports maximal invalid subparts", "[utf8]") {
    const struct {
        std::string bytes;
        int length;
    } cases[] = {
        {"\x80", 1},              // lone continuation byte
        {"\xC0\xAF", 1},          // overlong lead
        {"\xC1\xBF", 1},          // overlong lead
        {"\xF5\x80\x80\x80", 1},  // beyond U+10FFFF
        {"\xFF", 1},
        {"\xE0\x80\x80", 1},      // overlong 3-byte: second byte out of range
        {"\xED\xA0\x80", 1},      // surrogate
        {"\xF0\x80\x80\x80", 1},  // overlong 4-byte
        {"\xF4\x90\x80\x80", 1},  // > U+10FFFF
        {"\xC3x", 1},             // truncated 2-byte sequence followed by ASCII
        {"\xE6\x9Dx", 2},         // truncated 3-byte sequence: the valid prefix is one error
        {"\xF0\x9F\x98x", 3},
    };
    for (const auto& c : cases) {
        const Utf8Decoded d = decode(c.bytes);
        INFO("bytes of length " << c.bytes.size());
        CHECK(d.status == Utf8Status::invalid);
        CHECK(int(d.length) == c.length);
    }
}

TEST_CASE("decode_utf8 reports unfinished prefixes as incomplete and never reads past the end", "[utf8]") {
    const std::string full = "\xF0\x9F\x98\x80";
    for (std::size_t n = 1; n < full.size(); ++n) {
        std::vector<unsigned char> exact(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
        const Utf8Decoded d = decode_utf8(exact.data(), exact.data() + exact.size());
        CHECK(d.status == Utf8Status::incomplete);
        CHECK(d.length == n);
    }
}

TEST_CASE("encode_utf8 round-trips every scalar value and rejects the rest", "[utf8]") {
    char buf[4];
    std::size_t bad = 0;
    for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
        const int n = encode_utf8(cp, buf);
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            bad += n != 0;
            continue;
        }
        const auto* p = reinterpret_cast<const unsigned char*>(buf);
        const Utf8Decoded d = n > 0 ? decode_utf8(p, p + n) : Utf8Decoded{};
        const bool ok = n == (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4) &&
                        d.status == Utf8Status::ok && d.code_point == cp && int(d.length) == n;
        if (!ok && bad++ < 5) FAIL_CHECK("code point " << static_cast<unsigned long>(cp) << " does not round-trip");
    }
    CHECK(bad == 0);
    CHECK(encode_utf8(0x110000, buf) == 0);
}

TEST_CASE("is_valid_utf8 and utf8_truncate", "[utf8]") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain ascii"));
    CHECK(is_valid_utf8("na\xC3\xAFve \xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x98\x80"));
    CHECK_FALSE(is_valid_utf8("bad \xFF byte"));
    CHECK_FALSE(is_valid_utf8("cut \xE6\x9D"));

    const std::string s = "a\xC3\xA9\xE6\x9D\xB1\xF0\x9F\x98\x80";  // 1 + 2 + 3 + 4 bytes
    CHECK(utf8_truncate(s, 100) == s.size());
    CHECK(utf8_truncate(s, 1) == 1);
    CHECK(utf8_truncate(s, 2) == 1);  // would split é
    CHECK(utf8_truncate(s, 3) == 3);
    CHECK(utf8_truncate(s, 5) == 3);
    CHECK(utf8_truncate(s, 6) == 6);
    CHECK(utf8_truncate(s, 9) == 6);
    for (std::size_t n = 0; n <= s.size(); ++n) CHECK(is_valid_utf8(std::string_view(s).substr(0, utf8_truncate(s, n))));
}

TEST_CASE("is_unicode_space covers exactly the listed code points", "[utf8]") {
    const std::vector<char32_t> spaces = {0x85,   0xA0,   0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
                                          0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000};
    std::size_t found = 0;
    for (char32_t cp = 0x80; cp < 0x10000; ++cp) {
        if (is_unicode_space(cp)) {
            ++found;
            CHECK(std::find(spaces.begin(), spaces.end(), cp) != spaces.end());
        }
    }
    CHECK(found == spaces.size());
    CHECK_FALSE(is_unicode_space(0x200B));  // ZERO WIDTH SPACE is not White_Space
    CHECK_FALSE(is_unicode_space(0xFEFF));
}
