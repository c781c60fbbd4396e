#pragma once

#include "embedkit/detail/utf8.hpp"
#include "embedkit/errors.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ios>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace embedkit {

/// What the tokenizer does with bytes that are not well-formed UTF-8.
enum class InvalidUtf8 {
    replace,  ///< each maximal invalid subsequence becomes U+FFFD inside the token (default)
    error,    ///< throw io_error naming the source and the byte offset of the first bad byte
};

/// Options of `Tokenizer`. Aggregate: C++20 callers may write `{.max_token_bytes = 50}`.
struct TokenizerOptions {
    /// Sentences with more tokens are split into consecutive sentences of at most this many.
    std::size_t max_sentence_tokens = 1000;
    /// Longer tokens are cut to at most this many bytes, on a UTF-8 character boundary (>= 4).
    std::size_t max_token_bytes = 100;
    InvalidUtf8 invalid_utf8 = InvalidUtf8::replace;
    /// Bytes requested from the stream per read; memory is bounded by this plus one sentence.
    std::size_t buffer_bytes = std::size_t{1} << 20;
    /// What an encoded Corpus does with a line split at max_sentence_tokens: false (default, as
    /// word2vec) makes each piece a sentence; true keeps the pieces one sentence (no kSentenceEnd
    /// between them), so a co-occurrence window crosses the split as in glove.c's cooccur, which
    /// never cuts a line. The tokenizer still hands out pieces (Tokenizer::continues_line).
    bool join_split_lines = false;
};

/// Throws invalid_options naming the offending field.
inline void validate(const TokenizerOptions& opts) {
    if (opts.max_sentence_tokens < 1) {
        throw invalid_options("TokenizerOptions.max_sentence_tokens must be >= 1 (got 0)");
    }
    if (opts.max_token_bytes < 4 || opts.max_token_bytes > (std::size_t{1} << 30)) {
        throw invalid_options("TokenizerOptions.max_token_bytes must be in [4, 2^30] so that any character fits (got " +
                              std::to_string(opts.max_token_bytes) + ")");
    }
    if (opts.invalid_utf8 != InvalidUtf8::replace && opts.invalid_utf8 != InvalidUtf8::error) {
        throw invalid_options("TokenizerOptions.invalid_utf8 is not a valid InvalidUtf8 value");
    }
    if (opts.buffer_bytes < 1 || opts.buffer_bytes > (std::size_t{1} << 30)) {
        throw invalid_options("TokenizerOptions.buffer_bytes must be in [1, 2^30] (got " +
                              std::to_string(opts.buffer_bytes) + ")");
    }
}

namespace detail {

enum : std::uint8_t { kWordByte = 0, kSpaceByte = 1, kNewlineByte = 2, kNonAsciiByte = 3 };

[[nodiscard]] constexpr std::array<std::uint8_t, 256> make_byte_classes() noexcept {
    std::array<std::uint8_t, 256> table{};
    for (int c = 0x80; c < 256; ++c) table[static_cast<std::size_t>(c)] = kNonAsciiByte;
    for (const char c : {' ', '\t', '\v', '\f', '\r'}) table[static_cast<unsigned char>(c)] = kSpaceByte;
    table[static_cast<unsigned char>('\n')] = kNewlineByte;
    return table;
}

/// U+FFFD with 8 bytes of padding, so it can be copied 8 bytes at a time.
inline constexpr unsigned char kReplacementBytes[11] = {0xEF, 0xBF, 0xBD};

/// Class of each byte for the tokenizer's ASCII fast path.
inline constexpr std::array<std::uint8_t, 256> kByteClasses = make_byte_classes();

}  // namespace detail

/// Splits a UTF-8 byte stream into sentences of tokens, reading it in chunks of
/// `buffer_bytes` with `istream::read`, so memory stays bounded however long a line is.
///
/// - Tokens are separated by ASCII whitespace (space \t \n \v \f \r) and by Unicode whitespace
///   (U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
/// - A sentence ends at '\n' (so "\r\n" is one line end; a lone '\r' is plain whitespace),
///   at U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR, and after `max_sentence_tokens`
///   tokens. Empty sentences are never returned.
/// - Tokens longer than `max_token_bytes` are truncated to a whole number of characters.
/// - Invalid UTF-8 is replaced by U+FFFD per maximal subpart, or raises io_error
///   ("<source>: invalid UTF-8 at byte offset N", N counted from 0 at the first byte read).
/// - A stream in a bad state (a read error) raises io_error naming the source. After any
///   exception the tokenizer is in an unspecified state and must not be used again.
///
///     std::ifstream in("corpus.txt", std::ios::binary);
///     Tokenizer tok(in, {}, "corpus.txt");
///     std::vector<std::string_view> sentence;
///     while (tok.next_sentence(sentence)) { ... }
class Tokenizer {
public:
    explicit Tokenizer(std::istream& in, TokenizerOptions opts = {}, std::string source_name = "<stream>")
        : in_(&in), opts_(opts), source_(std::move(source_name)) {
        validate(opts_);
        // Up to 3 bytes of an unfinished character are carried over in front of each read; 8 more
        // bytes hold the scan sentinel and let token copies move 8 bytes at a time.
        capacity_ = opts_.buffer_bytes + 3;
        buf_ = std::make_unique<unsigned char[]>(capacity_ + kSlack);
        buf_[0] = ' ';
        ends_.reserve(std::min<std::size_t>(opts_.max_sentence_tokens, 4096));
    }

