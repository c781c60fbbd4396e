#pragma once

// Splitting a text file into byte ranges at whitespace, so that several readers (threads, MPI
// ranks) each read only their own part and every token is read exactly once. MPI-free.

#include "embedkit/errors.hpp"
#include "embedkit/text/tokenizer.hpp"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <ios>
#include <istream>
#include <streambuf>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace embedkit {

/// Bytes [begin, end) of a file.
struct ByteRange {
    std::uint64_t begin = 0;
    std::uint64_t end = 0;

    [[nodiscard]] std::uint64_t size() const noexcept { return end > begin ? end - begin : 0; }
    [[nodiscard]] bool empty() const noexcept { return end <= begin; }
};

/// True for the bytes a part may start after: the ASCII whitespace the tokenizer splits at
/// (space \t \n \v \f \r). Unicode spaces (U+00A0 ...) are several bytes and never a split point,
/// so a split never cuts a token nor a UTF-8 character.
[[nodiscard]] inline bool is_split_byte(unsigned char c) noexcept {
    const std::uint8_t cls = detail::kByteClasses[c];
    return cls == detail::kSpaceByte || cls == detail::kNewlineByte;
}

namespace detail {

// Opens `path` for reading into `file`, or throws io_error naming it; returns its size in bytes.
inline std::uint64_t open_for_ranges(std::filebuf& file, const std::string& path) {
    if (file.open(path, std::ios::in | std::ios::binary) == nullptr) {
        throw io_error(path, "cannot open for reading");
    }
    const std::streampos end = file.pubseekoff(0, std::ios::end, std::ios::in);
    if (end == std::streampos(-1)) throw io_error(path, "cannot seek (byte ranges need a regular file)");
    return static_cast<std::uint64_t>(static_cast<std::streamoff>(end));
}

// The first offset >= `offset` at which a token may start: 0, `size`, or right after a split
// byte. Reads from `offset - 1` forward until it finds one.
inline std::uint64_t token_start_at_or_after(std::filebuf& file, const std::string& path, std::uint64_t size,
                                             std::uint64_t offset) {
    if (offset == 0 || offset >= size) return std::min(offset, size);
    std::uint64_t at = offset - 1;  // the byte before the candidate start
    if (file.pubseekoff(static_cast<std::streamoff>(at), std::ios::beg, std::ios::in) == std::streampos(-1)) {
        throw io_error(path, "cannot seek to byte " + std::to_string(at));
    }
    char chunk[1 << 14];
    while (at < size) {
        const auto want = static_cast<std::streamsize>(std::min<std::uint64_t>(sizeof chunk, size - at));
        const std::streamsize got = file.sgetn(chunk, want);
        if (got <= 0) {
            throw io_error(path, "read error at byte " + std::to_string(at) + " (the file has " +
                                     std::to_string(size) + " bytes; did it shrink?)");
        }
        for (std::streamsize i = 0; i < got; ++i) {
            if (is_split_byte(static_cast<unsigned char>(chunk[i]))) return at + static_cast<std::uint64_t>(i) + 1;
        }
        at += static_cast<std::uint64_t>(got);
    }
    return size;
}

inline void check_parts(int parts, const char* function) {
    if (parts < 1) {
        throw invalid_argument(std::string(function) + ": parts must be >= 1 (got " + std::to_string(parts) + ")");
    }
}

// The nominal start of part p: floor(p * size / parts), without overflow.
[[nodiscard]] inline std::uint64_t nominal_start(std::uint64_t size, int part, int parts) noexcept {
    const auto p = static_cast<std::uint64_t>(part);
    const auto n = static_cast<std::uint64_t>(parts);
    return (size / n) * p + (size % n) * p / n;
}

/// A streambuf over bytes [begin, end) of a file: reads go straight to the file in the caller's
/// chunks (the Tokenizer asks for 1 MiB at a time). A file that ends before `end` throws io_error.
class RangeFileBuf : public std::streambuf {
public:
    RangeFileBuf(const std::string& path, ByteRange range) : path_(path), range_(range) {
        const std::uint64_t size = open_for_ranges(file_, path);
        if (range.begin > range.end || range.end > size) {
            throw io_error(path, "byte range [" + std::to_string(range.begin) + ", " + std::to_string(range.end) +
                                     ") is not inside the file (" + std::to_string(size) + " bytes)");
        }
        if (file_.pubseekoff(static_cast<std::streamoff>(range.begin), std::ios::beg, std::ios::in) ==
            std::streampos(-1)) {
            throw io_error(path, "cannot seek to byte " + std::to_string(range.begin));
        }
        remaining_ = range.size();
    }

protected:
    int_type underflow() override {
        if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
        const std::streamsize got = read(one_, 1);
        if (got == 0) return traits_type::eof();
        setg(one_, one_, one_ + 1);
        return traits_type::to_int_type(one_[0]);
    }

    std::streamsize xsgetn(char* s, std::streamsize n) override {
        std::streamsize done = 0;
        if (gptr() < egptr() && n > 0) {  // the byte underflow() buffered, if any
            *s = *gptr();
            gbump(1);
            ++done;
        }
        return done + read(s + done, n - done);
    }

private:
    std::streamsize read(char* s, std::streamsize n) {
        const auto want = static_cast<std::streamsize>(std::min<std::uint64_t>(static_cast<std::uint64_t>(n), remaining_));
        std::streamsize done = 0;
        while (done < want) {
            const std::streamsize got = file_.sgetn(s + done, want - done);
            if (got <= 0) {
                throw io_error(path_, "the file ends at byte " +
                                          std::to_string(range_.end - remaining_ + static_cast<std::uint64_t>(done)) +
                                          ", inside the byte range [" + std::to_string(range_.begin) + ", " +
                                          std::to_string(range_.end) + ") being read (did it shrink?)");
            }
            done += got;
        }
        remaining_ -= static_cast<std::uint64_t>(done);
        return done;
    }

