#include <embedkit/detail/rng.hpp>
#include <embedkit/detail/utf8.hpp>
#include <embedkit/text/tokenizer.hpp>

#include <catch2/catch.hpp>

#include "text/text_test_helpers.hpp"

#include <istream>
#include <sstream>
#include <string>
#include <vector>

using namespace embedkit;
using Sentences = std::vector<std::vector<std::string>>;

namespace {

Sentences tokenize(const std::string& text, const TokenizerOptions& opts = {}) {
    std::istringstream in(text);
    Tokenizer tok(in, opts);
    Sentences out;
    std::vector<std::string_view> tokens;
    while (tok.next_sentence(tokens)) {
        REQUIRE_FALSE(tokens.empty());
        out.emplace_back(tokens.begin(), tokens.end());
    }
    CHECK(tokens.empty());
    CHECK_FALSE(tok.next_sentence(tokens));  // stays at the end
    CHECK(tok.bytes_read() == text.size());
    return out;
}

// An independent, deliberately simple tokenizer over the whole string, one code point at a time.
Sentences reference_tokenize(const std::string& text, const TokenizerOptions& opts) {
    Sentences out;
    std::vector<std::string> sentence;
    std::string token;
    bool in_token = false;
    bool truncated = false;
    const auto end_token = [&] {
        if (!in_token) return;
        sentence.push_back(token);
        token.clear();
        in_token = false;
        truncated = false;
        if (sentence.size() == opts.max_sentence_tokens) {
            out.push_back(sentence);
            sentence.clear();
        }
    };
    const auto end_sentence = [&] {
        if (!sentence.empty()) out.push_back(sentence);
        sentence.clear();
    };
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* e = p + text.size();
    while (p < e) {
        detail::Utf8Decoded d = detail::decode_utf8(p, e);
        std::string bytes;
        if (d.status == detail::Utf8Status::ok) {
            const char32_t cp = d.code_point;
            if (cp == '\n' || cp == 0x2028 || cp == 0x2029) {
                end_token();
                end_sentence();
                p += d.length;
                continue;
            }
            if (cp == ' ' || cp == '\t' || cp == '\v' || cp == '\f' || cp == '\r' || detail::is_unicode_space(cp)) {
                end_token();
                p += d.length;
                continue;
            }
            bytes.assign(reinterpret_cast<const char*>(p), d.length);
        } else {
            bytes = "\xEF\xBF\xBD";
        }
        p += d.length;
        in_token = true;
        if (!truncated && token.size() + bytes.size() <= opts.max_token_bytes) {
            token += bytes;
        } else {
            truncated = true;
        }
    }
    end_token();
    end_sentence();
    return out;
}

const char* const kFragments[] = {
    "the",  "cat",  "na\xC3\xAFve", "\xE6\x9D\xB1\xE4\xBA\xAC", "\xF0\x9F\x98\x80", " ",  "  ",  "\t", "\n", "\r\n",
    "\r",   "\v",   "\f",           "\xC2\xA0",                 "\xE3\x80\x80",     "\xE2\x80\xA8", "\xE2\x80\xA9",
    "\xC2\x85",     "\xE2\x80\x89", "\xFF",                     "\xC3",             "\xE6\x9D",     "\xED\xA0\x80",
    "\xC0\xAF",     "supercalifragilistic", "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9",
    "\xE2\x80\x8B", "x",
};

std::string random_text(embedkit::detail::Rng& rng, std::size_t pieces) {
    std::string text;
    const std::size_t n = sizeof kFragments / sizeof kFragments[0];
    for (std::size_t i = 0; i < pieces; ++i) text += kFragments[rng.below(n)];
    return text;
}

}  // namespace

TEST_CASE("empty input and whitespace-only input give no sentences", "[tokenizer]") {
    CHECK(tokenize("").empty());
    CHECK(tokenize(" ").empty());
    CHECK(tokenize("\n\n\r\n \t\v\f\r  \n").empty());
    CHECK(tokenize("\xC2\xA0\xE3\x80\x80\xE2\x80\xA8\xE2\x80\xA9\xC2\x85").empty());
}

TEST_CASE("newlines end sentences, the last line needs no newline, blank lines are skipped", "[tokenizer]") {
    CHECK(tokenize("a b\nc d") == Sentences{{"a", "b"}, {"c", "d"}});
    CHECK(tokenize("a b\nc d\n") == Sentences{{"a", "b"}, {"c", "d"}});
    CHECK(tokenize("\n\n  a  \n\n\n b\t\tc \n\n") == Sentences{{"a"}, {"b", "c"}});
    CHECK(tokenize("one") == Sentences{{"one"}});
}

