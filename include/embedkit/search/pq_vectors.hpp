#pragma once

// Product quantisation (Jegou, Douze and Schmid, 2011): each row is cut into M subvectors, each
// replaced by the index (one byte) of its nearest of 256 centroids, learnt per subspace by k-means
// (core/kmeans.hpp). A row costs M bytes. Queries are scored asymmetrically: per subspace a table
// of the query's scores against the 256 centroids, then per row M table lookups.
// rerank_exact() rescores a shortlist from the float rows.

#include "embedkit/core/kmeans.hpp"
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
#include <fstream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace embedkit {

/// Options of PqVectors. Aggregate; fields are only ever appended.
struct PqOptions {
    /// Subvectors per row (M): bytes per row. Must divide the dimension.
    int subvectors = 10;
    /// k-means iterations per subspace.
    int iterations = 20;
    /// Rows the codebooks are trained on (the first ones; 0 = all).
    Eigen::Index training_rows = 0;
    std::uint64_t seed = 1;
    unsigned threads = 0;
};

/// Rows stored as M one-byte codes into M codebooks of 256 centroids.
class PqVectors {
public:
    using Codes = Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

    /// Trains the codebooks and encodes the rows (unit-normalised first for Metric::cosine).
    /// Throws invalid_options when subvectors does not divide the dimension, invalid_argument on
    /// NaN/Inf rows or fewer training rows than centroids (256, or the row count when smaller).
    PqVectors(const Eigen::Ref<const RowMatrix<float>>& vectors, Metric metric, const PqOptions& options,
              std::vector<std::string> labels = {})
        : metric_(metric), options_(options), labels_(std::move(labels)) {
        if (!labels_.empty() && static_cast<Eigen::Index>(labels_.size()) != vectors.rows()) {
            throw invalid_argument("PqVectors: " + std::to_string(labels_.size()) + " labels for " +
                                   std::to_string(vectors.rows()) + " rows");
        }
        const Eigen::Index d = vectors.cols();
        if (options_.subvectors < 1 || d % options_.subvectors != 0) {
            throw invalid_options("PqOptions::subvectors must divide the dimension " + std::to_string(d) + ", got " +
                                  std::to_string(options_.subvectors));
        }
        if (options_.training_rows < 0) throw invalid_options("PqOptions::training_rows must be >= 0");
        for (Eigen::Index i = 0; i < vectors.rows(); ++i) {
            if (!vectors.row(i).allFinite()) throw invalid_argument("PqVectors: row " + std::to_string(i) + " contains NaN or Inf");
        }
        RowMatrix<float> rows = vectors;
        if (metric_ == Metric::cosine) detail::normalize_rows(rows);
        const Eigen::Index m = options_.subvectors;
        sub_ = d / m;
        const Eigen::Index train = options_.training_rows > 0 ? std::min(options_.training_rows, rows.rows()) : rows.rows();
        const auto centroids = static_cast<int>(std::min<Eigen::Index>(256, train));
        if (centroids < 1) throw invalid_argument("PqVectors: no rows to train the codebooks on");
        codebooks_.resize(m * centroids, sub_);
        centroids_ = centroids;
        codes_.resize(rows.rows(), m);
        for (Eigen::Index s = 0; s < m; ++s) {
            const RowMatrix<float> part = rows.block(0, s * sub_, rows.rows(), sub_);
            KMeansOptions ko;
            ko.clusters = centroids;
            ko.iterations = options_.iterations;
            ko.seed = options_.seed + static_cast<std::uint64_t>(s);
            ko.threads = options_.threads;
            const auto fit = kmeans<float>(part.topRows(train), ko);
            codebooks_.middleRows(s * centroids, centroids) = fit.centroids;
            std::vector<std::int32_t> assignment;
            std::vector<double> distance;
            detail::assign_to_centroids<float>(part, fit.centroids, detail::resolve_threads(options_.threads), assignment,
                                               distance);
            for (Eigen::Index i = 0; i < rows.rows(); ++i) codes_(i, s) = static_cast<std::uint8_t>(assignment[static_cast<std::size_t>(i)]);
        }
    }

    [[nodiscard]] Eigen::Index rows() const noexcept { return codes_.rows(); }
    [[nodiscard]] Eigen::Index dim() const noexcept { return sub_ * options_.subvectors; }
    [[nodiscard]] Metric metric() const noexcept { return metric_; }
    [[nodiscard]] Eigen::Index bytes_per_vector() const noexcept { return options_.subvectors; }
    /// Centroids per subspace: 256, or the training rows when fewer.
    [[nodiscard]] Eigen::Index centroids() const noexcept { return centroids_; }
    [[nodiscard]] const Codes& codes() const noexcept { return codes_; }
    /// Subvector s's centroids are rows [s * centroids, (s + 1) * centroids) of this matrix.
    [[nodiscard]] const RowMatrix<float>& codebooks() const noexcept { return codebooks_; }
    /// One label per row, or empty.
    [[nodiscard]] const std::vector<std::string>& labels() const noexcept { return labels_; }

    /// Writes the codebooks, codes and labels to `path` atomically (docs/search.md).
    void save(const std::string& path) const {
        detail::AtomicFileWriter writer(path);
        detail::BinaryWriter out(writer.stream());
        detail::write_compressed_header(out, {detail::CompressedKind::pq, metric_, rows(), dim(), labels_});
        out.value<std::int64_t>(options_.subvectors);
        out.value<std::int64_t>(centroids_);
        out.values<float>(codebooks_.data(), static_cast<std::size_t>(codebooks_.size()));
        out.values<std::uint8_t>(codes_.data(), static_cast<std::size_t>(codes_.size()));
        const std::uint64_t sum = out.checksum();
        out.value<std::uint64_t>(sum);
        writer.commit();
    }

