#pragma once

// Reader of fastText's binary models (.bin, as `fasttext skipgram|cbow` writes them), giving a
// FastTextModel whose word vectors equal `fasttext print-word-vectors` for any word.
//
// Layout (fastText's fasttext.cc, args.cc, dictionary.cc, densematrix.cc; native byte order,
// read here as little-endian):
//   int32 magic 793712314, int32 version (11 or 12)       -- absent in the oldest files
//   args: int32 dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate; double t
//   dictionary: int32 size nwords nlabels; int64 ntokens; int64 pruneidx_size (not in the oldest)
//               size x { word bytes, '\0', int64 count, int8 type }; pruneidx_size x { int32, int32 }
//   uint8 quantized input (not in the oldest); input matrix: int64 rows, int64 cols, rows*cols float32
//   uint8 quantized output (not in the oldest); output matrix: the same
// Files without the magic number are read as gensim does: their first two int32 are dim and ws.
// The input matrix has nwords + bucket rows: the words, then the n-gram buckets.

#include "embedkit/detail/binary_io.hpp"
#include "embedkit/detail/chunk_reader.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/core/fasttext_model.hpp"
#include "embedkit/text/subwords.hpp"
#include "embedkit/types.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <istream>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace embedkit {

/// fastText's magic number at the start of .bin files (since 2017).
inline constexpr std::int32_t kFastTextBinMagic = 793712314;

/// The training arguments and dictionary sizes stored in a fastText .bin file.
struct FastTextBinHeader {
    int version = 0;  ///< 11 or 12; 0 for the oldest files, which have no magic number
    int dim = 0;
    int ws = 0;
    int epoch = 0;
    int min_count = 0;
    int neg = 0;
    int word_ngrams = 0;
    int loss = 0;   ///< 1 hierarchical softmax, 2 negative sampling, 3 softmax, 4 one-vs-all
    int model = 0;  ///< 1 cbow, 2 skip-gram, 3 supervised
    int bucket = 0;
    int minn = 0;
    int maxn = 0;
    int lr_update_rate = 0;
    double t = 0;
    std::int32_t words = 0;   ///< dictionary entries that are words
    std::int32_t labels = 0;  ///< dictionary entries that are labels (supervised models)
    std::int64_t tokens = 0;  ///< tokens fastText read while training
};

