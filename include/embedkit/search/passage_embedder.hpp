#pragma once

// Sentence and passage vectors from word vectors: the mean of the known words' vectors, or SIF
// (Arora, Liang and Ma, "A simple but tough-to-beat baseline for sentence embeddings", ICLR 2017):
// a weighted mean with weight a / (a + p(w)), then the first principal component of the
// collection removed. The component is fitted once (on the collection) and kept, so that queries
// embedded later land in the same space. docs/search.md has the details and the file format.

#include "embedkit/core/fasttext_model.hpp"
#include "embedkit/core/word_vectors.hpp"
#include "embedkit/detail/atomic_file.hpp"
#include "embedkit/detail/folded_vocab.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/text/vocab.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace embedkit {

enum class PassageMethod {
    mean,  ///< the plain mean of the known words' vectors
    sif,   ///< weights a / (a + p(w)), then the collection's first principal component removed
};

[[nodiscard]] inline const char* to_string(PassageMethod method) noexcept {
    return method == PassageMethod::mean ? "mean" : "sif";
}

/// Options of PassageEmbedder. Aggregate; fields are only ever appended.
struct PassageOptions {
    PassageMethod method = PassageMethod::sif;
    /// SIF's smoothing a: a word of corpus probability p weighs a / (a + p).
    double sif_a = 1e-3;
};

/// Throws invalid_options naming the field.
inline void validate(const PassageOptions& options) {
    if (options.method != PassageMethod::mean && options.method != PassageMethod::sif) {
        throw invalid_options("PassageOptions::method is not a valid PassageMethod");
    }
    if (!(options.sif_a > 0.0) || !std::isfinite(options.sif_a)) {
        throw invalid_options("PassageOptions::sif_a must be a positive finite number, got " +
                              std::to_string(options.sif_a));
    }
}

/// Where a PassageEmbedder finds a word's vector and its corpus probability. Build one with
/// `word_source(...)`; it refers to the vectors or model it was built from, which must outlive it.
template <class Scalar>
struct WordSource {
    Eigen::Index dim = 0;
    /// Writes the vector of `word` to out[0, dim) and returns true, or returns false when the
    /// word is unknown (out is then unspecified).
    std::function<bool(std::string_view word, Scalar* out)> vector;
    /// p(w): the word's count over the counts' total; 0 for a word without a count.
    std::function<double(std::string_view word)> probability;
};

namespace detail {

// Probability of a word under `counts` (exact, else ASCII lower-cased as the lookup of vectors).
inline double vocab_probability(const Vocab& counts, std::string_view word) {
    if (counts.total_count() <= 0) return 0.0;
    auto id = counts.find(word);
    if (!id) id = counts.find(ascii_lower(word));
    if (!id) return 0.0;
    return static_cast<double>(counts.count(*id)) / static_cast<double>(counts.total_count());
}

}  // namespace detail

/// Words of a vector file; a word is looked up as written, else ASCII lower-cased (as `embedkit
/// nn` does). `counts` (a vocabulary file with counts, e.g. `--save-vocab` of training) gives
/// p(w); null means no counts, which only the mean method accepts. Both must outlive the source.
template <class Scalar>
[[nodiscard]] WordSource<Scalar> word_source(const WordVectors<Scalar>& vectors, const Vocab* counts) {
    WordSource<Scalar> source;
    source.dim = vectors.dim();
    source.vector = [&vectors](std::string_view word, Scalar* out) {
        auto id = vectors.find(word);
        if (!id) id = vectors.find(detail::ascii_lower(word));
        if (!id) return false;
        Eigen::Map<RowVector<Scalar>>(out, vectors.dim()) = vectors.matrix().row(*id);
        return true;
    };
    if (counts != nullptr) {
        source.probability = [counts](std::string_view word) { return detail::vocab_probability(*counts, word); };
    }
    return source;
}

/// Words of a fastText model, with the counts of its vocabulary: a vocabulary word as written,
/// else lower-cased, else (an unseen word) the mean of its trained character n-grams.
template <class Scalar>
[[nodiscard]] WordSource<Scalar> word_source(const FastTextModel<Scalar>& model) {
    WordSource<Scalar> source;
    source.dim = model.dim();
    source.vector = [&model](std::string_view word, Scalar* out) {
        if (model.vocab().contains(word)) return model.word_vector(word, out);
        const std::string lower = detail::ascii_lower(word);
        if (model.vocab().contains(lower)) return model.word_vector(lower, out);
        return model.word_vector(word, out);  // false when no n-gram of it was trained
    };
    source.probability = [&model](std::string_view word) { return detail::vocab_probability(model.vocab(), word); };
    return source;
}

/// Splits `line` at ASCII whitespace (the tokens of a passage, as the trainers' tokenizer splits).
[[nodiscard]] inline std::vector<std::string_view> split_words(std::string_view line) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
    while (i < line.size()) {
        while (i < line.size() && space(line[i])) ++i;
        const std::size_t begin = i;
        while (i < line.size() && !space(line[i])) ++i;
        if (i > begin) words.push_back(line.substr(begin, i - begin));
    }
    return words;
}

