#pragma once

// Little-endian binary records for model files: a writer and a reader that keep a running
// checksum of every byte, and a reader whose errors name the file and the byte offset.
// Used by embedkit's fastText model files and by the reader of fastText's .bin files.

#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace embedkit::detail {

inline constexpr bool kBinaryHostLittleEndian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

/// A 64-bit checksum of a byte stream (FNV-1a over 8-byte little-endian words, then the tail
/// bytes). The value depends only on the bytes, not on how they were split between `update`
/// calls. Detects corruption; it is not cryptographic.
class Checksum64 {
public:
    void update(const void* data, std::size_t n) noexcept {
        const auto* p = static_cast<const unsigned char*>(data);
        for (; n > 0 && pending_ > 0; --n) push(*p++);
        for (; n >= 8; n -= 8, p += 8) {
            std::uint64_t w = 0;
            for (int i = 0; i < 8; ++i) w |= static_cast<std::uint64_t>(p[i]) << (8 * i);
            mix(w);
        }
        for (; n > 0; --n) push(*p++);
    }

    /// The checksum of the bytes so far (does not change the state).
    [[nodiscard]] std::uint64_t value() const noexcept {
        std::uint64_t h = h_;
        for (unsigned i = 0; i < pending_; ++i) h = (h ^ ((word_ >> (8 * i)) & 0xFFu)) * kPrime;
        return (h ^ (h >> 29)) * 0xBF58476D1CE4E5B9ULL;
    }

private:
    static constexpr std::uint64_t kPrime = 0x100000001B3ULL;

    void push(unsigned char byte) noexcept {
        word_ |= static_cast<std::uint64_t>(byte) << (8 * pending_);
        if (++pending_ == 8) {
            mix(word_);
            word_ = 0;
            pending_ = 0;
        }
    }

    void mix(std::uint64_t w) noexcept {
        h_ = (h_ ^ w) * kPrime;
        h_ ^= h_ >> 32;
    }

    std::uint64_t h_ = 0xCBF29CE484222325ULL;
    std::uint64_t word_ = 0;  // pending bytes, little-endian
    unsigned pending_ = 0;
};

/// Writes little-endian values to a stream and checksums them. Stream errors are not checked
/// here: the caller's AtomicFileWriter::commit() reports them.
class BinaryWriter {
public:
    explicit BinaryWriter(std::ostream& out) : out_(out) {}

    void bytes(const void* data, std::size_t n) {
        checksum_.update(data, n);
        out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
    }

    template <class T>
    void value(T v) {
        static_assert(std::is_arithmetic_v<T>, "BinaryWriter::value needs an arithmetic type");
        unsigned char b[sizeof(T)];
        std::memcpy(b, &v, sizeof(T));
        if constexpr (!kBinaryHostLittleEndian) std::reverse(b, b + sizeof(T));
        bytes(b, sizeof(T));
    }

    /// n values of type T from `data`, converted to `File` (e.g. double rows stored as float).
    template <class File, class T>
    void values(const T* data, std::size_t n) {
        if constexpr (std::is_same_v<File, T> && kBinaryHostLittleEndian) {
            bytes(data, n * sizeof(T));
        } else {
            buffer_.resize(std::min<std::size_t>(n, kChunk) * sizeof(File));
            while (n > 0) {
                const std::size_t take = std::min(n, kChunk);
                for (std::size_t i = 0; i < take; ++i) {
                    const File v = static_cast<File>(data[i]);
                    unsigned char* b = buffer_.data() + i * sizeof(File);
                    std::memcpy(b, &v, sizeof(File));
                    if constexpr (!kBinaryHostLittleEndian) std::reverse(b, b + sizeof(File));
                }
                bytes(buffer_.data(), take * sizeof(File));
                data += take;
                n -= take;
            }
        }
    }

    /// The checksum of everything written so far.
    [[nodiscard]] std::uint64_t checksum() const noexcept { return checksum_.value(); }

private:
    static constexpr std::size_t kChunk = 1 << 14;
    std::ostream& out_;
    Checksum64 checksum_;
    std::vector<unsigned char> buffer_;
};

/// Reads little-endian values from a stream, checksums them and counts the bytes. A short read
/// throws io_error "source: at byte N: truncated file (what)".
class BinaryReader {
public:
    BinaryReader(std::istream& in, std::string source) : in_(in), source_(std::move(source)) {}

