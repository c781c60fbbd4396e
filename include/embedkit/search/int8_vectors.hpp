#pragma once

// int8 scalar quantisation: each coordinate stored in one byte (4x smaller than float), per
// dimension on a uniform grid of 256 steps between that dimension's minimum and maximum. Searched
// asymmetrically (the query stays float); rerank_exact() rescores a shortlist from the float rows.

#include "embedkit/detail/atomic_file.hpp"
#include "embedkit/detail/binary_io.hpp"
#include "embedkit/detail/kernels.hpp"
#include "embedkit/detail/topk_heap.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/search/compressed_file.hpp"
#include "embedkit/search/rerank.hpp"
#include "embedkit/search/topk_index.hpp"
#include "embedkit/types.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace embedkit {

/// Rows stored as int8 codes: x_j ~ low_j + step_j (code_j + 128).
class Int8Vectors {
public:
    using Codes = Eigen::Matrix<std::int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

    /// Quantises the rows of `vectors` (unit-normalised first for Metric::cosine). Throws
    /// invalid_argument on NaN/Inf (naming the row).
    explicit Int8Vectors(const Eigen::Ref<const RowMatrix<float>>& vectors, Metric metric = Metric::cosine,
                         std::vector<std::string> labels = {})
        : metric_(metric), labels_(std::move(labels)) {
        if (!labels_.empty() && static_cast<Eigen::Index>(labels_.size()) != vectors.rows()) {
            throw invalid_argument("Int8Vectors: " + std::to_string(labels_.size()) + " labels for " +
                                   std::to_string(vectors.rows()) + " rows");
        }
        for (Eigen::Index i = 0; i < vectors.rows(); ++i) {
            if (!vectors.row(i).allFinite()) throw invalid_argument("Int8Vectors: row " + std::to_string(i) + " contains NaN or Inf");
        }
        RowMatrix<float> rows = vectors;
        if (metric_ == Metric::cosine) detail::normalize_rows(rows);
        const Eigen::Index d = rows.cols();
        low_ = rows.rows() > 0 ? RowVector<float>(rows.colwise().minCoeff()) : RowVector<float>::Zero(d);
        const RowVector<float> high = rows.rows() > 0 ? RowVector<float>(rows.colwise().maxCoeff()) : RowVector<float>::Zero(d);
        step_ = (high - low_) / 255.0f;
        codes_.resize(rows.rows(), d);
        for (Eigen::Index i = 0; i < rows.rows(); ++i) {
            for (Eigen::Index j = 0; j < d; ++j) {
                const float level = step_(j) > 0.0f ? std::round((rows(i, j) - low_(j)) / step_(j)) : 0.0f;
                codes_(i, j) = static_cast<std::int8_t>(static_cast<int>(std::clamp(level, 0.0f, 255.0f)) - 128);
            }
        }
        sqnorms_.resize(rows.rows());
        for (Eigen::Index i = 0; i < rows.rows(); ++i) sqnorms_(i) = decode(static_cast<TokenId>(i)).squaredNorm();
    }

    [[nodiscard]] Eigen::Index rows() const noexcept { return codes_.rows(); }
    [[nodiscard]] Eigen::Index dim() const noexcept { return codes_.cols(); }
    [[nodiscard]] Metric metric() const noexcept { return metric_; }
    /// Bytes of one row's code (the per-dimension grid adds 8 bytes per dimension in all).
    [[nodiscard]] Eigen::Index bytes_per_vector() const noexcept { return dim(); }
    [[nodiscard]] const Codes& codes() const noexcept { return codes_; }
    /// One label per row, or empty.
    [[nodiscard]] const std::vector<std::string>& labels() const noexcept { return labels_; }

    /// Writes the codes, grid and labels to `path` atomically (docs/search.md). io_error on failure.
    void save(const std::string& path) const {
        detail::AtomicFileWriter writer(path);
        detail::BinaryWriter out(writer.stream());
        detail::write_compressed_header(out, {detail::CompressedKind::int8, metric_, rows(), dim(), labels_});
        out.values<float>(low_.data(), static_cast<std::size_t>(dim()));
        out.values<float>(step_.data(), static_cast<std::size_t>(dim()));
        out.values<std::int8_t>(codes_.data(), static_cast<std::size_t>(codes_.size()));
        const std::uint64_t sum = out.checksum();
        out.value<std::uint64_t>(sum);
        writer.commit();
    }