TEST_CASE("CRLF is one line end, a lone CR and other ASCII whitespace only separate tokens", "[tokenizer]") {
    CHECK(tokenize("a b\r\nc\r\n") == Sentences{{"a", "b"}, {"c"}});
    CHECK(tokenize("a\r\n\r\nb") == Sentences{{"a"}, {"b"}});
    CHECK(tokenize("a\rb\tc\vd\fe f") == Sentences{{"a", "b", "c", "d", "e", "f"}});
}

TEST_CASE("multi-byte words are kept and Unicode whitespace separates tokens", "[tokenizer]") {
    CHECK(tokenize("na\xC3\xAFve caf\xC3\xA9 \xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x98\x80!") ==
          Sentences{{"na\xC3\xAFve", "caf\xC3\xA9", "\xE6\x9D\xB1\xE4\xBA\xAC", "\xF0\x9F\x98\x80!"}});
    const char32_t spaces[] = {0x85,   0xA0,   0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
                               0x2007, 0x2008, 0x2009, 0x200A, 0x202F, 0x205F, 0x3000};
    for (const char32_t cp : spaces) {
        char enc[4];
        const int n = detail::encode_utf8(cp, enc);
        INFO("U+" << std::hex << static_cast<unsigned>(cp));
        CHECK(tokenize("x" + std::string(enc, static_cast<std::size_t>(n)) + "y") == Sentences{{"x", "y"}});
    }
    // U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR end sentences; U+0085 does not.
    CHECK(tokenize("a\xE2\x80\xA8" "b\xE2\x80\xA9" "c\xC2\x85" "d") == Sentences{{"a"}, {"b"}, {"c", "d"}});
    // ZERO WIDTH SPACE (U+200B) is not whitespace in Unicode: it stays inside the token.
    CHECK(tokenize("a\xE2\x80\x8B" "b") == Sentences{{"a\xE2\x80\x8B" "b"}});
}

TEST_CASE("long sentences are split at max_sentence_tokens", "[tokenizer]") {
    std::string line;
    for (int i = 0; i < 2500; ++i) line += "w" + std::to_string(i) + " ";
    const Sentences s = tokenize(line + "\nlast line");
    REQUIRE(s.size() == 4);
    CHECK(s[0].size() == 1000);
    CHECK(s[1].size() == 1000);
    CHECK(s[2].size() == 500);
    CHECK(s[0].front() == "w0");
    CHECK(s[1].front() == "w1000");
    CHECK(s[2].back() == "w2499");
    CHECK(s[3] == std::vector<std::string>{"last", "line"});

    TokenizerOptions opts;
    opts.max_sentence_tokens = 3;
    CHECK(tokenize("a b c\nd e f g\n", opts) == Sentences{{"a", "b", "c"}, {"d", "e", "f"}, {"g"}});
}

TEST_CASE("continues_line tells a piece of a split line from a new line", "[tokenizer]") {
    TokenizerOptions opts;
    opts.max_sentence_tokens = 2;
    // Line ends: after the cap with a newline right behind, after the cap and a space, mid-piece,
    // and by U+2028; the ASCII and the non-ASCII paths both.
    std::istringstream in("a b c d e\nf g\nh i \n j\xC2\xA0k l m\xE2\x80\xA8n o\xC2\xA0p");
    Tokenizer tok(in, opts);
    std::vector<std::string_view> tokens;
    std::vector<std::pair<std::string, bool>> got;
    while (tok.next_sentence(tokens)) got.emplace_back(std::string(tokens.front()), tok.continues_line());
    CHECK(got == std::vector<std::pair<std::string, bool>>{
                     {"a", false}, {"c", true}, {"e", true}, {"f", false}, {"h", false}, {"j", false},
                     {"l", true}, {"n", false}, {"p", true}});
}

TEST_CASE("long tokens are truncated on a character boundary", "[tokenizer]") {
    CHECK(tokenize(std::string(150, 'a')) == Sentences{{std::string(100, 'a')}});
    CHECK(tokenize(std::string(100, 'b') + " c") == Sentences{{std::string(100, 'b'), "c"}});

    std::string e_acute;
    for (int i = 0; i < 60; ++i) e_acute += "\xC3\xA9";  // 120 bytes
    TokenizerOptions opts;
    for (const std::size_t cap : {std::size_t{100}, std::size_t{101}}) {
        opts.max_token_bytes = cap;
        const Sentences s = tokenize(e_acute + " next", opts);
        REQUIRE(s.size() == 1);
        CHECK(s[0][0] == e_acute.substr(0, 100));  // 101 would split a character
        CHECK(s[0][1] == "next");
    }
    opts.max_token_bytes = 10;
    const Sentences s = tokenize("ab\xF0\x9F\x98\x80\xF0\x9F\x98\x80xyz", opts);  // 2 + 4 + 4 + 3 bytes
    REQUIRE(s.size() == 1);
    CHECK(s[0][0] == "ab\xF0\x9F\x98\x80\xF0\x9F\x98\x80");
    // A character that does not fit ends the token's growth: later smaller ones are not appended.
    opts.max_token_bytes = 5;
    CHECK(tokenize("abc\xE6\x9D\xB1z", opts) == Sentences{{"abc"}});
    CHECK(tokenize("abcd\xC3\xA9z", opts) == Sentences{{"abcd"}});
}