    void bytes(void* data, std::size_t n, const char* what) {
        in_.read(static_cast<char*>(data), static_cast<std::streamsize>(n));
        const auto got = static_cast<std::size_t>(in_.gcount());
        if (got != n) {
            if (in_.bad()) fail(std::string("read error while reading ") + what);
            offset_ += got;
            fail(std::string("truncated file: it ends inside ") + what);
        }
        checksum_.update(data, n);
        offset_ += n;
    }

    template <class T>
    [[nodiscard]] T value(const char* what) {
        static_assert(std::is_arithmetic_v<T>, "BinaryReader::value needs an arithmetic type");
        unsigned char b[sizeof(T)];
        bytes(b, sizeof(T), what);
        if constexpr (!kBinaryHostLittleEndian) std::reverse(b, b + sizeof(T));
        T v;
        std::memcpy(&v, b, sizeof(T));
        return v;
    }

    /// n values stored as `File` in the file, converted to T into `out`.
    template <class File, class T>
    void values(T* out, std::size_t n, const char* what) {
        if constexpr (std::is_same_v<File, T> && kBinaryHostLittleEndian) {
            bytes(out, n * sizeof(T), what);
        } else {
            buffer_.resize(std::min<std::size_t>(n, kChunk) * sizeof(File));
            while (n > 0) {
                const std::size_t take = std::min(n, kChunk);
                bytes(buffer_.data(), take * sizeof(File), what);
                for (std::size_t i = 0; i < take; ++i) {
                    unsigned char* b = buffer_.data() + i * sizeof(File);
                    if constexpr (!kBinaryHostLittleEndian) std::reverse(b, b + sizeof(File));
                    File v;
                    std::memcpy(&v, b, sizeof(File));
                    out[i] = static_cast<T>(v);
                }
                out += take;
                n -= take;
            }
        }
    }

    /// Bytes up to (not including) the next '\0', which is consumed; at most `max_bytes`.
    [[nodiscard]] std::string zstring(std::size_t max_bytes, const char* what) {
        std::string s;
        for (;;) {
            const int c = in_.get();
            if (c == std::char_traits<char>::eof()) {
                if (in_.bad()) fail(std::string("read error while reading ") + what);
                fail(std::string("truncated file: it ends inside ") + what);
            }
            const char ch = static_cast<char>(c);
            checksum_.update(&ch, 1);
            ++offset_;
            if (ch == '\0') return s;
            if (s.size() >= max_bytes) fail(std::string(what) + " is longer than " + std::to_string(max_bytes) + " bytes");
            s += ch;
        }
    }

    /// True when no byte is left (consumes nothing).
    [[nodiscard]] bool at_end() {
        return in_.peek() == std::char_traits<char>::eof();
    }

    /// Throws io_error "source: at byte <offset>: what".
    [[noreturn]] void fail(const std::string& what) const {
        throw io_error(source_, "at byte " + std::to_string(offset_) + ": " + what);
    }

    [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
    [[nodiscard]] std::uint64_t checksum() const noexcept { return checksum_.value(); }
    [[nodiscard]] const std::string& source() const noexcept { return source_; }
    [[nodiscard]] std::istream& stream() noexcept { return in_; }

private:
    static constexpr std::size_t kChunk = 1 << 14;
    std::istream& in_;
    std::string source_;
    Checksum64 checksum_;
    std::uint64_t offset_ = 0;
    std::vector<unsigned char> buffer_;
};

/// Reads a rows x cols matrix stored as `File` values into `m`. `remaining` (the file's size,
/// when known) is checked first, so a lying shape fails as a truncated file before any allocation.
template <class File, class Scalar>
void read_model_matrix(BinaryReader& in, RowMatrix<Scalar>& m, std::int64_t rows, std::int64_t cols,
                       const std::optional<std::uint64_t>& remaining, const char* what) {
    const auto bytes = static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(cols) * sizeof(File);
    if (remaining && in.offset() + bytes > *remaining) {
        in.fail(std::string("truncated file: ") + what + " needs " + std::to_string(bytes) + " bytes, " +
                std::to_string(*remaining - std::min(*remaining, in.offset())) + " are left");
    }
    m.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    in.values<File>(m.data(), static_cast<std::size_t>(m.size()), what);
}

}  // namespace embedkit::detail
