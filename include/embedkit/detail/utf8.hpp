#pragma once

// UTF-8 decoding and validation helpers (RFC 3629 / Unicode 15, table 3-7 "well-formed byte
// sequences"). Invalid input is reported per "maximal subpart": the longest prefix of a
// sequence that could still have become valid is one error, as the Unicode standard recommends
// for U+FFFD substitution.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace embedkit::detail {

/// U+FFFD REPLACEMENT CHARACTER, UTF-8 encoded.
inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";

enum class Utf8Status : std::uint8_t {
    ok,          ///< `length` bytes form the code point `code_point`
    invalid,     ///< the first `length` bytes (>= 1) are an ill-formed maximal subpart
    incomplete,  ///< the `length` available bytes are a valid but unfinished prefix
};

struct Utf8Decoded {
    Utf8Status status = Utf8Status::invalid;
    std::uint8_t length = 1;
    char32_t code_point = 0;
};

/// Number of bytes a sequence starting with `lead` has (1-4), or 0 if `lead` can never start one
/// (a continuation byte, C0, C1, F5..FF).
[[nodiscard]] constexpr int utf8_sequence_length(unsigned char lead) noexcept {
    if (lead < 0x80) return 1;
    if (lead < 0xC2) return 0;
    if (lead < 0xE0) return 2;
    if (lead < 0xF0) return 3;
    if (lead < 0xF5) return 4;
    return 0;
}

/// Decodes one code point from [p, end), p < end. Never reads at or past `end`.
[[nodiscard]] constexpr Utf8Decoded decode_utf8(const unsigned char* p, const unsigned char* end) noexcept {
    const unsigned char lead = p[0];
    if (lead < 0x80) return {Utf8Status::ok, 1, lead};
    const int need = utf8_sequence_length(lead);
    if (need == 0) return {Utf8Status::invalid, 1, 0};
    // The second byte's range depends on the lead (excludes overlongs, surrogates, > U+10FFFF).
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (lead == 0xE0) lo = 0xA0;
    else if (lead == 0xED) hi = 0x9F;
    else if (lead == 0xF0) lo = 0x90;
    else if (lead == 0xF4) hi = 0x8F;
    char32_t cp = need == 2 ? (lead & 0x1Fu) : need == 3 ? (lead & 0x0Fu) : (lead & 0x07u);
    const std::ptrdiff_t available = end - p;
    for (int i = 1; i < need; ++i) {
        if (i >= available) return {Utf8Status::incomplete, static_cast<std::uint8_t>(i), 0};
        const unsigned char c = p[i];
        const bool in_range = i == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xBF);
        if (!in_range) return {Utf8Status::invalid, static_cast<std::uint8_t>(i), 0};
        cp = (cp << 6) | (c & 0x3Fu);
    }
    return {Utf8Status::ok, static_cast<std::uint8_t>(need), cp};
}

/// True if `s` is well-formed UTF-8.
[[nodiscard]] inline bool is_valid_utf8(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        if (*p < 0x80) {
            ++p;
            continue;
        }
        const Utf8Decoded d = decode_utf8(p, end);
        if (d.status != Utf8Status::ok) return false;
        p += d.length;
    }
    return true;
}

/// Encodes `cp` (a Unicode scalar value) into `out` (room for 4 bytes); returns the byte count,
/// or 0 for surrogates and values above U+10FFFF.
constexpr int encode_utf8(char32_t cp, char* out) noexcept {
    if (cp < 0x80) {
        out[0] = static_cast<char>(cp);
        return 1;
    }
    if (cp < 0x800) {
        out[0] = static_cast<char>(0xC0 | (cp >> 6));
        out[1] = static_cast<char>(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    if (cp < 0x10000) {
        out[0] = static_cast<char>(0xE0 | (cp >> 12));
        out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out[2] = static_cast<char>(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp <= 0x10FFFF) {
        out[0] = static_cast<char>(0xF0 | (cp >> 18));
        out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out[3] = static_cast<char>(0x80 | (cp & 0x3F));
        return 4;
    }
    return 0;
}

/// Non-ASCII code points the tokenizer treats as whitespace (Unicode White_Space, minus ASCII).
[[nodiscard]] constexpr bool is_unicode_space(char32_t cp) noexcept {
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/// The largest n <= max_bytes such that s[0, n) ends on a character boundary of the UTF-8 text
/// `s` (a continuation byte never starts the cut-off part).
[[nodiscard]] constexpr std::size_t utf8_truncate(std::string_view s, std::size_t max_bytes) noexcept {
    if (s.size() <= max_bytes) return s.size();
    std::size_t n = max_bytes;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return n;
}

}  // namespace embedkit::detail
