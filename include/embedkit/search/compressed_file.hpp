#pragma once

// The file format of compressed vectors (Int8Vectors, PqVectors), docs/search.md: a header
// (magic, version, kind, metric, rows, dim), optional row labels, the kind's own arrays, and a
// checksum of every byte before it. These are the parts both kinds share.

#include "embedkit/detail/binary_io.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/search/topk_index.hpp"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace embedkit::detail {

inline constexpr char kCompressedMagic[8] = {'E', 'K', 'Q', 'V', 'E', 'C', '\0', '\1'};
inline constexpr std::uint32_t kCompressedVersion = 1;

enum class CompressedKind : std::uint32_t { int8 = 1, pq = 2 };

struct CompressedHeader {
    CompressedKind kind = CompressedKind::int8;
    Metric metric = Metric::cosine;
    std::int64_t rows = 0;
    std::int64_t dim = 0;
    std::vector<std::string> labels;  // empty or one per row
};

inline void write_compressed_header(BinaryWriter& out, const CompressedHeader& h) {
    out.bytes(kCompressedMagic, sizeof kCompressedMagic);
    out.value<std::uint32_t>(kCompressedVersion);
    out.value<std::uint32_t>(static_cast<std::uint32_t>(h.kind));
    out.value<std::uint32_t>(static_cast<std::uint32_t>(h.metric));
    out.value<std::int64_t>(h.rows);
    out.value<std::int64_t>(h.dim);
    out.value<std::uint8_t>(h.labels.empty() ? 0 : 1);
    for (const auto& l : h.labels) {
        out.value<std::uint32_t>(static_cast<std::uint32_t>(l.size()));
        out.bytes(l.data(), l.size());
    }
}

/// Reads and checks the shared header; `file_end` is the file size, against which every size is
/// checked before anything is allocated.
inline CompressedHeader read_compressed_header(BinaryReader& r, CompressedKind want, std::uint64_t file_end) {
    const auto left = [&] { return file_end - std::min(file_end, r.offset()); };
    char magic[sizeof kCompressedMagic];
    r.bytes(magic, sizeof magic, "the magic bytes");
    if (std::memcmp(magic, kCompressedMagic, sizeof magic) != 0) r.fail("not an embedkit compressed-vectors file (wrong magic bytes)");
    const auto version = r.value<std::uint32_t>("the version");
    if (version != kCompressedVersion) r.fail("version " + std::to_string(version) + " is not supported (this embedkit reads 1)");
    CompressedHeader h;
    const auto kind = r.value<std::uint32_t>("the kind");
    if (kind != static_cast<std::uint32_t>(want)) {
        r.fail("the file holds " + std::string(kind == 1 ? "int8" : kind == 2 ? "PQ" : "unknown") + " vectors, not " +
               (want == CompressedKind::int8 ? "int8" : "PQ"));
    }
    h.kind = want;
    const auto metric = r.value<std::uint32_t>("the metric");
    if (metric > 2) r.fail("unknown metric " + std::to_string(metric));
    h.metric = static_cast<Metric>(metric);
    h.rows = r.value<std::int64_t>("the row count");
    h.dim = r.value<std::int64_t>("the dimension");
    if (h.rows < 0 || h.rows > std::int64_t{0x7FFFFFFF}) r.fail("row count " + std::to_string(h.rows) + " is outside [0, 2^31-1]");
    if (h.dim < 1 || h.dim > 1'000'000) r.fail("dimension " + std::to_string(h.dim) + " is outside [1, 1000000]");
    const auto labelled = r.value<std::uint8_t>("the label flag");
    if (labelled > 1) r.fail("the label flag is " + std::to_string(labelled) + ", not 0 or 1");
    if (labelled) {
        if (static_cast<std::uint64_t>(h.rows) * 4 > left()) r.fail("truncated file: " + std::to_string(h.rows) + " labels do not fit");
        h.labels.resize(static_cast<std::size_t>(h.rows));
        for (auto& l : h.labels) {
            const auto n = r.value<std::uint32_t>("a label's length");
            if (n > left()) r.fail("truncated file: a label of " + std::to_string(n) + " bytes does not fit");
            l.resize(n);
            r.bytes(l.data(), n, "a label");
        }
    }
    return h;
}

/// Reads `count` values of T (checked against the bytes left first).
template <class T>
std::vector<T> read_compressed_array(BinaryReader& r, std::uint64_t count, std::uint64_t file_end, const char* what) {
    const std::uint64_t left = file_end - std::min(file_end, r.offset());
    if (count > left / sizeof(T)) r.fail(std::string("truncated file: ") + what + " needs " + std::to_string(count * sizeof(T)) + " bytes, " + std::to_string(left) + " are left");
    std::vector<T> out(static_cast<std::size_t>(count));
    r.values<T>(out.data(), out.size(), what);
    return out;
}

/// Reads and checks the trailing checksum and that nothing follows.
inline void read_compressed_checksum(BinaryReader& r) {
    const std::uint64_t expected = r.checksum();
    const auto stored = r.value<std::uint64_t>("the checksum");
    if (stored != expected) r.fail("checksum mismatch: the file is corrupt");
    if (!r.at_end()) r.fail("unexpected bytes after the checksum");
}

/// Opens `path` for a compressed-vectors reader: the stream and the file size.
inline std::uint64_t compressed_file_size(const std::string& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) throw io_error(path, "cannot read the file size: " + ec.message());
    return size;
}

}  // namespace embedkit::detail
