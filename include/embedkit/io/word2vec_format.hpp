#pragma once

// word2vec vector files: the text format (also fastText's .vec) and the binary format of
// word2vec.c and gensim. See docs/io.md for the policies on malformed files.

#include "embedkit/core/word_vectors.hpp"
#include "embedkit/detail/atomic_file.hpp"
#include "embedkit/detail/chunk_reader.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <istream>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace embedkit {

/// Layout of a word2vec vector file.
enum class VectorFormat {
    /// Reading: detect from the first record (see `detect_vector_format`).
    /// Writing: binary when the path ends in ".bin", text otherwise (and text for streams).
    automatic,
    /// Header line "count dim", then one line "word v1 ... vd" per word (also fastText's .vec).
    text,
    /// Header line "count dim\n", then per word: its bytes, a space, dim little-endian float32.
    binary,
};

/// How to read a vector file.
struct ReadVectorsOptions {
    /// Read only the first `limit` vectors (files are usually sorted by frequency); 0 reads all.
    std::size_t limit = 0;
    VectorFormat format = VectorFormat::automatic;
};

/// Largest dimension a vector file may declare; a larger one is taken for a corrupt header.
inline constexpr std::int64_t kMaxVectorDim = 1'000'000;

/// Throws invalid_options naming the field if `options` is unusable.
inline void validate(const ReadVectorsOptions& options) {
    switch (options.format) {
        case VectorFormat::automatic:
        case VectorFormat::text:
        case VectorFormat::binary:
            return;
    }
    throw invalid_options("ReadVectorsOptions::format: unknown value " +
                          std::to_string(static_cast<int>(options.format)));
}

namespace detail {

#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
inline constexpr bool kHostBigEndian = true;
#else
inline constexpr bool kHostBigEndian = false;
#endif

/// Longest word a binary record may hold before the file is taken for corrupt.
inline constexpr std::size_t kMaxWordBytes = std::size_t{1} << 16;

/// Longest text line accepted for vectors of dimension `dim`.
[[nodiscard]] constexpr std::size_t max_text_line(std::int64_t dim) noexcept {
    return kMaxWordBytes + 64 * static_cast<std::size_t>(dim);
}

[[nodiscard]] constexpr bool is_field_separator(char c) noexcept { return c == ' ' || c == '\t'; }

[[nodiscard]] constexpr bool is_ascii_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/// `s` quoted for an error message: control bytes escaped, long text cut with "...".
[[nodiscard]] inline std::string excerpt(std::string_view s, std::size_t max_bytes = 60) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "'";
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i == max_bytes) {
            out += "...";
            break;
        }
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '\'';
    return out;
}

