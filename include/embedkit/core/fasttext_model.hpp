#pragma once

// A fastText subword model as trained or read: the vocabulary, the input rows (vocabulary words
// first, then the stored n-gram buckets), the output layer(s), and the n-gram settings that
// compose any word's vector, seen in training or not; with embedkit's own model file (save/load).
// The trainer is models/fasttext.hpp; fastText's .bin reader is io/fasttext_bin.hpp.
//
// Memory: fastText and gensim allocate vocabulary + buckets rows. Only the buckets that some
// vocabulary word's n-grams hash to are ever trained, so embedkit stores just those rows (the
// other buckets would keep their random initial values, which carry no information; here they
// are zero). The model behaves as a dense one whose untrained bucket rows are zero.

#include "embedkit/core/input_rows.hpp"
#include "embedkit/core/word_vectors.hpp"
#include "embedkit/detail/atomic_file.hpp"
#include "embedkit/detail/binary_io.hpp"
#include "embedkit/detail/chunk_reader.hpp"
#include "embedkit/detail/parallel.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/text/subwords.hpp"
#include "embedkit/text/vocab.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace embedkit {

namespace detail {
struct FastTextAccess;
}  // namespace detail

/// A fastText model: the vocabulary, the input rows (vocabulary words first, then the stored
/// n-gram buckets), the output layer(s), and the n-gram settings to compose any word's vector.
template <class Scalar = float>
class FastTextModel {
    static_assert(std::is_floating_point_v<Scalar>, "FastTextModel needs a floating-point scalar");

public:
    FastTextModel() = default;

    /// A model whose `input` holds the vocabulary rows followed by the rows of the buckets in
    /// `stored_buckets` (ascending, each in [0, buckets)), in that order. Buckets not listed are
    /// zero rows. With `dense` = true, `stored_buckets` must be empty and every bucket is stored
    /// (input has vocab.size() + buckets rows, fastText's layout). `output` (negative sampling,
    /// vocab.size() rows) and `output_hs` (vocab.size() - 1 rows) may be empty.
    /// Throws invalid_argument on inconsistent shapes or buckets, invalid_options on bad `subwords`.
    FastTextModel(Vocab vocab, SubwordOptions subwords, RowMatrix<Scalar> input, std::vector<std::int32_t> stored_buckets,
                  bool dense, RowMatrix<Scalar> output = {}, RowMatrix<Scalar> output_hs = {})
        : vocab_(std::move(vocab)), subwords_(subwords.enabled() ? subwords : SubwordOptions{0, 0, 0}),
          input_(std::move(input)),
          stored_buckets_(std::move(stored_buckets)), dense_(dense && subwords.enabled()),
          output_(std::move(output)), output_hs_(std::move(output_hs)) {
        validate(subwords_);
        check_shapes();
        build_word_rows();
    }

    [[nodiscard]] const Vocab& vocab() const noexcept { return vocab_; }
    [[nodiscard]] const SubwordOptions& subwords() const noexcept { return subwords_; }
    [[nodiscard]] Eigen::Index dim() const noexcept { return input_.cols(); }
    /// Input rows: vocab().size() word rows, then the stored bucket rows.
    [[nodiscard]] const RowMatrix<Scalar>& input() const noexcept { return input_; }
    /// Negative-sampling output vectors (empty without negative sampling, and in models read from
    /// a file: files keep the input rows only).
    [[nodiscard]] const RowMatrix<Scalar>& output() const noexcept { return output_; }
    /// Hierarchical-softmax inner-node vectors (empty without it, and in models read from a file).
    [[nodiscard]] const RowMatrix<Scalar>& output_hs() const noexcept { return output_hs_; }
    /// True when every bucket has a row (models read from fastText's .bin).
    [[nodiscard]] bool dense() const noexcept { return dense_; }
    /// The buckets with a row, ascending (empty for dense models).
    [[nodiscard]] const std::vector<std::int32_t>& stored_buckets() const noexcept { return stored_buckets_; }