TEST_CASE("invalid UTF-8 is replaced by U+FFFD per maximal subpart by default", "[tokenizer]") {
    const std::string fffd = "\xEF\xBF\xBD";
    std::istringstream in("a\xFF" "b \xE6\x9Dx \xED\xA0\x80 \xC0\xAF end\xC3");
    Tokenizer tok(in);
    std::vector<std::string_view> t;
    REQUIRE(tok.next_sentence(t));
    REQUIRE(t.size() == 5);
    CHECK(t[0] == "a" + fffd + "b");
    CHECK(t[1] == fffd + "x");                // a truncated 3-byte sequence is one error
    CHECK(t[2] == fffd + fffd + fffd);        // a surrogate: three errors
    CHECK(t[3] == fffd + fffd);               // overlong: two errors
    CHECK(t[4] == "end" + fffd);              // unfinished at the end of input
    CHECK(tok.replacements() == 8);
    CHECK(detail::is_valid_utf8(std::string(t[2])));
}

TEST_CASE("InvalidUtf8::error throws io_error naming the source and byte offset", "[tokenizer]") {
    TokenizerOptions opts;
    opts.invalid_utf8 = InvalidUtf8::error;
    CHECK(tokenize("valid \xC3\xA9 text\n", opts) == Sentences{{"valid", "\xC3\xA9", "text"}});

    const auto error_of = [&](const std::string& text, std::size_t buffer) -> std::string {
        opts.buffer_bytes = buffer;
        std::istringstream in(text);
        Tokenizer tok(in, opts, "corpus.txt");
        std::vector<std::string_view> t;
        try {
            while (tok.next_sentence(t)) {
            }
        } catch (const io_error& e) {
            CHECK(e.path() == "corpus.txt");
            return e.what();
        }
        return "no error";
    };
    for (const std::size_t buffer : {std::size_t{1}, std::size_t{7}, std::size_t{1} << 20}) {
        INFO("buffer_bytes " << buffer);
        CHECK(error_of("ok \xFF", buffer) == "corpus.txt: invalid UTF-8 at byte offset 3");
        CHECK(error_of(std::string(1234, 'a') + "\n\xE6\x9Dx", buffer) ==
              "corpus.txt: invalid UTF-8 at byte offset 1235");
        CHECK(error_of("abc\xE6\x9D", buffer) == "corpus.txt: invalid UTF-8 at byte offset 3");
        CHECK(error_of("\xED\xA0\x80", buffer) == "corpus.txt: invalid UTF-8 at byte offset 0");
    }
}

TEST_CASE("tokens spanning read boundaries: every buffer size gives the same tokens", "[tokenizer]") {
    embedkit::detail::Rng rng(20240611);
    for (int round = 0; round < 40; ++round) {
        const std::string text = random_text(rng, 200);
        TokenizerOptions opts;
        opts.max_token_bytes = 4 + rng.below(12);
        opts.max_sentence_tokens = 1 + rng.below(9);
        const Sentences expected = reference_tokenize(text, opts);
        for (const std::size_t buffer : {1, 2, 3, 4, 5, 7, 13, 64, 1 << 20}) {
            opts.buffer_bytes = buffer;
            INFO("round " << round << ", buffer_bytes " << buffer);
            REQUIRE(tokenize(text, opts) == expected);
        }
    }
}

TEST_CASE("ASCII text matches a whitespace split line by line", "[tokenizer]") {
    embedkit::detail::Rng rng(7);
    std::string text;
    Sentences expected;
    for (int line = 0; line < 300; ++line) {
        std::vector<std::string> words;
        const std::size_t n = rng.below(20);
        for (std::size_t w = 0; w < n; ++w) {
            std::string word(1 + rng.below(9), 'a');
            for (auto& c : word) c = static_cast<char>('!' + rng.below(94));  // printable, no space
            text += word + (rng.below(4) == 0 ? "\t " : " ");
            words.push_back(word);
        }
        text += rng.below(2) ? "\r\n" : "\n";
        if (!words.empty()) expected.push_back(words);
    }
    TokenizerOptions opts;
    opts.buffer_bytes = 100;
    CHECK(tokenize(text, opts) == expected);
}