/// Embeds passages (token lists) as the mean or the SIF vector of their words.
///
///     PassageEmbedder<float> sif(word_source(vectors, &counts), {});
///     RowMatrix<float> passages = sif.pool(collection);   // weighted means
///     sif.fit_component(passages);                         // the collection's first component
///     sif.remove_component(passages);
///     sif.save_component("passages.sif");                  // later: load_component, then embed queries
///
/// A passage without a known word gets the zero vector (and stays zero after the removal).
/// pool() is const and may run on several threads at once.
template <class Scalar = float>
class PassageEmbedder {
    static_assert(std::is_floating_point_v<Scalar>, "PassageEmbedder needs a floating-point scalar");

public:
    /// Throws invalid_options on bad options, invalid_argument when SIF is asked for and the
    /// source has no probabilities.
    PassageEmbedder(WordSource<Scalar> source, PassageOptions options)
        : source_(std::move(source)), options_(options) {
        validate(options_);
        if (!source_.vector) throw invalid_argument("PassageEmbedder: the word source has no vectors");
        if (options_.method == PassageMethod::sif && !source_.probability) {
            throw invalid_argument("PassageEmbedder: SIF needs word counts (a vocabulary file with counts)");
        }
    }

    [[nodiscard]] Eigen::Index dim() const noexcept { return source_.dim; }
    [[nodiscard]] const PassageOptions& options() const noexcept { return options_; }

    /// SIF's weight of `word`: a / (a + p(w)); 1 for the mean method.
    [[nodiscard]] double weight(std::string_view word) const {
        if (options_.method == PassageMethod::mean) return 1.0;
        return options_.sif_a / (options_.sif_a + source_.probability(word));
    }

    /// Writes the (weighted) mean of the known words of `words` to `out` (zero when none is
    /// known) and returns how many were known. No component is removed here.
    std::size_t pool(const std::vector<std::string_view>& words, Eigen::Ref<RowVector<Scalar>> out) const {
        out.setZero();
        RowVector<Scalar> word(dim());
        std::size_t known = 0;
        for (const std::string_view w : words) {
            if (!source_.vector(w, word.data())) continue;
            out += static_cast<Scalar>(weight(w)) * word;
            ++known;
        }
        // SIF divides by the number of words, as the weighted sum's normaliser in the paper's code.
        if (known > 0) out /= static_cast<Scalar>(known);
        return known;
    }

    /// pool() of every line (split at ASCII whitespace), one row per line. `unknown_lines`, when
    /// given, receives the number of lines without a known word.
    [[nodiscard]] RowMatrix<Scalar> pool(const std::vector<std::string>& lines, std::size_t* unknown_lines = nullptr) const {
        RowMatrix<Scalar> out(static_cast<Eigen::Index>(lines.size()), dim());
        std::size_t unknown = 0;
        for (std::size_t i = 0; i < lines.size(); ++i) {
            if (pool(split_words(lines[i]), out.row(static_cast<Eigen::Index>(i))) == 0) ++unknown;
        }
        if (unknown_lines != nullptr) *unknown_lines = unknown;
        return out;
    }

    /// Fits the common component: the first right singular vector of `pooled` (not centred, as
    /// in the SIF paper's code), i.e. the top eigenvector of pooled^T pooled, its largest-magnitude
    /// coordinate made positive. A collection of zero rows leaves no component (nothing removed).
    void fit_component(const Eigen::Ref<const RowMatrix<Scalar>>& pooled) {
        if (pooled.cols() != dim()) {
            throw invalid_argument("PassageEmbedder::fit_component: " + std::to_string(pooled.cols()) +
                                   " columns, expected " + std::to_string(dim()));
        }
        using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic>;
        Matrix gram = Matrix::Zero(dim(), dim());
        constexpr Eigen::Index kBlock = 4096;  // accumulate in double over blocks of rows
        for (Eigen::Index r = 0; r < pooled.rows(); r += kBlock) {
            const Eigen::Index n = std::min(kBlock, pooled.rows() - r);
            const Matrix block = pooled.middleRows(r, n).template cast<double>();
            gram.noalias() += block.transpose() * block;
        }
        component_.resize(0);
        if (dim() == 0 || gram.cwiseAbs().maxCoeff() == 0.0) return;
        Eigen::SelfAdjointEigenSolver<Matrix> solver(gram);
        if (solver.info() != Eigen::Success) throw numeric_error("PassageEmbedder::fit_component: no eigenvectors");
        Eigen::VectorXd u = solver.eigenvectors().col(dim() - 1);  // eigenvalues ascend
        Eigen::Index largest = 0;
        u.cwiseAbs().maxCoeff(&largest);
        if (u(largest) < 0) u = -u;
        component_ = u.transpose().template cast<Scalar>();
    }