    /// The row of `input()` that holds bucket `bucket`, or nullopt if the bucket is not stored
    /// (its vector is zero). invalid_argument if `bucket` is outside [0, buckets).
    [[nodiscard]] std::optional<Eigen::Index> bucket_row(std::int64_t bucket) const {
        if (!subwords_.enabled() || bucket < 0 || bucket >= subwords_.buckets) {
            throw invalid_argument("FastTextModel::bucket_row: bucket " + std::to_string(bucket) + " is out of range");
        }
        const auto base = static_cast<Eigen::Index>(vocab_.size());
        if (dense_) return base + static_cast<Eigen::Index>(bucket);
        const auto it = std::lower_bound(stored_buckets_.begin(), stored_buckets_.end(), bucket);
        if (it == stored_buckets_.end() || *it != bucket) return std::nullopt;
        return base + static_cast<Eigen::Index>(it - stored_buckets_.begin());
    }

    /// The rows of `input()` whose mean is the vector of vocabulary word `id`: its own row first,
    /// then one per n-gram (repeats included). invalid_argument if `id` is out of range.
    [[nodiscard]] std::vector<std::int32_t> word_rows(TokenId id) const {
        if (id < 0 || static_cast<std::size_t>(id) >= vocab_.size()) {
            throw invalid_argument("FastTextModel::word_rows: id " + std::to_string(id) + " is out of range [0, " +
                                   std::to_string(vocab_.size()) + ")");
        }
        const auto w = static_cast<std::size_t>(id);
        if (word_rows_.plain()) return {id};
        return {word_rows_.rows.begin() + word_rows_.offsets[w], word_rows_.rows.begin() + word_rows_.offsets[w + 1]};
    }

    /// The vector of any word. A vocabulary word: the mean of its own row and its n-gram rows.
    /// Another word: the mean of its n-gram rows (unstored buckets count as zero rows). A word
    /// outside the vocabulary without any n-gram (subwords off, "</s>", or shorter than
    /// minn - 2 characters) gets the zero vector, as in fastText.
    [[nodiscard]] RowVector<Scalar> word_vector(std::string_view word) const {
        RowVector<Scalar> v(dim());
        word_vector(word, v.data());
        return v;
    }

    /// As word_vector(word), written to out[0, dim()). Returns false when the result is the
    /// zero vector because nothing is known about the word (see `knows`).
    bool word_vector(std::string_view word, Scalar* out) const {
        Eigen::Map<RowVector<Scalar>> v(out, dim());
        if (const auto id = vocab_.find(word)) {
            compose_word(*id, out);
            return true;
        }
        v.setZero();
        if (!subwords_.enabled()) return false;
        std::int64_t ngrams = 0;
        bool any = false;
        for_each_char_ngram(word, subwords_, [&](std::string_view g) {
            ++ngrams;
            if (const auto row = bucket_row(ngram_bucket(g, subwords_.buckets))) {
                v += input_.row(*row);
                any = true;
            }
        });
        if (ngrams > 0) v /= static_cast<Scalar>(ngrams);
        return any;
    }

    /// True when `word` is in the vocabulary or has an n-gram with a stored row (its vector then
    /// comes from training; otherwise word_vector gives zero).
    [[nodiscard]] bool knows(std::string_view word) const {
        if (vocab_.contains(word)) return true;
        bool any = false;
        if (subwords_.enabled()) {
            for_each_char_ngram(word, subwords_, [&](std::string_view g) {
                any = any || bucket_row(ngram_bucket(g, subwords_.buckets)).has_value();
            });
        }
        return any;
    }

    /// The vocabulary words and their vectors (as `word_vector`), ready to save or search.
    /// `threads` = 0 uses all cores; the values never depend on it.
    [[nodiscard]] WordVectors<Scalar> vectors(unsigned threads = 0) const {
        RowMatrix<Scalar> m(static_cast<Eigen::Index>(vocab_.size()), dim());
        detail::parallel_for(vocab_.size(), detail::resolve_threads(threads), [&](std::size_t b, std::size_t e, unsigned) {
            for (std::size_t i = b; i < e; ++i) compose_word(static_cast<TokenId>(i), m.row(static_cast<Eigen::Index>(i)).data());
        });
        return WordVectors<Scalar>(vocab_.words(), std::move(m));
    }

    /// Writes the model to `path` atomically in embedkit's fastText model format (see
    /// docs/fasttext.md): a header with magic and version, the vocabulary with counts, the
    /// n-gram settings, the stored buckets, the input matrix, and a checksum. The output layers
    /// are not saved (a loaded model serves vectors; it does not resume training). io_error on
    /// failure.
    void save(const std::string& path) const;