    /// Fills `tokens` with the next non-empty sentence and returns true, or returns false (with
    /// `tokens` empty) at the end of input. The views stay valid until the next call.
    bool next_sentence(std::vector<std::string_view>& tokens) {
        tokens.clear();
        arena_size_ = 0;
        ends_.clear();
        continues_ = split_;  // cleared by a line end before the first token
        split_ = false;
        while (!done_) {
            if (pos_ == end_ && !refill()) {
                end_token();
                done_ = true;
                break;
            }
            if (scan()) break;
        }
        if (ends_.empty()) return false;
        tokens.reserve(ends_.size());
        const char* const arena = arena_.get();
        std::size_t begin = 0;
        for (const std::size_t end : ends_) {
            tokens.emplace_back(arena + begin, end - begin);
            begin = end;
        }
        return true;
    }

    /// True when the sentence just returned continues the line of the one before it, which was
    /// split at max_sentence_tokens (no line end came between them).
    [[nodiscard]] bool continues_line() const noexcept { return continues_; }

    /// Bytes read from the stream so far (for progress reports).
    [[nodiscard]] std::uint64_t bytes_read() const noexcept { return bytes_read_; }
    /// Invalid UTF-8 subsequences replaced by U+FFFD so far.
    [[nodiscard]] std::uint64_t replacements() const noexcept { return replacements_; }
    [[nodiscard]] const TokenizerOptions& options() const noexcept { return opts_; }
    [[nodiscard]] const std::string& source_name() const noexcept { return source_; }

private:
    static constexpr std::size_t kSlack = 8;

    // Moves the unconsumed bytes to the front of the buffer and reads up to buffer_bytes more.
    // Returns false when nothing new could be read (end of input).
    bool refill() {
        const std::size_t keep = end_ - pos_;
        if (keep > 0 && pos_ > 0) std::memmove(buf_.get(), buf_.get() + pos_, keep);
        offset_ += pos_;
        pos_ = 0;
        end_ = keep;
        if (!eof_) {
            const std::size_t want = std::min(opts_.buffer_bytes, capacity_ - keep);
            try {
                in_->read(reinterpret_cast<char*>(buf_.get() + keep), static_cast<std::streamsize>(want));
            } catch (const std::ios_base::failure&) {
                // A stream with exceptions() enabled throws at the end of input; only bad() is an error.
                if (!in_->bad() && !in_->eof()) throw;
            }
            const auto got = static_cast<std::size_t>(in_->gcount());
            if (in_->bad()) {
                throw io_error(source_, "read error after " + std::to_string(bytes_read_ + got) + " bytes");
            }
            if (got < want) eof_ = true;
            bytes_read_ += got;
            end_ += got;
        }
        buf_[end_] = ' ';  // sentinel: ends every run of word bytes inside the buffer
        return end_ > keep;
    }

    // Processes buffered bytes. Returns true when a sentence is complete; false when the buffer is
    // used up (or was refilled to finish a character split across reads).
    //
    // The ASCII fast path works on local copies of the token state: token bytes are written
    // through a char pointer, which may alias any member, so working on members would reload them
    // all after every copy. Non-ASCII bytes (rare in most corpora) go through `step_non_ascii`,
    // which works on the members; the locals are saved before and reloaded after.
    bool scan() {
        const unsigned char* const base = buf_.get();
        const unsigned char* p = base + pos_;
        const unsigned char* const e = base + end_;
        const std::uint8_t* const classes = detail::kByteClasses.data();
        const std::size_t max_token = opts_.max_token_bytes;
        const std::size_t max_tokens = opts_.max_sentence_tokens;
        char* arena = arena_.get();
        std::size_t size = arena_size_;
        std::size_t capacity = arena_capacity_;
        std::size_t token_begin = token_begin_;
        bool in_token = in_token_;
        bool truncated = truncated_;
        const auto save = [&](const unsigned char* at) {
            pos_ = static_cast<std::size_t>(at - base);
            arena_size_ = size;
            token_begin_ = token_begin;
            in_token_ = in_token;
            truncated_ = truncated;
        };

        while (p < e) {
            const std::uint8_t cls = classes[*p];
            if (cls == detail::kWordByte) {
                const unsigned char* const s = p;
                do {
                    ++p;
                } while (classes[*p] == detail::kWordByte);  // stops at the sentinel at e
                std::size_t n = static_cast<std::size_t>(p - s);
                if (!in_token) {
                    in_token = true;
                    truncated = false;
                    token_begin = size;
                    if (capacity - size < max_token + kSlack) {
                        arena_size_ = size;
                        grow_arena();
                        arena = arena_.get();
                        capacity = arena_capacity_;
                    }
                }
                if (!truncated) {
                    const std::size_t room = max_token - (size - token_begin);
                    if (n > room) {
                        n = room;
                        truncated = true;
                    }
                    // 8 bytes at a time: both buffers have kSlack bytes to spare.
                    char* const d = arena + size;
                    for (std::size_t i = 0; i < n; i += 8) std::memcpy(d + i, s + i, 8);
                    size += n;
                }
            } else if (cls != detail::kNonAsciiByte) {
                ++p;
                bool full = false;
                if (in_token) {
                    in_token = false;
                    ends_.push_back(size);
                    full = ends_.size() >= max_tokens;
                }
                if (full || (cls == detail::kNewlineByte && !ends_.empty())) {
                    split_ = full && cls != detail::kNewlineByte;
                    save(p);
                    return true;
                }
                if (cls == detail::kNewlineByte) continues_ = false;
            } else {
                save(p);
                const Step step = step_non_ascii(p, e);
                if (step == Step::refilled) return false;
                p = base + pos_;
                if (step == Step::sentence_done) return true;
                arena = arena_.get();
                size = arena_size_;
                capacity = arena_capacity_;
                token_begin = token_begin_;
                in_token = in_token_;
                truncated = truncated_;
            }
        }
        save(e);
        return false;
    }