namespace detail {

/// Reads the magic/version and the args block. io_error for a file that is not a fastText
/// model (wrong magic and no plausible old header) or has an unsupported version.
inline FastTextBinHeader read_fasttext_args(BinaryReader& in) {
    FastTextBinHeader h;
    const auto first = in.value<std::int32_t>("the magic number");
    const auto second = in.value<std::int32_t>("the version");
    if (first == kFastTextBinMagic) {
        if (second != 11 && second != 12) {
            in.fail("unsupported fastText model version " + std::to_string(second) + " (versions 11 and 12 are read)");
        }
        h.version = second;
        h.dim = in.value<std::int32_t>("args.dim");
        h.ws = in.value<std::int32_t>("args.ws");
    } else {
        h.version = 0;
        h.dim = first;
        h.ws = second;
    }
    h.epoch = in.value<std::int32_t>("args.epoch");
    h.min_count = in.value<std::int32_t>("args.minCount");
    h.neg = in.value<std::int32_t>("args.neg");
    h.word_ngrams = in.value<std::int32_t>("args.wordNgrams");
    h.loss = in.value<std::int32_t>("args.loss");
    h.model = in.value<std::int32_t>("args.model");
    h.bucket = in.value<std::int32_t>("args.bucket");
    h.minn = in.value<std::int32_t>("args.minn");
    h.maxn = in.value<std::int32_t>("args.maxn");
    h.lr_update_rate = in.value<std::int32_t>("args.lrUpdateRate");
    h.t = in.value<double>("args.t");
    const bool plausible = h.dim > 0 && h.dim <= 1'000'000 && h.ws >= 0 && h.epoch >= 0 && h.min_count >= 0 &&
                           h.neg >= 0 && h.word_ngrams >= 0 && h.loss >= 1 && h.loss <= 4 && h.model >= 1 &&
                           h.model <= 3 && h.bucket >= 0 && h.minn >= 0 && h.maxn >= 0 &&
                           h.maxn <= kMaxNgramLength && h.t >= 0 && h.t <= 1;
    if (!plausible) {
        if (h.version == 0) {
            in.fail("not a fastText model: wrong magic number " + std::to_string(first) + " (expected " +
                    std::to_string(kFastTextBinMagic) + "), and not a valid header of the old format either");
        }
        in.fail("invalid training arguments in the header (dim " + std::to_string(h.dim) + ", loss " +
                std::to_string(h.loss) + ", model " + std::to_string(h.model) + ", bucket " + std::to_string(h.bucket) +
                ", minn " + std::to_string(h.minn) + ", maxn " + std::to_string(h.maxn) + ")");
    }
    return h;
}

/// Reads "int64 rows, int64 cols" of a dense matrix and checks them against the expectation.
inline void read_fasttext_matrix_shape(BinaryReader& in, std::int64_t rows, std::int64_t cols, const char* what,
                                       const std::optional<std::uint64_t>& file_bytes) {
    const auto m = in.value<std::int64_t>(what);
    const auto n = in.value<std::int64_t>(what);
    if (m != rows || n != cols) {
        in.fail(std::string("sizes do not match: ") + what + " is " + std::to_string(m) + " x " + std::to_string(n) +
                ", expected " + std::to_string(rows) + " x " + std::to_string(cols) + " (from the header)");
    }
    const std::uint64_t bytes = static_cast<std::uint64_t>(m) * static_cast<std::uint64_t>(n) * sizeof(float);
    if (file_bytes && in.offset() + bytes > *file_bytes) {
        in.fail(std::string("truncated file: ") + what + " needs " + std::to_string(bytes) + " bytes, only " +
                std::to_string(*file_bytes - std::min(*file_bytes, in.offset())) + " are left");
    }
}

/// Reads a rows x cols float32 matrix into `m`. With the input's size unknown (a pipe) nothing
/// has checked the header's sizes against the data yet, so the matrix starts at most 32 MiB and
/// doubles as rows arrive: a lying header fails as a truncated file, not as a huge allocation.
template <class Scalar>
void read_float_rows(BinaryReader& in, RowMatrix<Scalar>& m, std::int64_t rows, std::int64_t cols, bool size_known,
                     const char* what) {
    const std::int64_t row_bytes = cols * static_cast<std::int64_t>(sizeof(Scalar));
    const std::int64_t first = size_known ? rows : std::min(rows, std::max<std::int64_t>(1, (std::int64_t{32} << 20) / row_bytes));
    m.resize(static_cast<Eigen::Index>(first), static_cast<Eigen::Index>(cols));
    std::int64_t done = 0;
    while (done < rows) {
        if (done == m.rows()) m.conservativeResize(static_cast<Eigen::Index>(std::min(rows, 2 * done)), m.cols());
        const std::int64_t take = m.rows() - done;
        in.values<float>(m.data() + done * cols, static_cast<std::size_t>(take * cols), what);
        done += take;
    }
}

/// Reads and discards n float32 values (chunk by chunk).
inline void skip_floats(BinaryReader& in, std::uint64_t n, const char* what) {
    std::vector<float> chunk(static_cast<std::size_t>(std::min<std::uint64_t>(n, 1 << 16)));
    while (n > 0) {
        const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(n, chunk.size()));
        in.values<float>(chunk.data(), take, what);
        n -= take;
    }
}

}  // namespace detail

/// Reads the header (version, training arguments, dictionary sizes) of a fastText .bin file.
/// io_error on a file that is not a fastText model or has an unsupported version.
[[nodiscard]] inline FastTextBinHeader read_fasttext_bin_header(const std::string& path) {
    std::ifstream stream(path, std::ios::binary);
    if (!stream) throw io_error(path, "cannot open for reading");
    detail::BinaryReader in(stream, path);
    FastTextBinHeader h = detail::read_fasttext_args(in);
    const auto size = in.value<std::int32_t>("the dictionary size");
    h.words = in.value<std::int32_t>("the word count");
    h.labels = in.value<std::int32_t>("the label count");
    h.tokens = in.value<std::int64_t>("the token count");
    if (size < 0 || h.words < 0 || h.labels < 0 || static_cast<std::int64_t>(h.words) + h.labels != size) {
        in.fail("inconsistent dictionary sizes");
    }
    return h;
}

