#pragma once

// Helpers shared by the text-pipeline tests: a unique temporary directory, and a stream that
// generates a long single line of random words on the fly (so a test can feed the tokenizer tens
// of megabytes without holding them) while recording how much the reader asks for per read.

#include <embedkit/detail/rng.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

namespace embedkit_test {

/// A fresh directory under the system temp directory, removed with everything in it.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "embedkit_text_XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    /// Number of entries in the directory (to check that no temporary file is left behind).
    [[nodiscard]] std::size_t entries() const {
        return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(path_),
                                                      std::filesystem::directory_iterator()));
    }

private:
    std::filesystem::path path_;
};

inline void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
}

/// FNV-1a over a sequence of tokens (a 0xFF byte between tokens, 0xFE between sentences).
class TokenHash {
public:
    void token(std::string_view t) {
        for (const char c : t) byte(static_cast<unsigned char>(c));
        byte(0xFF);
    }
    void sentence_end() { byte(0xFE); }
    [[nodiscard]] std::uint64_t value() const { return h_; }

private:
    void byte(unsigned char b) {
        h_ ^= b;
        h_ *= 0x100000001b3ULL;
    }
    std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

/// One line of random lower-case words separated by runs of spaces and tabs, no newline, about
/// `target_bytes` long, generated as it is read. Knows how many words it produced and their hash.
class GeneratedLine : public std::streambuf {
public:
    GeneratedLine(std::uint64_t seed, std::size_t target_bytes) : rng_(seed), target_(target_bytes) {
        buffer_.resize(1 << 12);
    }

    [[nodiscard]] std::size_t words() const { return words_; }
    [[nodiscard]] std::uint64_t hash() const { return hash_.value(); }
    [[nodiscard]] std::size_t bytes() const { return produced_; }
    /// The largest number of bytes asked for in one read (istream::read -> sgetn -> xsgetn).
    [[nodiscard]] std::streamsize max_request() const { return max_request_; }

protected:
    std::streamsize xsgetn(char* s, std::streamsize n) override {
        max_request_ = std::max(max_request_, n);
        return std::streambuf::xsgetn(s, n);
    }

    int_type underflow() override {
        if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
        if (produced_ >= target_) return traits_type::eof();
        std::size_t n = 0;
        while (n + 32 < buffer_.size() && produced_ + n < target_) {
            // One draw gives the length (1..12) and up to 12 letters (5 bits each, 60 bits).
            std::uint64_t r = rng_.next();
            const std::size_t len = 1 + static_cast<std::size_t>(r % 12);
            r /= 12;
            char* const word = buffer_.data() + n;
            for (std::size_t i = 0; i < len; ++i, r >>= 5) word[i] = static_cast<char>('a' + (r & 31) % 26);
            hash_.token(std::string_view(word, len));
            ++words_;
            n += len;
            const std::size_t gap = rng_.below(8) == 0 ? 2 : 1;
            for (std::size_t g = 0; g < gap; ++g) buffer_[n++] = rng_.below(5) == 0 ? '\t' : ' ';
        }
        produced_ += n;
        setg(buffer_.data(), buffer_.data(), buffer_.data() + n);
        return traits_type::to_int_type(*gptr());
    }

private:
    embedkit::detail::Rng rng_;
    std::size_t target_;
    std::size_t produced_ = 0;
    std::size_t words_ = 0;
    TokenHash hash_;
    std::vector<char> buffer_;
    std::streamsize max_request_ = 0;
};

/// `count` distinct tokens of 14 lower-case letters, separated by spaces, 1000 to a line,
/// generated as they are read. Token i spells a bijective 64-bit mix of (seed + i) in base 26
/// (26^14 > 2^64), so no two tokens are equal, and they come in no particular order.
class DistinctTokens : public std::streambuf {
public:
    static constexpr std::size_t kTokenBytes = 14;

    DistinctTokens(std::uint64_t seed, std::size_t count) : seed_(seed), count_(count) { buffer_.resize(1 << 16); }

protected:
    int_type underflow() override {
        if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
        if (next_ == count_) return traits_type::eof();
        std::size_t n = 0;
        while (n + kTokenBytes + 1 <= buffer_.size() && next_ < count_) {
            std::uint64_t x = mix(seed_ + next_);
            for (std::size_t i = 0; i < kTokenBytes; ++i, x /= 26) buffer_[n++] = static_cast<char>('a' + x % 26);
            ++next_;
            buffer_[n++] = next_ % 1000 == 0 ? '\n' : ' ';
        }
        setg(buffer_.data(), buffer_.data(), buffer_.data() + n);
        return traits_type::to_int_type(*gptr());
    }

private:
    // splitmix64's finaliser: a bijection of 64-bit integers.
    static std::uint64_t mix(std::uint64_t z) {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    std::uint64_t seed_;
    std::size_t count_;
    std::size_t next_ = 0;
    std::vector<char> buffer_;
};

}  // namespace embedkit_test