    std::string path_;
    ByteRange range_;
    std::filebuf file_;
    std::uint64_t remaining_ = 0;
    char one_[1] = {};
};

}  // namespace detail

/// Size of the file in bytes; io_error naming it if it cannot be opened.
[[nodiscard]] inline std::uint64_t file_bytes(const std::string& path) {
    std::filebuf file;
    return detail::open_for_ranges(file, path);
}

/// The first offset >= `offset` where a token of `path` may start: 0, the file size, or the byte
/// after an ASCII whitespace byte (offsets past the end give the file size). io_error naming the
/// file if it cannot be read.
[[nodiscard]] inline std::uint64_t token_start_at_or_after(const std::string& path, std::uint64_t offset) {
    std::filebuf file;
    const std::uint64_t size = detail::open_for_ranges(file, path);
    return detail::token_start_at_or_after(file, path, size, offset);
}

/// The starts of `parts` parts of `path`, plus its size: `parts + 1` offsets, non-decreasing,
/// the first 0 and the last the file size. Part p is [start_p, start_{p+1}); start_p is p x size /
/// parts moved forward to the first byte after a whitespace byte, so a token that straddles the
/// nominal boundary belongs to the part where it starts, and every token is in exactly one part.
/// Parts may be empty (more parts than tokens, long tokens). invalid_argument if parts < 1;
/// io_error naming the file if it cannot be opened or read.
[[nodiscard]] inline std::vector<std::uint64_t> whitespace_split_points(const std::string& path, int parts) {
    detail::check_parts(parts, "whitespace_split_points");
    std::filebuf file;
    const std::uint64_t size = detail::open_for_ranges(file, path);
    std::vector<std::uint64_t> starts(static_cast<std::size_t>(parts) + 1, size);
    starts[0] = 0;
    for (int p = 1; p < parts; ++p) {
        const std::uint64_t nominal = detail::nominal_start(size, p, parts);
        const std::uint64_t previous = starts[static_cast<std::size_t>(p) - 1];
        // A start found earlier may already be past this nominal point (one long token).
        starts[static_cast<std::size_t>(p)] =
            previous >= nominal ? previous : detail::token_start_at_or_after(file, path, size, nominal);
    }
    return starts;
}

/// Part `part` of `parts` (as whitespace_split_points, reading only near its two boundaries):
/// what one reader of many calls. invalid_argument unless 0 <= part < parts.
[[nodiscard]] inline ByteRange whitespace_part(const std::string& path, int part, int parts) {
    detail::check_parts(parts, "whitespace_part");
    if (part < 0 || part >= parts) {
        throw invalid_argument("whitespace_part: part must be in [0, " + std::to_string(parts) + ") (got " +
                               std::to_string(part) + ")");
    }
    std::filebuf file;
    const std::uint64_t size = detail::open_for_ranges(file, path);
    const std::uint64_t begin = detail::token_start_at_or_after(file, path, size, detail::nominal_start(size, part, parts));
    const std::uint64_t end =
        part + 1 == parts ? size : detail::token_start_at_or_after(file, path, size, detail::nominal_start(size, part + 1, parts));
    return {begin, end};
}

/// An std::istream over bytes [begin, end) of a file, for the Tokenizer, VocabCounter::add_stream
/// or Corpus::encode. io_error naming the file if it cannot be opened or the range is not inside
/// it; a file that shrinks while it is read throws io_error from the read (badbit is an exception).
class ByteRangeStream : public std::istream {
public:
    ByteRangeStream(const std::string& path, ByteRange range) : std::istream(nullptr), buf_(path, range) {
        rdbuf(&buf_);
        exceptions(std::ios::badbit);  // rethrows the io_error of RangeFileBuf, not a bare failure
    }
    ByteRangeStream(const ByteRangeStream&) = delete;
    ByteRangeStream& operator=(const ByteRangeStream&) = delete;

private:
    detail::RangeFileBuf buf_;
};

/// Tokenizes bytes [begin, end) of a file with the Tokenizer: the sentences of one part.
/// Tokenizer errors name the source "<path> bytes [begin, end)"; their byte offsets count from
/// `begin`.
///
///     ByteRangeReader reader(path, whitespace_part(path, rank, ranks));
///     std::vector<std::string_view> sentence;
///     while (reader.next_sentence(sentence)) { ... }
class ByteRangeReader {
public:
    ByteRangeReader(const std::string& path, ByteRange range, const TokenizerOptions& options = {})
        : stream_(path, range),
          tokenizer_(stream_, options,
                     path + " bytes [" + std::to_string(range.begin) + ", " + std::to_string(range.end) + ")") {}

    /// As Tokenizer::next_sentence.
    bool next_sentence(std::vector<std::string_view>& tokens) { return tokenizer_.next_sentence(tokens); }
    [[nodiscard]] const Tokenizer& tokenizer() const noexcept { return tokenizer_; }

private:
    ByteRangeStream stream_;
    Tokenizer tokenizer_;
};

}  // namespace embedkit