[[nodiscard]] inline std::uint32_t byte_swap32(std::uint32_t v) noexcept {
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

[[nodiscard]] inline std::uint32_t load_u32_le(const char* p) noexcept {
    std::uint32_t v = 0;
    std::memcpy(&v, p, 4);
    if constexpr (kHostBigEndian) v = byte_swap32(v);
    return v;
}

inline void store_f32_le(float value, char* p) noexcept {
    std::uint32_t v = 0;
    std::memcpy(&v, &value, 4);
    if constexpr (kHostBigEndian) v = byte_swap32(v);
    std::memcpy(p, &v, 4);
}

enum class RealStatus { ok, not_number, not_finite, out_of_range };

/// Parses a decimal number at the start of [first, last) with std::from_chars, also accepting a
/// leading '+'. Magnitudes too small for `S` become the nearest `S` (a subnormal or zero);
/// too large ones are out_of_range; NaN and Inf are not_finite. `stop` is where parsing ended.
template <class S>
RealStatus parse_real(const char* first, const char* last, S& value, const char*& stop) {
    const char* p = first;
    if (p != last && *p == '+' && (p + 1 == last || p[1] != '-')) ++p;
    auto [ptr, ec] = std::from_chars(p, last, value);
    if (ec == std::errc::result_out_of_range) {
        // Rare: decide between underflow (keep the nearest value) and overflow (reject).
        long double wide = 0;
        const auto retry = std::from_chars(p, last, wide);
        if (retry.ec != std::errc() || !std::isfinite(wide) ||
            std::fabs(wide) > static_cast<long double>(std::numeric_limits<S>::max())) {
            stop = retry.ec == std::errc() ? retry.ptr : ptr;
            return RealStatus::out_of_range;
        }
        value = static_cast<S>(wide);
        ptr = retry.ptr;
    } else if (ec != std::errc()) {
        stop = first;
        return RealStatus::not_number;
    }
    stop = ptr;
    return std::isfinite(value) ? RealStatus::ok : RealStatus::not_finite;
}

[[nodiscard]] inline const char* scalar_name(std::size_t bytes) noexcept {
    return bytes == sizeof(float) ? "float" : bytes == sizeof(double) ? "double" : "long double";
}

/// Parses one text record "word v1 ... vd" (fields separated by spaces or tabs; a trailing '\r'
/// and trailing separators are allowed). Writes the values to `out[0, dim)`. On failure returns
/// false and, if `error` is not null, describes the problem there.
template <class S>
bool parse_text_record(std::string_view line, std::int64_t dim, S* out, std::string_view& word,
                       std::string* error) {
    const char* p = line.data();
    const char* end = p + line.size();
    if (p != end && end[-1] == '\r') --end;
    const char* word_begin = p;
    while (p != end && !is_field_separator(*p)) ++p;
    word = std::string_view(word_begin, static_cast<std::size_t>(p - word_begin));
    if (word.empty()) {
        if (error) {
            bool blank = true;
            for (const char* q = p; q != end; ++q) blank = blank && is_field_separator(*q);
            *error = blank ? "empty line where a word and " + std::to_string(dim) + " values were expected"
                           : std::string("the line starts with a space or tab; expected a word first");
        }
        return false;
    }
    std::int64_t count = 0;
    for (;;) {
        while (p != end && is_field_separator(*p)) ++p;
        if (p == end) break;
        const char* token = p;
        if (count == dim) {
            if (error) {
                std::int64_t found = count;
                for (const char* q = p; q != end;) {
                    ++found;
                    while (q != end && !is_field_separator(*q)) ++q;
                    while (q != end && is_field_separator(*q)) ++q;
                }
                *error = "word " + excerpt(word) + " has " + std::to_string(found) + " values, expected " +
                         std::to_string(dim) + " (the header's dimension)";
            }
            return false;
        }
        const char* stop = p;
        RealStatus status = parse_real(p, end, out[count], stop);
        if (status != RealStatus::not_number && stop != end && !is_field_separator(*stop)) {
            status = RealStatus::not_number;
        }
        if (status != RealStatus::ok) {
            if (error) {
                const char* token_end = token;
                while (token_end != end && !is_field_separator(*token_end)) ++token_end;
                const std::string value = excerpt(std::string_view(token, static_cast<std::size_t>(token_end - token)));
                const std::string where = "value " + std::to_string(count + 1) + " of word " + excerpt(word);
                switch (status) {
                    case RealStatus::not_finite:
                        *error = where + " is " + value + ": NaN and infinite values are not accepted";
                        break;
                    case RealStatus::out_of_range:
                        *error = where + ", " + value + ", is out of range for " + scalar_name(sizeof(S));
                        break;
                    default:
                        *error = where + " is not a number: " + value;
                        break;
                }
            }
            return false;
        }
        p = stop;
        ++count;
    }
    if (count != dim) {
        if (error) {
            *error = "word " + excerpt(word) + " has " + std::to_string(count) + " values, expected " +
                     std::to_string(dim) + " (the header's dimension)";
        }
        return false;
    }
    return true;
}

/// The "count dim" first line of a vector file.
struct VectorFileHeader {
    std::int64_t count = 0;
    std::int64_t dim = 0;
};

/// Reads and checks the header line; throws io_error naming `source` and line 1.
inline VectorFileHeader read_vector_file_header(ChunkReader& reader, const std::string& source) {
    constexpr std::size_t kMaxHeader = 4096;
    if (reader.fill(3) >= 3 && reader.buffered().substr(0, 3) == "\xEF\xBB\xBF") reader.consume(3);  // UTF-8 BOM
    const ChunkReader::Line line = reader.next_line(kMaxHeader);
    const std::string expected = "; expected a header line 'count dim'";
    if (line.status == ChunkReader::Line::Status::end) throw io_error(source, 1, "the file is empty" + expected);
    if (line.status == ChunkReader::Line::Status::too_long) {
        throw io_error(source, 1, "no line break in the first " + std::to_string(kMaxHeader) + " bytes" + expected);
    }
    std::int64_t values[2] = {0, 0};
    int found = 0;
    bool numeric = true;
    const char* p = line.text.data();
    const char* end = p + line.text.size();
    if (p != end && end[-1] == '\r') --end;
    for (;;) {
        while (p != end && is_field_separator(*p)) ++p;
        if (p == end) break;
        if (found == 2) {
            numeric = false;
            break;
        }
        long long v = 0;
        const auto [ptr, ec] = std::from_chars(p, end, v);
        if (ec == std::errc::result_out_of_range) {
            throw io_error(source, 1, "header number " + excerpt(std::string_view(p, static_cast<std::size_t>(ptr - p))) +
                                          " is out of range");
        }
        if (ec != std::errc() || (ptr != end && !is_field_separator(*ptr))) {
            numeric = false;
            break;
        }
        values[found++] = v;
        p = ptr;
    }
    if (!numeric || found != 2) {
        throw io_error(source, 1, "the header must be two integers 'count dim', got " + excerpt(line.text));
    }
    const VectorFileHeader header{values[0], values[1]};
    if (header.count <= 0) {
        throw io_error(source, 1, "the header's word count must be positive, got " + std::to_string(header.count));
    }
    if (header.count > std::numeric_limits<TokenId>::max()) {
        throw io_error(source, 1, "the header's word count " + std::to_string(header.count) + " exceeds the maximum " +
                                      std::to_string(std::numeric_limits<TokenId>::max()));
    }
    if (header.dim <= 0) {
        throw io_error(source, 1, "the header's dimension must be positive, got " + std::to_string(header.dim));
    }
    if (header.dim > kMaxVectorDim) {
        throw io_error(source, 1, "the header's dimension " + std::to_string(header.dim) + " exceeds the maximum " +
                                      std::to_string(kMaxVectorDim) + " (corrupt header?)");
    }
    return header;
}

/// True if `bytes` could come from a text file: printable ASCII, tab, CR, LF and well-formed
/// UTF-8 sequences (a sequence cut off by the end of `bytes` counts as well-formed).
[[nodiscard]] inline bool looks_like_text(std::string_view bytes) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* end = p + bytes.size();
    while (p != end) {
        const unsigned char c = *p++;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return false;
            continue;
        }
        int continuation = 0;
        if (c >= 0xc2 && c <= 0xdf) {
            continuation = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            continuation = 2;
        } else if (c >= 0xf0 && c <= 0xf4) {
            continuation = 3;
        } else {
            return false;
        }
        for (; continuation > 0 && p != end; --continuation, ++p) {
            if ((*p & 0xc0) != 0x80) return false;
        }
    }
    return true;
}