    /// Reads a file written by `save`, as Scalar (float and double files both load).
    /// io_error naming the file and byte offset on a wrong magic, an unsupported version, a
    /// truncated file, inconsistent sizes or a checksum mismatch.
    [[nodiscard]] static FastTextModel load(const std::string& path);

    /// Magic bytes at the start of the model file.
    static constexpr char kMagic[8] = {'E', 'K', 'F', 'T', 'E', 'X', 'T', '1'};
    static constexpr std::uint32_t kVersion = 1;

private:
    void check_shapes() const {
        const auto v = static_cast<Eigen::Index>(vocab_.size());
        auto fail = [](const std::string& what) { throw invalid_argument("FastTextModel: " + what); };
        if (input_.cols() <= 0) fail("the input matrix has no columns");
        if (dense_ && !stored_buckets_.empty()) fail("a dense model lists no stored buckets");
        const Eigen::Index stored =
            !subwords_.enabled() ? 0 : dense_ ? static_cast<Eigen::Index>(subwords_.buckets) : static_cast<Eigen::Index>(stored_buckets_.size());
        if (!subwords_.enabled() && !stored_buckets_.empty()) fail("stored buckets without subwords (maxn = 0)");
        if (input_.rows() != v + stored) {
            fail("the input matrix has " + std::to_string(input_.rows()) + " rows, expected " + std::to_string(v) +
                 " words + " + std::to_string(stored) + " buckets");
        }
        if (input_.rows() > static_cast<Eigen::Index>(std::numeric_limits<std::int32_t>::max())) {
            fail("more than 2^31-1 input rows");
        }
        for (std::size_t i = 0; i < stored_buckets_.size(); ++i) {
            const std::int32_t b = stored_buckets_[i];
            if (b < 0 || b >= subwords_.buckets || (i > 0 && stored_buckets_[i - 1] >= b)) {
                fail("stored buckets must be ascending, distinct and in [0, buckets); entry " + std::to_string(i) +
                     " is " + std::to_string(b));
            }
        }
        if (output_.size() > 0 && (output_.rows() != v || output_.cols() != input_.cols())) {
            fail("the output matrix is " + std::to_string(output_.rows()) + " x " + std::to_string(output_.cols()) +
                 ", expected " + std::to_string(v) + " x " + std::to_string(input_.cols()));
        }
        if (output_hs_.size() > 0 &&
            (output_hs_.rows() != std::max<Eigen::Index>(1, v - 1) || output_hs_.cols() != input_.cols())) {
            fail("the hierarchical-softmax matrix has the wrong shape");
        }
    }

    void build_word_rows() {
        word_rows_ = {};
        if (!subwords_.enabled()) return;
        word_rows_.offsets.reserve(vocab_.size() + 1);
        word_rows_.offsets.push_back(0);
        std::vector<std::int32_t> buckets;
        for (std::size_t w = 0; w < vocab_.size(); ++w) {
            word_rows_.rows.push_back(static_cast<std::int32_t>(w));
            buckets.clear();
            append_ngram_buckets(vocab_.words()[w], subwords_, buckets);
            for (const std::int32_t b : buckets) {
                const auto row = bucket_row(b);
                if (!row) {
                    throw invalid_argument("FastTextModel: bucket " + std::to_string(b) + " of vocabulary word '" +
                                           vocab_.words()[w] + "' has no row");
                }
                word_rows_.rows.push_back(static_cast<std::int32_t>(*row));
            }
            word_rows_.offsets.push_back(static_cast<std::int64_t>(word_rows_.rows.size()));
        }
    }

    void compose_word(TokenId id, Scalar* out) const {
        Eigen::Map<RowVector<Scalar>> v(out, dim());
        if (word_rows_.plain()) {
            v = input_.row(id);
            return;
        }
        const auto w = static_cast<std::size_t>(id);
        const std::int64_t begin = word_rows_.offsets[w];
        const std::int64_t end = word_rows_.offsets[w + 1];
        v.setZero();
        for (std::int64_t r = begin; r < end; ++r) v += input_.row(word_rows_.rows[static_cast<std::size_t>(r)]);
        v /= static_cast<Scalar>(end - begin);
    }

    friend struct detail::FastTextAccess;