    /// The fitted (or loaded) unit component; empty when none.
    [[nodiscard]] const RowVector<Scalar>& component() const noexcept { return component_; }
    [[nodiscard]] bool has_component() const noexcept { return component_.size() > 0; }

    /// Sets the component (normalised here). Throws invalid_argument on a wrong size or NaN/Inf.
    void set_component(RowVector<Scalar> u) {
        if (u.size() != 0 && u.size() != dim()) {
            throw invalid_argument("PassageEmbedder::set_component: size " + std::to_string(u.size()) +
                                   ", expected " + std::to_string(dim()));
        }
        if (!u.allFinite()) throw invalid_argument("PassageEmbedder::set_component: NaN or Inf");
        const Scalar n = u.norm();
        component_ = n > Scalar(0) ? RowVector<Scalar>(u / n) : RowVector<Scalar>();
    }

    /// x <- x - (x.u) u for every row (SIF's removal); nothing for the mean method or no component.
    void remove_component(Eigen::Ref<RowMatrix<Scalar>> pooled) const {
        if (options_.method != PassageMethod::sif || !has_component()) return;
        if (pooled.cols() != dim()) {
            throw invalid_argument("PassageEmbedder::remove_component: " + std::to_string(pooled.cols()) +
                                   " columns, expected " + std::to_string(dim()));
        }
        const Eigen::Matrix<Scalar, Eigen::Dynamic, 1> proj = pooled * component_.transpose();
        pooled.noalias() -= proj * component_;
    }

    /// The full embedding of a collection: pool(), then for SIF fit the component when none is
    /// set yet (fit on this collection) and remove it.
    [[nodiscard]] RowMatrix<Scalar> embed(const std::vector<std::string>& lines, std::size_t* unknown_lines = nullptr) {
        RowMatrix<Scalar> out = pool(lines, unknown_lines);
        if (options_.method == PassageMethod::sif && !has_component()) fit_component(out);
        remove_component(out);
        return out;
    }

    /// Writes a and the component to `path` atomically (text, docs/search.md). io_error on failure.
    void save_component(const std::string& path) const {
        detail::AtomicFileWriter writer(path);
        std::ostream& out = writer.stream();
        out << kMagic << ' ' << kVersion << '\n';
        out.precision(17);
        out << "a " << options_.sif_a << '\n' << "dim " << component_.size() << '\n';
        out.precision(std::numeric_limits<Scalar>::max_digits10);
        for (Eigen::Index j = 0; j < component_.size(); ++j) out << (j ? " " : "") << component_(j);
        out << '\n';
        writer.commit();
    }

    /// Reads a file written by save_component and takes its a and component. io_error naming the
    /// file and line on a wrong header, version, a different dimension, a bad number, or extra data.
    void load_component(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw io_error(path, "cannot open for reading");
        std::string line;
        std::size_t line_no = 0;
        const auto next = [&](const char* what) {
            if (!std::getline(in, line)) throw io_error(path, "truncated file: no " + std::string(what) + " line");
            ++line_no;
            return std::istringstream(line);
        };
        const auto fail = [&](const std::string& what) -> void {
            throw io_error(path, "line " + std::to_string(line_no) + ": " + what);
        };
        std::string word;
        int version = 0;
        auto header = next("header");
        if (!(header >> word >> version) || word != kMagic) fail("not an embedkit SIF component file");
        if (version != kVersion) fail("version " + std::to_string(version) + " is not supported (expected 1)");
        double a = 0;
        auto a_line = next("a");
        if (!(a_line >> word >> a) || word != "a" || !(a > 0.0) || !std::isfinite(a)) fail("expected 'a <positive number>'");
        long long d = -1;
        auto dim_line = next("dim");
        if (!(dim_line >> word >> d) || word != "dim" || (d != 0 && d != dim())) {
            fail("expected 'dim " + std::to_string(dim()) + "' (the vectors' dimension), got '" + line + "'");
        }
        RowVector<Scalar> u(static_cast<Eigen::Index>(d));
        auto values = next("component");
        for (Eigen::Index j = 0; j < u.size(); ++j) {
            double v = 0;
            if (!(values >> v) || !std::isfinite(v)) fail("value " + std::to_string(j + 1) + " is missing or not a finite number");
            u(j) = static_cast<Scalar>(v);
        }
        if (values >> word) fail("more than " + std::to_string(d) + " values");
        if (std::getline(in, line) && !line.empty()) {
            ++line_no;
            fail("unexpected data after the component");
        }
        options_.sif_a = a;
        set_component(std::move(u));
    }

private:
    static constexpr const char* kMagic = "embedkit-sif-component";
    static constexpr int kVersion = 1;

    WordSource<Scalar> source_;
    PassageOptions options_;
    RowVector<Scalar> component_;
};

}  // namespace embedkit