/// Decides text or binary from the bytes after the header (not consumed); see detect_vector_format.
inline VectorFormat sniff_vector_format(ChunkReader& reader, const VectorFileHeader& header) {
    const std::int64_t dim = header.dim;
    const auto value_bytes = 4 * static_cast<std::size_t>(dim);
    // Rule 1: the first line is a well-formed text record.
    const ChunkReader::Line line = reader.peek_line(max_text_line(dim));
    if (line.status == ChunkReader::Line::Status::end) return VectorFormat::text;
    if (line.status == ChunkReader::Line::Status::ok) {
        std::vector<double> scratch(static_cast<std::size_t>(dim));
        std::string_view word;
        if (parse_text_record(line.text, dim, scratch.data(), word, nullptr)) return VectorFormat::text;
    }
    // Rule 2: a malformed text record? Walk the bytes as if they were binary records and look
    // at the bytes where the floats would be: a text file has only text there.
    const std::size_t wanted_bytes = std::max(ChunkReader::kDefaultChunk, kMaxWordBytes + 2 + value_bytes);
    reader.fill(wanted_bytes);
    const std::string_view bytes = reader.buffered();
    const bool whole_file = reader.exhausted();
    constexpr std::size_t kEnough = 16;  // value bytes that must all be text to say "text"
    std::size_t seen = 0;
    bool cut_short = false;  // the file ends inside a would-be binary record
    std::int64_t records = 0;
    for (std::size_t pos = 0; seen < kEnough; ++records) {
        while (pos < bytes.size() && bytes[pos] == '\n') ++pos;
        if (pos == bytes.size()) {
            cut_short = whole_file && records < header.count;  // too few for a binary file
            break;
        }
        const std::size_t space = bytes.find(' ', pos);
        if (space == std::string_view::npos || space - pos > kMaxWordBytes) {
            if (!whole_file || space != std::string_view::npos || !looks_like_text(bytes.substr(pos))) {
                return VectorFormat::binary;
            }
            cut_short = true;
            break;
        }
        const std::string_view region = bytes.substr(space + 1, value_bytes);
        if (!looks_like_text(region)) return VectorFormat::binary;
        seen += region.size();
        if (region.size() < value_bytes) {
            if (!whole_file) return VectorFormat::binary;
            cut_short = true;
            break;
        }
        pos = space + 1 + value_bytes;
    }
    if (seen >= kEnough || cut_short) return VectorFormat::text;
    return VectorFormat::binary;
}