    Vocab vocab_;
    SubwordOptions subwords_{0, 0, 0};
    RowMatrix<Scalar> input_;
    std::vector<std::int32_t> stored_buckets_;
    bool dense_ = false;
    RowMatrix<Scalar> output_;
    RowMatrix<Scalar> output_hs_;
    InputRows word_rows_;  // each word's rows in input_: own row, then n-gram rows
};

namespace detail {

/// What the trainer and the readers need beyond the public API.
struct FastTextAccess {
    template <class Scalar>
    static RowMatrix<Scalar>& input(FastTextModel<Scalar>& m) noexcept { return m.input_; }
    template <class Scalar>
    static RowMatrix<Scalar>& output(FastTextModel<Scalar>& m) noexcept { return m.output_; }
    template <class Scalar>
    static RowMatrix<Scalar>& output_hs(FastTextModel<Scalar>& m) noexcept { return m.output_hs_; }
    template <class Scalar>
    static const InputRows& word_rows(const FastTextModel<Scalar>& m) noexcept { return m.word_rows_; }

    /// A model from words with counts in file order and an input matrix whose first rows follow
    /// that order. The vocabulary takes its canonical order (count descending, then bytes), and
    /// the word rows are permuted to match. invalid_argument on duplicate or invalid words.
    template <class Scalar>
    static FastTextModel<Scalar> assemble(std::vector<std::pair<std::string, std::int64_t>> counts, SubwordOptions sub,
                                          RowMatrix<Scalar> input, std::vector<std::int32_t> stored, bool dense) {
        std::vector<std::string> order;
        order.reserve(counts.size());
        for (const auto& c : counts) order.push_back(c.first);
        VocabOptions vo;
        vo.min_count = 0;
        Vocab vocab = Vocab::from_counts(std::move(counts), vo);
        bool identity = true;
        for (std::size_t i = 0; i < order.size() && identity; ++i) identity = vocab.words()[i] == order[i];
        if (!identity) {
            // Permute the word rows in place, one row-sized buffer at a time (cycle by cycle).
            std::vector<TokenId> target(order.size());
            for (std::size_t i = 0; i < order.size(); ++i) target[i] = vocab.at(order[i]);
            RowVector<Scalar> carry(input.cols()), next(input.cols());
            std::vector<char> done(order.size(), 0);
            for (std::size_t start = 0; start < order.size(); ++start) {
                if (done[start]) continue;
                carry = input.row(static_cast<Eigen::Index>(start));
                std::size_t i = start;
                do {
                    const auto t = static_cast<std::size_t>(target[i]);
                    next = input.row(static_cast<Eigen::Index>(t));
                    input.row(static_cast<Eigen::Index>(t)) = carry;
                    carry.swap(next);
                    done[i] = 1;
                    i = t;
                } while (i != start);
            }
        }
        return FastTextModel<Scalar>(std::move(vocab), sub, std::move(input), std::move(stored), dense);
    }
};

}  // namespace detail

template <class Scalar>
void FastTextModel<Scalar>::save(const std::string& path) const {
    detail::AtomicFileWriter file(path);
    detail::BinaryWriter out(file.stream());
    out.bytes(kMagic, sizeof kMagic);
    out.value<std::uint32_t>(kVersion);
    out.value<std::uint32_t>(static_cast<std::uint32_t>(sizeof(Scalar)));
    out.value<std::int64_t>(static_cast<std::int64_t>(vocab_.size()));
    out.value<std::int64_t>(static_cast<std::int64_t>(dim()));
    out.value<std::int32_t>(subwords_.minn);
    out.value<std::int32_t>(subwords_.maxn);
    out.value<std::int64_t>(subwords_.buckets);
    out.value<std::uint8_t>(dense_ ? 1 : 0);
    out.value<std::int64_t>(static_cast<std::int64_t>(stored_buckets_.size()));
    for (std::size_t i = 0; i < vocab_.size(); ++i) {
        const std::string& w = vocab_.words()[i];
        out.value<std::uint32_t>(static_cast<std::uint32_t>(w.size()));
        out.bytes(w.data(), w.size());
        out.value<std::int64_t>(vocab_.counts()[i]);
    }
    out.values<std::int32_t>(stored_buckets_.data(), stored_buckets_.size());
    out.values<Scalar>(input_.data(), static_cast<std::size_t>(input_.size()));
    out.value<std::uint64_t>(out.checksum());
    file.commit();
}