TEST_CASE("a huge single line streams in bounded chunks", "[tokenizer]") {
    constexpr std::size_t kBytes = 20u << 20;
    for (const std::size_t buffer : {std::size_t{1} << 20, std::size_t{4093}}) {
        INFO("buffer_bytes " << buffer);
        embedkit_test::GeneratedLine line(99, kBytes);
        std::istream in(&line);
        TokenizerOptions opts;
        opts.buffer_bytes = buffer;
        Tokenizer tok(in, opts, "generated");
        std::vector<std::string_view> t;
        REQUIRE(tok.next_sentence(t));
        // The first sentence (at most 1000 words of <= 12 letters and 2 separators) comes back
        // after the reads that cover it, not after the whole 20 MB line.
        CHECK(tok.bytes_read() <= buffer + 14'000);
        CHECK(t.size() == 1000);
        embedkit_test::TokenHash hash;
        std::size_t tokens = 0;
        std::size_t sentences = 0;
        bool all_full = true;
        bool last_short = false;
        do {
            CHECK_FALSE(last_short);  // only the last sentence may be shorter than the cap
            ++sentences;
            tokens += t.size();
            last_short = t.size() < 1000;
            all_full = all_full && t.size() <= 1000;
            for (const auto tok_view : t) hash.token(tok_view);
        } while (tok.next_sentence(t));
        CHECK(all_full);
        CHECK(line.bytes() >= kBytes);
        CHECK(tok.bytes_read() == line.bytes());
        CHECK(tokens == line.words());
        CHECK(sentences == (line.words() + 999) / 1000);
        CHECK(hash.value() == line.hash());
        CHECK(line.max_request() <= static_cast<std::streamsize>(buffer));
    }
}

namespace {

// Serves some bytes, then fails like a broken disk.
class FailingBuf : public std::streambuf {
public:
    explicit FailingBuf(std::string data) : data_(std::move(data)) {
        setg(data_.data(), data_.data(), data_.data() + data_.size());
    }

protected:
    int_type underflow() override { throw std::runtime_error("device error"); }

private:
    std::string data_;
};

}  // namespace

TEST_CASE("a stream read error becomes io_error naming the source", "[tokenizer]") {
    FailingBuf buf("some words before the failure");
    std::istream in(&buf);
    TokenizerOptions opts;
    opts.buffer_bytes = 8;
    Tokenizer tok(in, opts, "disk.txt");
    std::vector<std::string_view> t;
    try {
        while (tok.next_sentence(t)) {
        }
        FAIL("no exception");
    } catch (const io_error& e) {
        CHECK(e.path() == "disk.txt");
        CHECK(std::string(e.what()).find("read error") != std::string::npos);
    }
}

TEST_CASE("a stream with exceptions enabled still ends normally", "[tokenizer]") {
    std::istringstream in("a b\nc");
    in.exceptions(std::ios::failbit | std::ios::badbit | std::ios::eofbit);
    TokenizerOptions opts;
    opts.buffer_bytes = 2;
    Tokenizer tok(in, opts);
    std::vector<std::string_view> t;
    REQUIRE(tok.next_sentence(t));
    CHECK(t == std::vector<std::string_view>{"a", "b"});
    REQUIRE(tok.next_sentence(t));
    CHECK(t == std::vector<std::string_view>{"c"});
    CHECK_FALSE(tok.next_sentence(t));
}

TEST_CASE("TokenizerOptions validation names the field", "[tokenizer]") {
    const auto message = [](const TokenizerOptions& o) -> std::string {
        try {
            validate(o);
        } catch (const invalid_options& e) {
            return e.what();
        }
        return "valid";
    };
    CHECK(message({}) == "valid");
    TokenizerOptions o;
    o.max_sentence_tokens = 0;
    CHECK_THAT(message(o), Catch::Contains("max_sentence_tokens"));
    o = {};
    o.max_token_bytes = 3;
    CHECK_THAT(message(o), Catch::Contains("max_token_bytes"));
    o.max_token_bytes = std::size_t{1} << 31;
    CHECK_THAT(message(o), Catch::Contains("max_token_bytes"));
    o = {};
    o.buffer_bytes = 0;
    CHECK_THAT(message(o), Catch::Contains("buffer_bytes"));
    o = {};
    o.invalid_utf8 = static_cast<InvalidUtf8>(7);
    CHECK_THAT(message(o), Catch::Contains("invalid_utf8"));
    std::istringstream in("x");
    o = {};
    o.max_token_bytes = 0;
    CHECK_THROWS_AS(Tokenizer(in, o), invalid_options);
}