/// Open-addressing set of the words read so far, to report a duplicate with both positions.
/// Stores hashes and indices only; the words themselves stay in the caller's vector.
class WordPositions {
public:
    explicit WordPositions(std::size_t expected) {
        std::size_t capacity = 64;
        while (capacity < 2 * expected) capacity *= 2;
        slots_.assign(capacity, Slot{});
    }

    /// If `word` equals an earlier word returns that word's index; otherwise records `word` as
    /// `index` (it must become `words[index]`) and returns nullopt.
    std::optional<std::size_t> insert(std::string_view word, std::size_t index, const std::vector<std::string>& words) {
        if (2 * (size_ + 1) > slots_.size()) grow();
        const std::size_t hash = std::hash<std::string_view>{}(word);
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
            Slot& slot = slots_[i];
            if (slot.index == kEmpty) {
                slot = Slot{hash, static_cast<std::uint32_t>(index)};
                ++size_;
                return std::nullopt;
            }
            if (slot.hash == hash && words[slot.index] == word) return slot.index;
        }
    }

private:
    static constexpr std::uint32_t kEmpty = std::numeric_limits<std::uint32_t>::max();
    struct Slot {
        std::size_t hash = 0;
        std::uint32_t index = kEmpty;
    };

    void grow() {
        std::vector<Slot> old(slots_.size() * 2, Slot{});
        old.swap(slots_);
        const std::size_t mask = slots_.size() - 1;
        for (const Slot& slot : old) {
            if (slot.index == kEmpty) continue;
            std::size_t i = slot.hash & mask;
            while (slots_[i].index != kEmpty) i = (i + 1) & mask;
            slots_[i] = slot;
        }
    }

    std::vector<Slot> slots_;
    std::size_t size_ = 0;
};

/// Rows of a matrix filled one at a time. The first allocation is what the caller can justify
/// (never a lying header's count); later ones double, up to `max_rows`.
template <class S>
class RowSink {
public:
    RowSink(std::int64_t dim, std::int64_t initial_rows, std::int64_t max_rows)
        : dim_(dim), max_rows_(max_rows), matrix_(std::max<std::int64_t>(initial_rows, 1), dim) {}

    /// Storage for the next row; it counts once `commit()` is called.
    S* next() {
        if (rows_ == matrix_.rows()) {
            const std::int64_t grown = std::min(max_rows_, std::max<std::int64_t>(2 * rows_, 1024));
            matrix_.conservativeResize(grown, dim_);  // row-major, same width: one realloc
        }
        return matrix_.data() + rows_ * dim_;
    }
    void commit() noexcept { ++rows_; }

    RowMatrix<S> take() {
        if (matrix_.rows() != rows_) matrix_.conservativeResize(rows_, dim_);
        return std::move(matrix_);
    }

private:
    std::int64_t dim_;
    std::int64_t max_rows_;
    std::int64_t rows_ = 0;
    RowMatrix<S> matrix_;
};

