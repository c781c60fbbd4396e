#pragma once

#include "embedkit/errors.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace embedkit::detail {

/// Bytes from the stream's current position to its end, or nullopt when the stream cannot seek
/// (a pipe, a socket). Leaves the position where it was.
[[nodiscard]] inline std::optional<std::uint64_t> remaining_bytes(std::istream& in) {
    const std::istream::pos_type here = in.tellg();
    if (here == std::istream::pos_type(-1)) {
        in.clear(in.rdstate() & ~std::ios::failbit);
        return std::nullopt;
    }
    in.seekg(0, std::ios::end);
    const std::istream::pos_type end = in.tellg();
    in.clear(in.rdstate() & ~(std::ios::failbit | std::ios::eofbit));
    in.seekg(here);
    if (end == std::istream::pos_type(-1) || !in || end < here) {
        in.clear(in.rdstate() & ~std::ios::failbit);
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(end - here);
}

/// Reads an std::istream in large chunks and hands out lines and byte ranges as views into its
/// own buffer, so that parsers never extract values one by one from the stream. A view stays
/// valid until the next call that may read (`fill`, `peek_line`, `next_line`, `at_end`).
/// A stream error (not end of file) throws io_error naming `source`.
class ChunkReader {
public:
    static constexpr std::size_t kDefaultChunk = std::size_t{1} << 20;

    /// The outcome of looking for the next line.
    struct Line {
        enum class Status { ok, end, too_long };
        Status status = Status::end;
        std::string_view text;     ///< without its '\n'
        std::size_t length = 0;    ///< bytes to consume: text plus its '\n' if it had one
    };

    ChunkReader(std::istream& in, std::string source, std::size_t chunk = kDefaultChunk)
        : in_(in), source_(std::move(source)), chunk_(std::max<std::size_t>(chunk, 64)) {}

    /// Makes at least `n` bytes available unless the input ends first; returns how many are.
    std::size_t fill(std::size_t n) {
        if (size() >= n || eof_) return size();
        if (begin_ > 0) {
            std::memmove(buffer_.data(), buffer_.data() + begin_, size());
            end_ -= begin_;
            discarded_ += begin_;
            begin_ = 0;
        }
        while (end_ < n && !eof_) {
            // Full, and n is more than it holds: grow. The first buffer is small, so that reading
            // a small input never touches (and page-faults in) a chunk-sized one.
            if (end_ == buffer_.size()) {
                const std::size_t doubled = buffer_.empty() ? std::min(chunk_, kFirstBuffer) : 2 * buffer_.size();
                buffer_.resize(std::max(n, doubled));
            }
            in_.read(buffer_.data() + end_, static_cast<std::streamsize>(buffer_.size() - end_));
            const auto got = static_cast<std::size_t>(in_.gcount());
            end_ += got;
            if (in_.bad()) throw io_error(source_, "read error");
            if (!in_ || got == 0) eof_ = true;
        }
        return size();
    }

    /// The buffered bytes not consumed yet.
    [[nodiscard]] std::string_view buffered() const noexcept {
        return std::string_view(buffer_.data() + begin_, size());
    }
    void consume(std::size_t n) noexcept { begin_ += std::min(n, size()); }

    /// True when every byte has been consumed and the input has none left.
    [[nodiscard]] bool at_end() { return fill(1) == 0; }

    /// True when the input has no bytes left beyond the buffered ones.
    [[nodiscard]] bool exhausted() const noexcept { return eof_; }

    /// Bytes consumed since the reader was created.
    [[nodiscard]] std::uint64_t offset() const noexcept { return discarded_ + begin_; }

    /// The next line without consuming it. A last line without '\n' is a line; `end` means no
    /// bytes are left; `too_long` means no '\n' within `max_length` bytes.
    Line peek_line(std::size_t max_length) {
        std::size_t scanned = 0;
        for (;;) {
            const std::size_t limit = std::min(size(), max_length + 1);
            const char* base = buffer_.data() + begin_;
            if (limit > scanned) {
                if (const void* nl = std::memchr(base + scanned, '\n', limit - scanned)) {
                    const auto length = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
                    return {Line::Status::ok, std::string_view(base, length), length + 1};
                }
                scanned = limit;
            }
            if (scanned > max_length) return {Line::Status::too_long, {}, 0};
            if (eof_) {
                if (size() == 0) return {Line::Status::end, {}, 0};
                return {Line::Status::ok, std::string_view(base, size()), size()};
            }
            fill(size() + std::max(chunk_, size()));
        }
    }

    /// The next line, consumed (see `peek_line`).
    Line next_line(std::size_t max_length) {
        Line line = peek_line(max_length);
        consume(line.length);
        return line;
    }

private:
    static constexpr std::size_t kFirstBuffer = std::size_t{1} << 16;

    [[nodiscard]] std::size_t size() const noexcept { return end_ - begin_; }

    std::istream& in_;
    std::string source_;
    std::size_t chunk_;
    std::vector<char> buffer_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::uint64_t discarded_ = 0;
    bool eof_ = false;
};

}  // namespace embedkit::detail