/// Reads a fastText .bin model (unsupervised: skip-gram or cbow; version 12, 11 or the oldest
/// format without magic number) from `in`; `source_name` names it in errors. The input matrix is
/// kept whole (a dense model); the output matrix is checked and skipped (a model read from .bin
/// serves vectors; it does not resume training). Words keep their vectors but take embedkit's
/// vocabulary order (count descending, then bytes).
/// Throws io_error naming the source and byte offset for: a wrong magic number, an unsupported
/// version, supervised or quantized models, a truncated file, sizes that do not match the
/// header, invalid or duplicate words, or bytes after the last matrix.
template <class Scalar = float>
[[nodiscard]] FastTextModel<Scalar> read_fasttext_bin(std::istream& stream, const std::string& source_name) {
    const std::optional<std::uint64_t> file_bytes = detail::remaining_bytes(stream);
    detail::BinaryReader in(stream, source_name);
    const FastTextBinHeader h = detail::read_fasttext_args(in);

    const auto size = in.value<std::int32_t>("the dictionary size");
    const auto nwords = in.value<std::int32_t>("the word count");
    const auto nlabels = in.value<std::int32_t>("the label count");
    (void)in.value<std::int64_t>("the token count");
    if (size < 0 || nwords < 0 || nlabels < 0 || static_cast<std::int64_t>(nwords) + nlabels != size) {
        in.fail("sizes do not match: the dictionary has " + std::to_string(size) + " entries, " +
                std::to_string(nwords) + " words and " + std::to_string(nlabels) + " labels");
    }
    if (nlabels > 0 || h.model == 3) in.fail("supervised fastText models (with labels) are not supported");
    if (nwords == 0) in.fail("the dictionary has no words");
    std::int64_t pruneidx_size = -1;
    if (h.version > 0) pruneidx_size = in.value<std::int64_t>("the pruned-index size");
    if (pruneidx_size != -1) in.fail("pruned (quantized) fastText models are not supported");
    std::vector<std::pair<std::string, std::int64_t>> counts;
    // An entry takes at least 11 bytes (a byte, '\0', count, type): reserve no more than the data holds.
    counts.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(
        static_cast<std::uint64_t>(nwords), file_bytes ? *file_bytes / 11 : std::uint64_t{1} << 16)));
    for (std::int32_t i = 0; i < size; ++i) {
        std::string word = in.zstring(std::size_t{1} << 16, "a dictionary word");
        const auto count = in.value<std::int64_t>("a word count");
        const auto type = in.value<std::int8_t>("a dictionary entry type");
        if (type != 0) in.fail("dictionary entry " + std::to_string(i) + " is a label, not a word");
        if (count < 0) in.fail("negative count for dictionary word " + std::to_string(i));
        counts.emplace_back(std::move(word), count);
    }

    if (h.version > 0 && in.value<std::uint8_t>("the quantized-input flag") != 0) {
        in.fail("quantized fastText models (.ftz) are not supported");
    }
    const SubwordOptions sub = h.maxn > 0 ? SubwordOptions{h.minn, h.maxn, h.bucket} : SubwordOptions{0, 0, 0};
    if (sub.enabled()) {
        if (h.bucket <= 0) in.fail("the header asks for n-grams (maxn > 0) but has no buckets");
        if (h.minn > h.maxn) in.fail("invalid header: minn " + std::to_string(h.minn) + " > maxn " + std::to_string(h.maxn));
    }
    const std::int64_t input_rows = static_cast<std::int64_t>(nwords) + h.bucket;
    if (input_rows > std::numeric_limits<std::int32_t>::max()) in.fail("more than 2^31-1 input rows");
    detail::read_fasttext_matrix_shape(in, input_rows, h.dim, "the input matrix", file_bytes);
    // Without n-grams the bucket rows are never used: read the word rows only.
    const std::int64_t kept_rows = sub.enabled() ? input_rows : nwords;
    RowMatrix<Scalar> input;
    detail::read_float_rows(in, input, kept_rows, h.dim, file_bytes.has_value(), "the input matrix");
    if (kept_rows < input_rows) {
        detail::skip_floats(in, static_cast<std::uint64_t>(input_rows - kept_rows) * static_cast<std::uint64_t>(h.dim),
                            "the input matrix");
    }
    if (h.version > 0 && in.value<std::uint8_t>("the quantized-output flag") != 0) {
        in.fail("quantized fastText models (.ftz) are not supported");
    }
    detail::read_fasttext_matrix_shape(in, nwords, h.dim, "the output matrix", file_bytes);
    detail::skip_floats(in, static_cast<std::uint64_t>(nwords) * static_cast<std::uint64_t>(h.dim), "the output matrix");
    if (!in.at_end()) in.fail("unexpected bytes after the output matrix");
    if (!input.allFinite()) in.fail("the input matrix contains NaN or Inf");
    try {
        return detail::FastTextAccess::assemble(std::move(counts), sub, std::move(input), {}, sub.enabled());
    } catch (const error& e) {
        throw io_error(source_name, std::string("invalid dictionary: ") + e.what());
    }
}

/// Reads the fastText .bin model at `path` (see the stream overload).
template <class Scalar = float>
[[nodiscard]] FastTextModel<Scalar> read_fasttext_bin(const std::string& path) {
    std::ifstream stream(path, std::ios::binary);
    if (!stream) throw io_error(path, "cannot open for reading");
    return read_fasttext_bin<Scalar>(stream, path);
}

/// Reads either an embedkit fastText model (FastTextModel::save) or a fastText .bin model,
/// detected from the first bytes.
template <class Scalar = float>
[[nodiscard]] FastTextModel<Scalar> read_fasttext_model(const std::string& path) {
    char magic[sizeof FastTextModel<Scalar>::kMagic] = {};
    {
        std::ifstream stream(path, std::ios::binary);
        if (!stream) throw io_error(path, "cannot open for reading");
        stream.read(magic, sizeof magic);
    }
    if (std::memcmp(magic, FastTextModel<Scalar>::kMagic, sizeof magic) == 0) return FastTextModel<Scalar>::load(path);
    return read_fasttext_bin<Scalar>(path);
}

}  // namespace embedkit