template <class S>
WordVectors<S> read_text_records(ChunkReader& reader, const std::string& source, const VectorFileHeader& header,
                                 std::int64_t wanted, RowSink<S>& sink, std::vector<std::string>& words,
                                 WordPositions& seen) {
    const std::size_t max_line = max_text_line(header.dim);
    std::uint64_t line_number = 1;
    std::string error;
    for (std::int64_t r = 0; r < wanted; ++r) {
        ++line_number;
        const ChunkReader::Line line = reader.next_line(max_line);
        if (line.status == ChunkReader::Line::Status::end) {
            throw io_error(source, line_number,
                           "the file ends after " + std::to_string(r) + " of the " + std::to_string(header.count) +
                               " vectors its header announces");
        }
        if (line.status == ChunkReader::Line::Status::too_long) {
            throw io_error(source, line_number,
                           "line longer than " + std::to_string(max_line) + " bytes (not a text vector file?)");
        }
        std::string_view word;
        if (!parse_text_record(line.text, header.dim, sink.next(), word, &error)) {
            throw io_error(source, line_number, error);
        }
        if (const auto first = seen.insert(word, words.size(), words)) {
            throw io_error(source, line_number,
                           "duplicate word " + excerpt(word) + " (first on line " + std::to_string(*first + 2) + ")");
        }
        words.emplace_back(word);
        sink.commit();
    }
    if (wanted == header.count) {
        // Reading everything: whatever follows must be blank.
        for (;;) {
            ++line_number;
            const ChunkReader::Line line = reader.next_line(max_line);
            if (line.status == ChunkReader::Line::Status::end) break;
            bool blank = line.status == ChunkReader::Line::Status::ok;
            for (const char c : line.text) blank = blank && is_ascii_space(c);
            if (!blank) {
                throw io_error(source, line_number,
                               "more vectors than the " + std::to_string(header.count) +
                                   " the header announces (wrong count in the header?)");
            }
        }
    }
    return WordVectors<S>(std::move(words), sink.take());
}

template <class S>
WordVectors<S> read_binary_records(ChunkReader& reader, const std::string& source, const VectorFileHeader& header,
                                   std::int64_t wanted, RowSink<S>& sink, std::vector<std::string>& words,
                                   WordPositions& seen) {
    const auto dim = static_cast<std::size_t>(header.dim);
    const std::size_t value_bytes = 4 * dim;
    for (std::int64_t r = 0; r < wanted; ++r) {
        const auto record = static_cast<std::uint64_t>(r + 1);
        const auto at = [record] { return "record " + std::to_string(record) + ": "; };  // only on errors
        // word2vec.c ends each record with '\n', gensim does not: skip any before the word.
        for (;;) {
            if (reader.fill(1) == 0) {
                throw io_error(source, record,
                               at() + "the file ends after " + std::to_string(r) + " of the " +
                                   std::to_string(header.count) + " records its header announces");
            }
            if (reader.buffered().front() != '\n') break;
            reader.consume(1);
        }
        std::size_t space = std::string_view::npos;
        for (std::size_t scanned = 0;;) {
            const std::string_view bytes = reader.buffered();
            space = bytes.find(' ', scanned);
            if (space != std::string_view::npos || bytes.size() > kMaxWordBytes) break;
            scanned = bytes.size();
            if (reader.fill(bytes.size() + 4096) == bytes.size()) break;  // end of file
        }
        const std::string_view bytes = reader.buffered();
        if (space == std::string_view::npos) {
            if (bytes.size() > kMaxWordBytes) {
                throw io_error(source, record,
                               at() + "no space within " + std::to_string(kMaxWordBytes) +
                                   " bytes: not a binary word2vec record (corrupt file?)");
            }
            throw io_error(source, record, at() + "the file ends inside the word " + excerpt(bytes) + " (truncated)");
        }
        const std::string_view word = bytes.substr(0, space);
        if (word.empty()) throw io_error(source, record, at() + "empty word (a space where the word should start)");
        if (word.find('\n') != std::string_view::npos) {
            throw io_error(source, record, at() + "the word " + excerpt(word) + " contains a line break (corrupt file?)");
        }
        if (const auto first = seen.insert(word, words.size(), words)) {
            throw io_error(source, record,
                           at() + "duplicate word " + excerpt(word) + " (first in record " + std::to_string(*first + 1) +
                               ")");
        }
        words.emplace_back(word);  // copies before the buffer moves
        reader.consume(space + 1);
        const std::size_t got = reader.fill(value_bytes);
        if (got < value_bytes) {
            throw io_error(source, record,
                           at() + "truncated: the word " + excerpt(words.back()) + " has " + std::to_string(got) +
                               " bytes of values, expected " + std::to_string(value_bytes) + " (" +
                               std::to_string(dim) + " float32)");
        }
        const char* values = reader.buffered().data();
        for (std::size_t j = 0; j < dim; ++j) {
            if ((load_u32_le(values + 4 * j) & 0x7f800000u) == 0x7f800000u) {
                throw io_error(source, record,
                               at() + "value " + std::to_string(j + 1) + " of word " + excerpt(words.back()) +
                                   " is NaN or infinite: such values are not accepted");
            }
        }
        S* row = sink.next();
        if constexpr (std::is_same_v<S, float> && !kHostBigEndian) {
            std::memcpy(row, values, value_bytes);
        } else {
            for (std::size_t j = 0; j < dim; ++j) {
                const std::uint32_t bits = load_u32_le(values + 4 * j);
                float value = 0;
                std::memcpy(&value, &bits, 4);
                row[j] = static_cast<S>(value);
            }
        }
        sink.commit();
        reader.consume(value_bytes);
    }
    if (wanted == header.count) {
        // Reading everything: only whitespace may follow the last record.
        const auto next = static_cast<std::uint64_t>(header.count) + 1;
        while (reader.fill(1) > 0) {
            if (!is_ascii_space(reader.buffered().front())) {
                throw io_error(source, next,
                               "record " + std::to_string(next) + ": more records than the " +
                                   std::to_string(header.count) + " the header announces (wrong count in the header?)");
            }
            reader.consume(1);
        }
    }
    return WordVectors<S>(std::move(words), sink.take());
}

