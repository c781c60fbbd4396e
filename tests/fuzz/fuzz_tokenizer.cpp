// libFuzzer target: Tokenizer. The first two bytes choose the options (max_token_bytes 4..67;
// max_sentence_tokens 1..32; the top bit of the second byte: InvalidUtf8::error), the rest is
// the text. Checked:
// - the documented invariants: sentences are non-empty and at most max_sentence_tokens long;
//   tokens are non-empty, at most max_token_bytes, well-formed UTF-8, and hold no separator;
// - the sentences do not depend on the read size (buffer_bytes 1, 3 and 4096: characters and
//   tokens split across reads);
// - they equal a plain reference that decodes the whole text at once (docs/text.md's rules);
// - InvalidUtf8::error throws io_error exactly when the text is not well-formed UTF-8.
#include "fuzz_support.hpp"

#include <embedkit/detail/utf8.hpp>
#include <embedkit/text/tokenizer.hpp>

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using embedkit::InvalidUtf8;
using embedkit::TokenizerOptions;
using Sentences = std::vector<std::vector<std::string>>;

namespace {

namespace detail = embedkit::detail;

Sentences tokenize(const std::string& text, TokenizerOptions options, std::size_t buffer_bytes) {
    options.buffer_bytes = buffer_bytes;
    std::istringstream in(text);
    embedkit::Tokenizer tokenizer(in, options, "<fuzz>");
    Sentences sentences;
    std::vector<std::string_view> tokens;
    while (tokenizer.next_sentence(tokens)) sentences.emplace_back(tokens.begin(), tokens.end());
    EMBEDKIT_FUZZ_CHECK(tokens.empty());
    return sentences;
}

bool is_separator(char32_t cp) {
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\v' || cp == '\f' || cp == '\r' ||
           detail::is_unicode_space(cp);
}

// The rules of docs/text.md applied to the whole text at once, character by character.
Sentences reference(const std::string& text, const TokenizerOptions& options) {
    Sentences sentences(1);
    std::string token;
    bool cut = false;  // the token reached max_token_bytes: the rest of it is skipped
    auto end_token = [&] {
        if (!token.empty()) sentences.back().push_back(token);
        token.clear();
        cut = false;
        if (sentences.back().size() == options.max_sentence_tokens) sentences.emplace_back();
    };
    auto end_sentence = [&] {
        end_token();
        if (!sentences.back().empty()) sentences.emplace_back();
    };
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    while (p < end) {
        const detail::Utf8Decoded d = detail::decode_utf8(p, end);
        const bool ok = d.status == detail::Utf8Status::ok;
        std::string_view bytes = ok ? std::string_view(reinterpret_cast<const char*>(p), d.length)
                                    : detail::kUtf8Replacement;
        p += d.length;
        if (ok && (d.code_point == '\n' || d.code_point == 0x2028 || d.code_point == 0x2029)) {
            end_sentence();
        } else if (ok && is_separator(d.code_point)) {
            end_token();
        } else if (!cut && token.size() + bytes.size() <= options.max_token_bytes) {
            token += bytes;
        } else {
            cut = true;
        }
    }
    end_sentence();
    sentences.pop_back();  // the empty sentence after the last end
    return sentences;
}

void check_invariants(const Sentences& sentences, const TokenizerOptions& options) {
    for (const auto& sentence : sentences) {
        EMBEDKIT_FUZZ_CHECK(!sentence.empty());
        EMBEDKIT_FUZZ_CHECK(sentence.size() <= options.max_sentence_tokens);
        for (const std::string& token : sentence) {
            EMBEDKIT_FUZZ_CHECK(!token.empty());
            EMBEDKIT_FUZZ_CHECK(token.size() <= options.max_token_bytes);
            EMBEDKIT_FUZZ_CHECK(detail::is_valid_utf8(token));
            const auto* p = reinterpret_cast<const unsigned char*>(token.data());
            const auto* end = p + token.size();
            while (p < end) {
                const detail::Utf8Decoded d = detail::decode_utf8(p, end);
                EMBEDKIT_FUZZ_CHECK(!is_separator(d.code_point));
                p += d.length;
            }
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    TokenizerOptions options;
    options.max_token_bytes = 4 + data[0] % 64;
    options.max_sentence_tokens = 1 + (data[1] & 0x7f) % 32;
    const bool strict = (data[1] & 0x80) != 0;
    const std::string text = embedkit::fuzz::as_string(data + 2, size - 2);

    const Sentences sentences = tokenize(text, options, 4096);
    check_invariants(sentences, options);
    EMBEDKIT_FUZZ_CHECK(tokenize(text, options, 1) == sentences);
    EMBEDKIT_FUZZ_CHECK(tokenize(text, options, 3) == sentences);
    EMBEDKIT_FUZZ_CHECK(reference(text, options) == sentences);

    if (strict) {
        options.invalid_utf8 = InvalidUtf8::error;
        Sentences checked;
        const bool accepted = embedkit::fuzz::accepts([&] { checked = tokenize(text, options, 3); });
        EMBEDKIT_FUZZ_CHECK(accepted == detail::is_valid_utf8(text));
        if (accepted) EMBEDKIT_FUZZ_CHECK(checked == sentences);
    }
    return 0;
}