    /// Reads a file written by save(). io_error naming the file and byte offset on a wrong magic,
    /// version or kind, subvectors that do not divide the dimension, a centroid count outside
    /// [1, 256], a size that does not fit the file, non-finite centroids, a code naming a
    /// centroid that does not exist, a wrong checksum or trailing bytes.
    [[nodiscard]] static PqVectors load(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw io_error(path, "cannot open for reading");
        const std::uint64_t end = detail::compressed_file_size(path);
        detail::BinaryReader r(in, path);
        auto h = detail::read_compressed_header(r, detail::CompressedKind::pq, end);
        const auto m = r.value<std::int64_t>("the subvector count");
        const auto centroids = r.value<std::int64_t>("the centroid count");
        if (m < 1 || h.dim % m != 0) r.fail("subvectors = " + std::to_string(m) + " does not divide the dimension " + std::to_string(h.dim));
        if (centroids < 1 || centroids > 256) r.fail("centroid count " + std::to_string(centroids) + " is outside [1, 256]");
        PqVectors v;
        v.metric_ = h.metric;
        v.labels_ = std::move(h.labels);
        v.options_.subvectors = static_cast<int>(m);
        v.sub_ = h.dim / m;
        v.centroids_ = centroids;
        const auto book = detail::read_compressed_array<float>(r, static_cast<std::uint64_t>(m * centroids * v.sub_), end, "the codebooks");
        for (const float x : book) {
            if (!std::isfinite(x)) r.fail("a centroid has NaN or Inf");
        }
        if (static_cast<std::uint64_t>(h.rows) > std::numeric_limits<std::uint64_t>::max() / static_cast<std::uint64_t>(m)) r.fail("rows x subvectors overflows");
        const auto codes = detail::read_compressed_array<std::uint8_t>(r, static_cast<std::uint64_t>(h.rows * m), end, "the codes");
        for (const std::uint8_t c : codes) {
            if (c >= centroids) r.fail("a code names centroid " + std::to_string(c) + " of " + std::to_string(centroids));
        }
        detail::read_compressed_checksum(r);
        v.codebooks_ = Eigen::Map<const RowMatrix<float>>(book.data(), m * centroids, v.sub_);
        v.codes_ = Eigen::Map<const Codes>(codes.data(), h.rows, m);
        return v;
    }

    /// The row as its codes give it back (the concatenated centroids).
    [[nodiscard]] RowVector<float> decode(TokenId id) const {
        if (id < 0 || id >= rows()) throw invalid_argument("PqVectors::decode: id " + std::to_string(id) + " is out of range");
        RowVector<float> out(dim());
        for (Eigen::Index s = 0; s < options_.subvectors; ++s) {
            out.segment(s * sub_, sub_) = codebooks_.row(s * centroids_ + codes_(id, s));
        }
        return out;
    }

    /// The k best rows by the asymmetric score (the query against the decoded rows: cosine with
    /// the query normalised, dot, or for l2 -|x^ - q|), best first, equal scores by lower id.
    [[nodiscard]] std::vector<Neighbor<float>> topk(const Eigen::Ref<const RowVector<float>>& query, Eigen::Index k) const {
        detail::check_compressed_query("PqVectors", query, dim(), k);
        if (rows() == 0) return {};
        RowVector<float> q = query;
        if (metric_ == Metric::cosine) {
            const float n = q.norm();
            if (n > 0.0f) q /= n;
        }
        // table(s, c): the query's inner product with centroid c of subspace s, or minus the
        // squared distance for l2; a row's score is the sum of its M entries.
        const Eigen::Index m = options_.subvectors;
        RowMatrix<float> table(m, centroids_);
        for (Eigen::Index s = 0; s < m; ++s) {
            const auto block = codebooks_.middleRows(s * centroids_, centroids_);
            const RowVector<float> qs = q.segment(s * sub_, sub_);
            if (metric_ == Metric::l2) {
                table.row(s) = -(block.rowwise() - qs).rowwise().squaredNorm().transpose();
            } else {
                table.row(s).noalias() = qs * block.transpose();
            }
        }
        detail::TopKHeap<float> heap;
        heap.reset(static_cast<std::size_t>(std::min(k, rows())));
        for (Eigen::Index i = 0; i < rows(); ++i) {
            const std::uint8_t* code = codes_.data() + i * m;
            float score = 0.0f;
            for (Eigen::Index s = 0; s < m; ++s) score += table(s, code[s]);
            if (score >= heap.threshold()) heap.push(static_cast<TokenId>(i), score);
        }
        auto best = heap.take_sorted();
        if (metric_ == Metric::l2) {
            for (auto& n : best) n.score = -std::sqrt(std::max(0.0f, -n.score));
        }
        return best;
    }

private:
    PqVectors() = default;

    Metric metric_ = Metric::cosine;
    PqOptions options_;
    std::vector<std::string> labels_;
    Eigen::Index sub_ = 0;
    Eigen::Index centroids_ = 0;
    RowMatrix<float> codebooks_;
    Codes codes_;
};

}  // namespace embedkit