[[nodiscard]] inline bool has_bin_extension(const std::string& path) {
    return path.size() >= 4 && path.compare(path.size() - 4, 4, ".bin") == 0;
}

inline std::ifstream open_for_reading(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw io_error(path, "is a directory, not a vector file");
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int saved = errno;
        throw io_error(path, std::string("cannot open for reading: ") +
                                 (saved != 0 ? std::strerror(saved) : "unknown error"));
    }
    return in;
}

/// Buffered output: values are formatted into a large block that goes to the stream in one write.
/// The block starts small and doubles up to kBlock, so small files never touch a large buffer.
class BlockWriter {
public:
    explicit BlockWriter(std::ostream& out) : out_(out), block_(kFirstBlock) {}

    /// Room for at least `n` more bytes.
    char* reserve(std::size_t n) {
        if (used_ + n > block_.size()) {
            if (block_.size() < kBlock) block_.resize(std::max(used_ + n, std::min(kBlock, 2 * block_.size())));
            if (used_ + n > block_.size()) flush();
            if (n > block_.size()) block_.resize(n);
        }
        return block_.data() + used_;
    }
    void advance(std::size_t n) noexcept { used_ += n; }
    void append(std::string_view s) {
        std::memcpy(reserve(s.size()), s.data(), s.size());
        used_ += s.size();
    }
    void put(char c) {
        *reserve(1) = c;
        ++used_;
    }
    void flush() {
        if (used_ > 0) out_.write(block_.data(), static_cast<std::streamsize>(used_));
        used_ = 0;
    }

private:
    static constexpr std::size_t kBlock = std::size_t{1} << 20;
    static constexpr std::size_t kFirstBlock = std::size_t{1} << 13;
    std::ostream& out_;
    std::vector<char> block_;
    std::size_t used_ = 0;
};

/// Throws invalid_argument unless `vectors` can be written and read back.
template <class S>
void check_writable(const WordVectors<S>& vectors) {
    if (vectors.empty() || vectors.dim() == 0) {
        throw invalid_argument("write_word2vec: the word2vec format cannot hold an empty set of vectors (" +
                               std::to_string(vectors.size()) + " words of dimension " +
                               std::to_string(vectors.dim()) + ")");
    }
    if (vectors.dim() > kMaxVectorDim) {
        throw invalid_argument("write_word2vec: dimension " + std::to_string(vectors.dim()) + " exceeds the maximum " +
                               std::to_string(kMaxVectorDim));
    }
    for (const std::string& word : vectors.words()) {
        if (word.empty()) throw invalid_argument("write_word2vec: the empty word cannot be written");
        for (const char c : word) {
            if (is_ascii_space(c)) {
                throw invalid_argument("write_word2vec: the word " + excerpt(word) +
                                       " contains whitespace, which the word2vec format cannot represent");
            }
        }
    }
}