    /// Reads a file written by save(). io_error naming the file and byte offset on a wrong magic,
    /// version or kind, a size that does not fit the file, a non-finite or negative grid, a wrong
    /// checksum or trailing bytes.
    [[nodiscard]] static Int8Vectors load(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw io_error(path, "cannot open for reading");
        const std::uint64_t end = detail::compressed_file_size(path);
        detail::BinaryReader r(in, path);
        auto h = detail::read_compressed_header(r, detail::CompressedKind::int8, end);
        Int8Vectors v;
        v.metric_ = h.metric;
        v.labels_ = std::move(h.labels);
        const auto d = static_cast<std::uint64_t>(h.dim);
        const auto low = detail::read_compressed_array<float>(r, d, end, "the grid's minimums");
        const auto step = detail::read_compressed_array<float>(r, d, end, "the grid's steps");
        for (std::size_t j = 0; j < d; ++j) {
            if (!std::isfinite(low[j]) || !std::isfinite(step[j]) || step[j] < 0.0f) {
                r.fail("the grid of dimension " + std::to_string(j) + " is not finite and non-negative");
            }
        }
        if (static_cast<std::uint64_t>(h.rows) > std::numeric_limits<std::uint64_t>::max() / d) r.fail("rows x dim overflows");
        const auto codes = detail::read_compressed_array<std::int8_t>(r, static_cast<std::uint64_t>(h.rows) * d, end, "the codes");
        detail::read_compressed_checksum(r);
        v.low_ = Eigen::Map<const RowVector<float>>(low.data(), h.dim);
        v.step_ = Eigen::Map<const RowVector<float>>(step.data(), h.dim);
        v.codes_ = Eigen::Map<const Codes>(codes.data(), h.rows, h.dim);
        v.sqnorms_.resize(h.rows);
        for (Eigen::Index i = 0; i < h.rows; ++i) v.sqnorms_(i) = v.decode(static_cast<TokenId>(i)).squaredNorm();
        return v;
    }

    /// The row as the codes give it back.
    [[nodiscard]] RowVector<float> decode(TokenId id) const {
        if (id < 0 || id >= rows()) throw invalid_argument("Int8Vectors::decode: id " + std::to_string(id) + " is out of range");
        return low_.array() + step_.array() * (codes_.row(id).cast<float>().array() + 128.0f);
    }

    /// The k best rows by the score of the query against the decoded rows (cosine: the query
    /// normalised, the rows as decoded; l2: -|x^ - q|), best first, equal scores by lower id.
    [[nodiscard]] std::vector<Neighbor<float>> topk(const Eigen::Ref<const RowVector<float>>& query, Eigen::Index k) const {
        detail::check_compressed_query("Int8Vectors", query, dim(), k);
        if (rows() == 0) return {};
        RowVector<float> q = query;
        if (metric_ == Metric::cosine) {
            const float n = q.norm();
            if (n > 0.0f) q /= n;
        }
        // q.x^ = q.low + sum_j (q_j step_j) (code_j + 128): one float dot per row with the codes.
        const RowVector<float> scaled = q.cwiseProduct(step_);
        const float offset = q.dot(low_) + 128.0f * scaled.sum();
        detail::TopKHeap<float> heap;
        heap.reset(static_cast<std::size_t>(std::min(k, rows())));
        RowVector<float> code(dim());
        for (Eigen::Index i = 0; i < rows(); ++i) {
            code = codes_.row(i).cast<float>();
            const float dot = offset + scaled.dot(code);
            const float score = metric_ == Metric::l2 ? 2.0f * dot - sqnorms_(i) : dot;  // l2 ranks by 2 q.x - |x|^2
            if (score >= heap.threshold() || heap.size() < heap.capacity()) heap.push(static_cast<TokenId>(i), score);
        }
        auto best = heap.take_sorted();
        if (metric_ == Metric::l2) {
            for (auto& n : best) n.score = -std::sqrt(std::max(0.0f, (decode(n.id) - query).squaredNorm()));
            std::sort(best.begin(), best.end(), detail::better<float>);
        }
        return best;
    }

private:
    Int8Vectors() = default;

    Metric metric_ = Metric::cosine;
    std::vector<std::string> labels_;
    RowVector<float> low_;
    RowVector<float> step_;
    Codes codes_;
    Eigen::Matrix<float, Eigen::Dynamic, 1> sqnorms_;
};

}  // namespace embedkit