    enum class Step { next, sentence_done, refilled };

    // Handles the character starting at p (a non-ASCII byte) on the members; pos_ is updated.
    Step step_non_ascii(const unsigned char* p, const unsigned char* e) {
        const detail::Utf8Decoded d = detail::decode_utf8(p, e);
        if (d.status == detail::Utf8Status::ok) {
            pos_ += d.length;
            if (detail::is_unicode_space(d.code_point)) {
                const bool line_end = d.code_point == 0x2028 || d.code_point == 0x2029;
                const bool full = end_token();
                split_ = full && !line_end;
                if (line_end && ends_.empty()) continues_ = false;
                return full || (line_end && !ends_.empty()) ? Step::sentence_done : Step::next;
            }
            append_char(p, d.length);
            return Step::next;
        }
        if (d.status == detail::Utf8Status::incomplete && !eof_) {
            refill();  // carries the partial character over; at the end of input it becomes invalid
            return Step::refilled;
        }
        if (opts_.invalid_utf8 == InvalidUtf8::error) {
            throw io_error(source_, "invalid UTF-8 at byte offset " + std::to_string(offset_ + pos_));
        }
        ++replacements_;
        pos_ += d.length;
        append_char(detail::kReplacementBytes, 3);
        return Step::next;
    }

    // Appends one whole character (n <= 4 bytes, 8 readable) to the token, or stops the token
    // growing if it does not fit.
    void append_char(const unsigned char* s, std::size_t n) {
        if (!in_token_) {
            in_token_ = true;
            truncated_ = false;
            token_begin_ = arena_size_;
            if (arena_capacity_ - arena_size_ < opts_.max_token_bytes + kSlack) grow_arena();
        }
        if (truncated_) return;
        if (n > opts_.max_token_bytes - (arena_size_ - token_begin_)) {
            truncated_ = true;
            return;
        }
        std::memcpy(arena_.get() + arena_size_, s, 8);
        arena_size_ += n;
    }

    void grow_arena() {
        const std::size_t need = arena_size_ + opts_.max_token_bytes + kSlack;
        const std::size_t capacity = std::max({need, 2 * arena_capacity_, std::size_t{4096}});
        auto bigger = std::make_unique<char[]>(capacity);
        if (arena_size_ > 0) std::memcpy(bigger.get(), arena_.get(), arena_size_);
        arena_ = std::move(bigger);
        arena_capacity_ = capacity;
    }

    // Closes the current token, if any. Returns true if the sentence is now full.
    bool end_token() {
        if (!in_token_) return false;
        in_token_ = false;
        ends_.push_back(arena_size_);
        return ends_.size() >= opts_.max_sentence_tokens;
    }

    std::istream* in_;
    TokenizerOptions opts_;
    std::string source_;
    std::unique_ptr<unsigned char[]> buf_;
    std::size_t capacity_ = 0;       // bytes of buf_ that hold input (kSlack more are allocated)
    std::size_t pos_ = 0;            // next unread byte in buf_
    std::size_t end_ = 0;            // one past the last valid byte in buf_
    std::uint64_t offset_ = 0;       // stream offset of buf_[0]
    std::uint64_t bytes_read_ = 0;
    std::uint64_t replacements_ = 0;
    bool eof_ = false;
    bool done_ = false;
    // The current sentence: token bytes back to back in arena_, and where each token ends.
    std::unique_ptr<char[]> arena_;
    std::size_t arena_size_ = 0;
    std::size_t arena_capacity_ = 0;
    std::vector<std::size_t> ends_;
    std::size_t token_begin_ = 0;
    bool in_token_ = false;
    bool truncated_ = false;
    bool split_ = false;      // the last sentence was cut at max_sentence_tokens
    bool continues_ = false;  // the current sentence continues the line of the last one
};

}  // namespace embedkit