template <class S>
[[noreturn]] void throw_unwritable_value(const WordVectors<S>& vectors, Eigen::Index row, Eigen::Index col,
                                         const char* why) {
    throw invalid_argument("write_word2vec: value " + std::to_string(col + 1) + " of word " +
                           excerpt(vectors.words()[static_cast<std::size_t>(row)]) + " " + why);
}

template <class S>
void write_text_records(BlockWriter& out, const WordVectors<S>& vectors) {
    const RowMatrix<S>& m = vectors.matrix();
    constexpr std::size_t kMaxNumber = 64;
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
        out.append(vectors.words()[static_cast<std::size_t>(i)]);
        const S* row = m.data() + i * m.cols();
        for (Eigen::Index j = 0; j < m.cols(); ++j) {
            if (!std::isfinite(row[j])) throw_unwritable_value(vectors, i, j, "is NaN or infinite");
            char* p = out.reserve(kMaxNumber + 1);
            *p = ' ';
            const auto result = std::to_chars(p + 1, p + kMaxNumber + 1, row[j]);  // shortest round trip
            out.advance(static_cast<std::size_t>(result.ptr - p));
        }
        out.put('\n');
    }
}

template <class S>
void write_binary_records(BlockWriter& out, const WordVectors<S>& vectors) {
    const RowMatrix<S>& m = vectors.matrix();
    const auto value_bytes = static_cast<std::size_t>(4 * m.cols());
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
        out.append(vectors.words()[static_cast<std::size_t>(i)]);
        out.put(' ');
        char* p = out.reserve(value_bytes);
        const S* row = m.data() + i * m.cols();
        for (Eigen::Index j = 0; j < m.cols(); ++j) {
            if (!std::isfinite(row[j])) throw_unwritable_value(vectors, i, j, "is NaN or infinite");
            const auto value = static_cast<float>(row[j]);
            if (!std::isfinite(value)) throw_unwritable_value(vectors, i, j, "is too large for float32");
            store_f32_le(value, p + 4 * j);
        }
        out.advance(value_bytes);
        out.put('\n');  // as word2vec.c does; gensim and we read files with or without it
    }
}

/// The header and the records, in `format` (automatic means text); stream errors are the caller's to check.
template <class S>
void write_vector_file(std::ostream& out, const WordVectors<S>& vectors, VectorFormat format) {
    BlockWriter writer(out);
    writer.append(std::to_string(vectors.size()) + " " + std::to_string(vectors.dim()) + "\n");
    if (format == VectorFormat::binary) {
        write_binary_records(writer, vectors);
    } else {
        write_text_records(writer, vectors);
    }
    writer.flush();
}

}  // namespace detail

/// Reads a word2vec vector file (text or binary) from `in`; `source_name` names it in errors.
/// Throws io_error ("source:line: what"; for binary records the line is the record number) on
/// any malformed input: see docs/io.md for the exact policies.
template <class Scalar = float>
[[nodiscard]] WordVectors<Scalar> read_word2vec(std::istream& in, const std::string& source_name,
                                                const ReadVectorsOptions& options = {}) {
    static_assert(std::is_floating_point_v<Scalar>, "read_word2vec needs a floating-point scalar");
    validate(options);
    const std::optional<std::uint64_t> size = detail::remaining_bytes(in);
    detail::ChunkReader reader(in, source_name);
    const detail::VectorFileHeader header = detail::read_vector_file_header(reader, source_name);
    VectorFormat format = options.format;
    if (format == VectorFormat::automatic) format = detail::sniff_vector_format(reader, header);

    const std::int64_t wanted =
        options.limit == 0 ? header.count
                           : std::min<std::int64_t>(header.count, static_cast<std::int64_t>(std::min<std::size_t>(
                                                                      options.limit, std::numeric_limits<TokenId>::max())));
    // Allocate only what the data can justify: with a known size, no more records than the rest
    // of the file could hold; otherwise about 32 MiB, growing as records arrive.
    std::int64_t initial = wanted;
    if (size) {
        const std::uint64_t rest = *size > reader.offset() ? *size - reader.offset() : 0;
        const auto min_record = static_cast<std::uint64_t>(
            format == VectorFormat::binary ? 4 * header.dim + 2 : 2 * header.dim + 1);
        initial = std::min<std::int64_t>(initial, static_cast<std::int64_t>(rest / min_record + 1));
    } else {
        // Per row: its values, its word, and up to 4 slots of the duplicate check (WordPositions).
        // Counting the values alone let "10000001 1" from a pipe reserve 600 MB of words and
        // slots (found by fuzzing).
        const std::size_t row_bytes = static_cast<std::size_t>(header.dim) * sizeof(Scalar) + sizeof(std::string) + 64;
        const auto rows_in_32mib = static_cast<std::int64_t>((std::size_t{32} << 20) / row_bytes);
        initial = std::min<std::int64_t>(initial, std::max<std::int64_t>(rows_in_32mib, 1));
    }
    detail::RowSink<Scalar> sink(header.dim, initial, wanted);
    std::vector<std::string> words;
    words.reserve(static_cast<std::size_t>(initial));
    detail::WordPositions seen(static_cast<std::size_t>(initial));
    if (format == VectorFormat::binary) {
        return detail::read_binary_records(reader, source_name, header, wanted, sink, words, seen);
    }
    return detail::read_text_records(reader, source_name, header, wanted, sink, words, seen);
}