template <class Scalar>
FastTextModel<Scalar> FastTextModel<Scalar>::load(const std::string& path) {
    std::ifstream stream(path, std::ios::binary);
    if (!stream) throw io_error(path, "cannot open for reading");
    const std::optional<std::uint64_t> size = detail::remaining_bytes(stream);
    detail::BinaryReader in(stream, path);
    char magic[8];
    in.bytes(magic, sizeof magic, "the magic number");
    if (std::memcmp(magic, kMagic, sizeof magic) != 0) in.fail("not an embedkit fastText model (wrong magic number)");
    const auto version = in.value<std::uint32_t>("the version");
    if (version != kVersion) {
        in.fail("unsupported model version " + std::to_string(version) + " (this build reads version " +
                std::to_string(kVersion) + ")");
    }
    const auto scalar_bytes = in.value<std::uint32_t>("the scalar size");
    if (scalar_bytes != 4 && scalar_bytes != 8) in.fail("unsupported scalar size " + std::to_string(scalar_bytes));
    const auto words = in.value<std::int64_t>("the vocabulary size");
    const auto dim = in.value<std::int64_t>("the dimension");
    SubwordOptions sub;
    sub.minn = in.value<std::int32_t>("minn");
    sub.maxn = in.value<std::int32_t>("maxn");
    sub.buckets = in.value<std::int64_t>("the bucket count");
    const bool dense = in.value<std::uint8_t>("the dense flag") != 0;
    const auto stored = in.value<std::int64_t>("the stored bucket count");
    try {
        validate(sub);
    } catch (const invalid_options& e) {
        in.fail(std::string("invalid n-gram settings: ") + e.what());
    }
    if (words < 1 || words > std::numeric_limits<std::int32_t>::max()) in.fail("invalid vocabulary size " + std::to_string(words));
    if (dim <= 0 || dim > 1'000'000) in.fail("invalid dimension " + std::to_string(dim));
    const std::int64_t buckets = sub.enabled() ? sub.buckets : 0;
    if (stored < 0 || stored > buckets || (dense && stored != 0)) in.fail("invalid stored bucket count " + std::to_string(stored));
    const std::int64_t bucket_rows = dense ? buckets : stored;
    if (words + bucket_rows > std::numeric_limits<std::int32_t>::max()) in.fail("more than 2^31-1 input rows");
    // Each word takes at least 13 bytes (length, a byte, count), each stored bucket 4: a header
    // that announces more than the file holds fails here, before anything is allocated for it.
    if (size && in.offset() + static_cast<std::uint64_t>(words) * 13 + static_cast<std::uint64_t>(stored) * 4 > *size) {
        in.fail("truncated file: the header announces " + std::to_string(words) + " words and " +
                std::to_string(stored) + " stored buckets, more than the file holds");
    }
    std::vector<std::pair<std::string, std::int64_t>> counts;
    for (std::int64_t i = 0; i < words; ++i) {
        const auto len = in.value<std::uint32_t>("a word length");
        if (len == 0 || len > (1u << 16)) in.fail("invalid length " + std::to_string(len) + " of word " + std::to_string(i));
        std::string w(len, '\0');
        in.bytes(w.data(), len, "a word");
        const auto count = in.value<std::int64_t>("a word count");
        counts.emplace_back(std::move(w), count);
    }
    std::vector<std::int32_t> stored_buckets(static_cast<std::size_t>(stored));
    in.values<std::int32_t>(stored_buckets.data(), stored_buckets.size(), "the stored buckets");
    RowMatrix<Scalar> input;
    if (scalar_bytes == 4) detail::read_model_matrix<float>(in, input, words + bucket_rows, dim, size, "the input matrix");
    else detail::read_model_matrix<double>(in, input, words + bucket_rows, dim, size, "the input matrix");
    const std::uint64_t expected = in.checksum();
    const auto found = in.value<std::uint64_t>("the checksum");
    if (found != expected) in.fail("checksum mismatch: the file is corrupt");
    if (!in.at_end()) in.fail("unexpected bytes after the checksum");
    try {
        return detail::FastTextAccess::assemble(std::move(counts), sub, std::move(input), std::move(stored_buckets), dense);
    } catch (const invalid_argument& e) {
        throw io_error(path, std::string("inconsistent model: ") + e.what());
    }
}

}  // namespace embedkit