/// Reads the word2vec vector file at `path` (text, i.e. also fastText's .vec, or binary).
/// `options.limit` keeps only the first vectors; `options.format` defaults to detection.
/// Throws io_error naming the file and the line (text) or record (binary) on any problem.
template <class Scalar = float>
[[nodiscard]] WordVectors<Scalar> read_word2vec(const std::string& path, const ReadVectorsOptions& options = {}) {
    validate(options);
    std::ifstream in = detail::open_for_reading(path);
    return read_word2vec<Scalar>(in, path, options);
}

/// Tells whether the vector file at `path` is text or binary, from its header and first record:
/// text if the first line after the header is a word followed by exactly `dim` numbers. Else
/// (a malformed text file should still get a text error message) the bytes are walked as binary
/// records: text if every byte where the floats would be is printable text or UTF-8, and either
/// at least 16 such bytes were seen or the file ends too early to be binary (inside a would-be
/// record, or before the header's count of them); else binary.
/// Throws io_error if the file is missing, its header is malformed, or no record follows it.
[[nodiscard]] inline VectorFormat detect_vector_format(const std::string& path) {
    std::ifstream in = detail::open_for_reading(path);
    detail::ChunkReader reader(in, path);
    const detail::VectorFileHeader header = detail::read_vector_file_header(reader, path);
    if (reader.at_end()) {
        throw io_error(path, 2, "the file ends after 0 of the " + std::to_string(header.count) +
                                    " vectors its header announces");
    }
    return detail::sniff_vector_format(reader, header);
}

/// Writes `vectors` to `out` in `format` (automatic means text); `sink_name` names it in errors.
/// Text values are printed in the shortest form that reads back to the same bits (std::to_chars);
/// binary values are little-endian float32 (doubles are rounded to float) and each record ends
/// with '\n' as word2vec.c writes it.
/// Throws invalid_argument, before writing anything, if the set is empty or a word is empty or
/// contains whitespace (the format cannot represent it), and, mid-write, if a value is NaN or
/// infinite or too large for float32 (binary); io_error if the stream fails.
template <class Scalar>
void write_word2vec(std::ostream& out, const std::string& sink_name, const WordVectors<Scalar>& vectors,
                    VectorFormat format = VectorFormat::text) {
    detail::check_writable(vectors);
    detail::write_vector_file(out, vectors, format);
    out.flush();
    if (!out) throw io_error(sink_name, "write failed");
}

/// Writes `vectors` to the file at `path`, atomically: the data goes to a temporary file beside
/// it that replaces `path` only once complete, so a failure leaves any previous file untouched.
/// `VectorFormat::automatic` picks binary for a ".bin" path and text otherwise. Throws like the
/// stream overload, and io_error naming `path` if it cannot be written (missing directory ...).
template <class Scalar>
void write_word2vec(const std::string& path, const WordVectors<Scalar>& vectors,
                    VectorFormat format = VectorFormat::text) {
    if (format == VectorFormat::automatic) {
        format = detail::has_bin_extension(path) ? VectorFormat::binary : VectorFormat::text;
    }
    detail::check_writable(vectors);
    detail::AtomicFileWriter file(path);
    detail::write_vector_file(file.stream(), vectors, format);
    file.commit();  // reports any write error with its reason
}

}  // namespace embedkit
