#pragma once

// Approximate k-nearest-neighbour search on hnswlib's HNSW graph (Malkov and Yashunin, 2016),
// behind the interface of the exact TopKIndex: the same Metric, SearchOptions (exclusions) and
// Neighbor results, best first. Optional: this header needs hnswlib's headers (Debian's
// libhnswlib-dev) and the CMake target embedkit::hnsw; <embedkit/embedkit.hpp> never includes it.
// The file format (a header, the row labels, the graph, a checksum) is in docs/search.md.
// hnswlib 0.6 (Debian 12) defines non-inline functions and variables in its headers (fixed
// upstream in 0.7), so one translation unit per program at most may include this header: keep a
// program's HNSW code in one .cpp file (the CLI keeps it in cli/index.cpp).

#include "embedkit/detail/atomic_file.hpp"
#include "embedkit/detail/binary_io.hpp"
#include "embedkit/detail/kernels.hpp"
#include "embedkit/detail/parallel.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/search/topk_index.hpp"
#include "embedkit/types.hpp"

// hnswlib 0.6's SSE prefetches read one neighbour id past the end of a link list (searchBaseLayer,
// searchBaseLayerST): harmless on hardware, where a prefetch never faults, but AddressSanitizer
// reports the read. Under AddressSanitizer its hand-written SIMD (and so the prefetches) is
// compiled out with its own switch, NO_MANUAL_VECTORIZATION.
#if defined(__SANITIZE_ADDRESS__)
#define EMBEDKIT_HNSWLIB_UNDER_ASAN
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMBEDKIT_HNSWLIB_UNDER_ASAN
#endif
#endif
#if defined(EMBEDKIT_HNSWLIB_UNDER_ASAN) && !defined(NO_MANUAL_VECTORIZATION)
#define NO_MANUAL_VECTORIZATION
#endif
#include <hnswlib/hnswlib.h>

#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

namespace embedkit {

/// Options of HnswIndex. Aggregate; fields are only ever appended.
struct HnswOptions {
    Metric metric = Metric::cosine;
    /// Links per node (hnswlib's M; the bottom layer has 2 M). More: better recall, more memory.
    int m = 16;
    /// Candidate list while inserting. More: a better graph, a slower build.
    int ef_construction = 200;
    /// Candidate list while searching (at least k is used). More: better recall, slower queries.
    int ef_search = 64;
    /// Threads of builds and batched queries; 0 = every core.
    unsigned threads = 0;
    /// Seed of the layer assignment. With one build thread the graph depends on nothing else.
    std::uint64_t seed = 100;
};

/// Throws invalid_options naming the field.
inline void validate(const HnswOptions& o) {
    if (o.metric != Metric::cosine && o.metric != Metric::dot && o.metric != Metric::l2) {
        throw invalid_options("HnswOptions::metric is not a valid Metric");
    }
    if (o.m < 2 || o.m > 2048) throw invalid_options("HnswOptions::m must be in [2, 2048], got " + std::to_string(o.m));
    if (o.ef_construction < 1) {
        throw invalid_options("HnswOptions::ef_construction must be positive, got " + std::to_string(o.ef_construction));
    }
    if (o.ef_search < 1) throw invalid_options("HnswOptions::ef_search must be positive, got " + std::to_string(o.ef_search));
}

/// An HNSW index over float rows; row i has id i (rows added later continue the numbering) and,
/// optionally, a label (the word or passage name) saved with the index.
///
/// Cosine normalises rows and queries and searches hnswlib's inner-product space (on unit vectors
/// the inner product is the cosine); dot searches the inner product of the raw rows (a maximum
/// inner-product search, which HNSW answers less well than cosine); l2 searches squared
/// Euclidean distance. Scores are TopKIndex's: the cosine, the dot product, or -|x - q|.
/// Queries are const and thread-safe; add() and set_ef_search() are not to run beside them.
class HnswIndex {
public:
    using Results = std::vector<Neighbor<float>>;

    /// An empty index of dimension `dim`. Throws invalid_options on bad options or dim < 1.
    HnswIndex(Eigen::Index dim, const HnswOptions& options) : options_(options), dim_(dim) {
        validate(options_);
        if (dim_ < 1 || dim_ > kMaxDim) throw invalid_options("HnswIndex: dimension must be in [1, 1000000], got " + std::to_string(dim_));
        make_space();
        graph_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(space_.get(), 1, static_cast<std::size_t>(options_.m),
                                                                   static_cast<std::size_t>(options_.ef_construction),
                                                                   static_cast<std::size_t>(options_.seed));
        graph_->setEf(static_cast<std::size_t>(options_.ef_search));
    }

    /// Builds the index over the rows of `vectors` (ids 0..rows-1) with `labels` (empty, or one per row).
    explicit HnswIndex(const Eigen::Ref<const RowMatrix<float>>& vectors, const HnswOptions& options = {},
                       std::vector<std::string> labels = {})
        : HnswIndex(vectors.cols(), options) {
        add(vectors, std::move(labels));
    }

    HnswIndex(HnswIndex&&) noexcept = default;
    HnswIndex& operator=(HnswIndex&&) noexcept = default;

    [[nodiscard]] Eigen::Index rows() const noexcept { return rows_; }
    [[nodiscard]] Eigen::Index dim() const noexcept { return dim_; }
    [[nodiscard]] Metric metric() const noexcept { return options_.metric; }
    [[nodiscard]] const HnswOptions& options() const noexcept { return options_; }
    /// One label per row, or empty when the rows have none.
    [[nodiscard]] const std::vector<std::string>& labels() const noexcept { return labels_; }

    /// Row `id` as the index holds it (unit-normalised for cosine). invalid_argument if out of range.
    [[nodiscard]] RowVector<float> row(TokenId id) const {
        if (id < 0 || id >= rows_) {
            throw invalid_argument("HnswIndex::row: id " + std::to_string(id) + " is out of range [0, " + std::to_string(rows_) + ")");
        }
        const std::vector<float> values = graph_->getDataByLabel<float>(static_cast<hnswlib::labeltype>(id));
        return Eigen::Map<const RowVector<float>>(values.data(), dim_);
    }

    void set_ef_search(int ef) {
        if (ef < 1) throw invalid_options("HnswOptions::ef_search must be positive, got " + std::to_string(ef));
        options_.ef_search = ef;
        graph_->setEf(static_cast<std::size_t>(ef));
    }
    void set_threads(unsigned threads) noexcept { options_.threads = threads; }

    /// Appends rows (ids rows()..rows()+n-1), inserting them on options().threads threads. An
    /// index with labels needs one label per new row; an empty index takes labels or none.
    /// Throws invalid_argument on a wrong dimension, NaN/Inf (naming the row) or a label count
    /// that does not match; nothing is added then.
    void add(const Eigen::Ref<const RowMatrix<float>>& vectors, std::vector<std::string> labels = {}) {
        if (vectors.cols() != dim_) {
            throw invalid_argument("HnswIndex::add: rows of dimension " + std::to_string(vectors.cols()) +
                                   ", the index has " + std::to_string(dim_));
        }
        const bool labelled = rows_ == 0 ? !labels.empty() : !labels_.empty();
        if (labelled && static_cast<Eigen::Index>(labels.size()) != vectors.rows()) {
            throw invalid_argument("HnswIndex::add: " + std::to_string(labels.size()) + " labels for " +
                                   std::to_string(vectors.rows()) + " rows (this index labels every row)");
        }
        if (!labelled && !labels.empty()) throw invalid_argument("HnswIndex::add: labels given, but the index's rows have none");
        for (Eigen::Index i = 0; i < vectors.rows(); ++i) {
            if (!vectors.row(i).allFinite()) throw invalid_argument("HnswIndex::add: row " + std::to_string(i) + " contains NaN or Inf");
        }
        if (vectors.rows() == 0) return;
        if (rows_ + vectors.rows() > kMaxRows) throw invalid_argument("HnswIndex::add: more than 2^31-1 rows");
        graph_->resizeIndex(static_cast<std::size_t>(rows_ + vectors.rows()));
        const Eigen::Index first = rows_;
        std::atomic<Eigen::Index> next{0};
        const auto insert = [&](Eigen::Index i) {
            RowVector<float> row = vectors.row(i);
            if (options_.metric == Metric::cosine) normalize(row);
            graph_->addPoint(row.data(), static_cast<hnswlib::labeltype>(first + i));
        };
        Eigen::Index start = 0;
        if (rows_ == 0) insert(start++);  // the entry point first, as hnswlib's own bindings do
        next = start;
        const unsigned threads = vectors.rows() - start < 64 ? 1u : detail::resolve_threads(options_.threads);
        detail::run_threads(threads, [&](unsigned) {
            for (;;) {
                const Eigen::Index begin = next.fetch_add(kInsertChunk);
                if (begin >= vectors.rows()) return;
                const Eigen::Index end = std::min(vectors.rows(), begin + kInsertChunk);
                for (Eigen::Index i = begin; i < end; ++i) insert(i);
            }
        });
        rows_ += vectors.rows();
        for (auto& l : labels) labels_.push_back(std::move(l));
    }

    /// The k best rows for one query (k above rows() returns every row, ranked approximately).
    /// Throws invalid_argument if k <= 0, the query's size is not dim() or it holds NaN/Inf;
    /// invalid_options if options.restrict_rows is not 0 (HNSW cannot restrict the rows it visits).
    [[nodiscard]] Results topk(const Eigen::Ref<const RowVector<float>>& query, Eigen::Index k,
                               const SearchOptions& options = {}) const {
        if (options.exclude_per_query.size() > 1) {
            throw invalid_argument("HnswIndex::topk: exclude_per_query has " +
                                   std::to_string(options.exclude_per_query.size()) + " lists for 1 query");
        }
        check(options, k);
        check_query(query, 0);
        return search_one(query, k, options.exclude, options.exclude_per_query.empty() ? kNone : options.exclude_per_query[0]);
    }

    /// The k best rows for each row of `queries`, in query order, on options().threads threads.
    [[nodiscard]] std::vector<Results> topk_batch(const Eigen::Ref<const RowMatrix<float>>& queries, Eigen::Index k,
                                                  const SearchOptions& options = {}) const {
        if (!options.exclude_per_query.empty() &&
            static_cast<Eigen::Index>(options.exclude_per_query.size()) != queries.rows()) {
            throw invalid_argument("HnswIndex::topk_batch: exclude_per_query has " +
                                   std::to_string(options.exclude_per_query.size()) + " lists for " +
                                   std::to_string(queries.rows()) + " queries");
        }
        check(options, k);
        for (Eigen::Index i = 0; i < queries.rows(); ++i) check_query(queries.row(i), i);
        std::vector<Results> results(static_cast<std::size_t>(queries.rows()));
        const unsigned threads = queries.rows() < 16 ? 1u : detail::resolve_threads(options_.threads);
        std::atomic<Eigen::Index> next{0};
        detail::run_threads(threads, [&](unsigned) {
            for (;;) {
                const Eigen::Index begin = next.fetch_add(kQueryChunk);
                if (begin >= queries.rows()) return;
                const Eigen::Index end = std::min(queries.rows(), begin + kQueryChunk);
                for (Eigen::Index q = begin; q < end; ++q) {
                    const auto& own = options.exclude_per_query.empty() ? kNone : options.exclude_per_query[static_cast<std::size_t>(q)];
                    results[static_cast<std::size_t>(q)] = search_one(queries.row(q), k, options.exclude, own);
                }
            }
        });
        return results;
    }

    /// Writes the index, its options and labels to `path` atomically. io_error on failure.
    void save(const std::string& path) const {
        detail::AtomicFileWriter writer(path);
        detail::BinaryWriter out(writer.stream());
        out.bytes(kMagic, sizeof kMagic);
        out.value<std::uint32_t>(kVersion);
        out.value<std::uint32_t>(static_cast<std::uint32_t>(options_.metric));
        out.value<std::int64_t>(dim_);
        out.value<std::int64_t>(rows_);
        out.value<std::int64_t>(options_.m);
        out.value<std::int64_t>(options_.ef_construction);
        out.value<std::int64_t>(options_.ef_search);
        out.value<std::uint64_t>(options_.seed);
        out.value<std::uint8_t>(labels_.empty() ? 0 : 1);
        for (const auto& l : labels_) {
            out.value<std::uint32_t>(static_cast<std::uint32_t>(l.size()));
            out.bytes(l.data(), l.size());
        }
        write_graph(out);
        const std::uint64_t sum = out.checksum();
        out.value<std::uint64_t>(sum);
        writer.commit();
    }

    /// Reads an index written by save(). io_error naming the file and byte offset on anything
    /// unexpected: wrong magic or version, bad sizes, a graph that does not fit its header, a
    /// wrong checksum, trailing bytes. Every size is checked against the file size before use.
    [[nodiscard]] static HnswIndex load(const std::string& path, unsigned threads = 0) {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw io_error(path, "cannot open for reading");
        std::error_code ec;
        const auto file_size = std::filesystem::file_size(path, ec);
        if (ec) throw io_error(path, "cannot read the file size: " + ec.message());
        detail::BinaryReader r(in, path);
        const auto left = [&] { return file_size - std::min<std::uint64_t>(file_size, r.offset()); };
        char magic[sizeof kMagic];
        r.bytes(magic, sizeof magic, "the magic bytes");
        if (std::memcmp(magic, kMagic, sizeof magic) != 0) r.fail("not an embedkit HNSW index file (wrong magic bytes)");
        const auto version = r.value<std::uint32_t>("the version");
        if (version != kVersion) r.fail("version " + std::to_string(version) + " is not supported (this embedkit reads 1)");
        HnswOptions o;
        o.threads = threads;
        const auto metric = r.value<std::uint32_t>("the metric");
        if (metric > 2) r.fail("unknown metric " + std::to_string(metric));
        o.metric = static_cast<Metric>(metric);
        const auto dim = r.value<std::int64_t>("the dimension");
        const auto rows = r.value<std::int64_t>("the row count");
        const auto m = r.value<std::int64_t>("m");
        const auto efc = r.value<std::int64_t>("ef_construction");
        const auto efs = r.value<std::int64_t>("ef_search");
        o.seed = r.value<std::uint64_t>("the seed");
        if (dim < 1 || dim > kMaxDim) r.fail("dimension " + std::to_string(dim) + " is outside [1, 1000000]");
        if (rows < 0 || rows > kMaxRows) r.fail("row count " + std::to_string(rows) + " is outside [0, 2^31-1]");
        if (m < 2 || m > 2048) r.fail("m = " + std::to_string(m) + " is outside [2, 2048]");
        if (efc < 1 || efc > kMaxEf || efs < 1 || efs > kMaxEf) r.fail("ef_construction or ef_search is outside [1, 2^31-1]");
        o.m = static_cast<int>(m);
        o.ef_construction = static_cast<int>(efc);
        o.ef_search = static_cast<int>(efs);
        const auto labelled = r.value<std::uint8_t>("the label flag");
        if (labelled > 1) r.fail("the label flag is " + std::to_string(labelled) + ", not 0 or 1");
        std::vector<std::string> labels;
        if (labelled) {
            if (static_cast<std::uint64_t>(rows) * 4 > left()) r.fail("truncated file: " + std::to_string(rows) + " labels do not fit");
            labels.resize(static_cast<std::size_t>(rows));
            for (auto& l : labels) {
                const auto n = r.value<std::uint32_t>("a label's length");
                if (n > left()) r.fail("truncated file: a label of " + std::to_string(n) + " bytes does not fit");
                l.resize(n);
                r.bytes(l.data(), n, "a label");
            }
        }
        HnswIndex index(dim, o);
        index.read_graph(r, rows, left());
        const std::uint64_t expected = r.checksum();
        const auto stored = r.value<std::uint64_t>("the checksum");
        if (stored != expected) r.fail("checksum mismatch: the file is corrupt");
        if (!r.at_end()) r.fail("unexpected bytes after the checksum");
        index.labels_ = std::move(labels);
        return index;
    }

private:
    static constexpr char kMagic[8] = {'E', 'K', 'H', 'N', 'S', 'W', '\0', '\1'};
    static constexpr std::uint32_t kVersion = 1;
    static constexpr Eigen::Index kMaxDim = 1'000'000;
    static constexpr Eigen::Index kMaxRows = std::numeric_limits<std::int32_t>::max();
    static constexpr std::int64_t kMaxEf = std::numeric_limits<std::int32_t>::max();
    static constexpr Eigen::Index kInsertChunk = 64;
    static constexpr Eigen::Index kQueryChunk = 16;
    static inline const std::vector<TokenId> kNone{};

    static void normalize(RowVector<float>& v) {
        const float n = v.norm();
        if (n > 0.0f) v /= n;
    }

    void make_space() {
        if (options_.metric == Metric::l2) {
            space_ = std::make_unique<hnswlib::L2Space>(static_cast<std::size_t>(dim_));
        } else {
            space_ = std::make_unique<hnswlib::InnerProductSpace>(static_cast<std::size_t>(dim_));
        }
    }

    void check(const SearchOptions& options, Eigen::Index k) const {
        validate(options);
        if (options.restrict_rows != 0) {
            throw invalid_options("HnswIndex: SearchOptions::restrict_rows is not supported (an HNSW graph cannot "
                                  "restrict the rows it visits); use TopKIndex");
        }
        if (k <= 0) throw invalid_argument("HnswIndex: k must be positive, got " + std::to_string(k));
    }

    void check_query(const Eigen::Ref<const RowVector<float>>& query, Eigen::Index number) const {
        if (query.size() != dim_) {
            throw invalid_argument("HnswIndex: query dimension " + std::to_string(query.size()) +
                                   " does not match the index dimension " + std::to_string(dim_));
        }
        for (Eigen::Index j = 0; j < query.size(); ++j) {
            if (!std::isfinite(query(j))) {
                throw invalid_argument("HnswIndex: query " + std::to_string(number) + " has NaN or Inf at column " +
                                       std::to_string(j));
            }
        }
    }

    static bool listed(const std::vector<TokenId>& ids, TokenId id) {
        return std::find(ids.begin(), ids.end(), id) != ids.end();
    }

    // Asks the graph for k plus the number of exclusions, drops the excluded, keeps the k best.
    Results search_one(const Eigen::Ref<const RowVector<float>>& query, Eigen::Index k, const std::vector<TokenId>& shared,
                       const std::vector<TokenId>& own) const {
        Results best;
        if (rows_ == 0) return best;
        RowVector<float> q = query;
        if (options_.metric == Metric::cosine) normalize(q);
        // All ef candidates are taken (the search finds them anyway), so that ties at the k-th
        // score go to the lower id, as in TopKIndex, among the rows the search reached.
        const Eigen::Index asked = std::max<Eigen::Index>(options_.ef_search, k + static_cast<Eigen::Index>(shared.size() + own.size()));
        const auto want = static_cast<std::size_t>(std::min<Eigen::Index>(rows_, asked));
        auto found = graph_->searchKnn(q.data(), want);
        best.reserve(found.size());
        for (; !found.empty(); found.pop()) {
            const auto [distance, label] = found.top();
            const auto id = static_cast<TokenId>(label);
            if (listed(shared, id) || listed(own, id)) continue;
            // hnswlib's inner-product distance is 1 - x.q; its L2 distance is squared.
            const float score = options_.metric == Metric::l2 ? -std::sqrt(std::max(distance, 0.0f)) : 1.0f - distance;
            best.push_back({id, score});
        }
        std::sort(best.begin(), best.end(), detail::better<float>);
        if (static_cast<Eigen::Index>(best.size()) > k) best.resize(static_cast<std::size_t>(k));
        return best;
    }

    // The graph in hnswlib's own layout (the fields its saveIndex writes, in that order), so that
    // hnswlib's loadIndex reads it back.
    void write_graph(detail::BinaryWriter& out) const {
        const auto& g = *graph_;
        const std::size_t count = g.cur_element_count;
        out.value<std::uint64_t>(g.offsetLevel0_);
        out.value<std::uint64_t>(count);  // max_elements: exactly the rows
        out.value<std::uint64_t>(count);
        out.value<std::uint64_t>(g.size_data_per_element_);
        out.value<std::uint64_t>(g.label_offset_);
        out.value<std::uint64_t>(g.offsetData_);
        out.value<std::int32_t>(g.maxlevel_);
        out.value<std::uint32_t>(g.enterpoint_node_);
        out.value<std::uint64_t>(g.maxM_);
        out.value<std::uint64_t>(g.maxM0_);
        out.value<std::uint64_t>(g.M_);
        out.value<double>(g.mult_);
        out.value<std::uint64_t>(g.ef_construction_);
        static_assert(detail::kBinaryHostLittleEndian, "hnswlib's layout is the host's; embedkit writes little-endian");
        out.bytes(g.data_level0_memory_, count * g.size_data_per_element_);
        for (std::size_t i = 0; i < count; ++i) {
            const auto bytes = static_cast<std::uint32_t>(g.element_levels_[i] > 0 ? g.size_links_per_element_ * static_cast<std::size_t>(g.element_levels_[i]) : 0);
            out.value<std::uint32_t>(bytes);
            if (bytes > 0) out.bytes(g.linkLists_[i], bytes);
        }
    }

    // Reads the graph, checks every field, offset, link and label against dim, m and `rows`
    // (so hnswlib never meets a bad value), then hands it to hnswlib's loader through a
    // temporary file (hnswlib 0.6 loads from a path only).
    void read_graph(detail::BinaryReader& r, std::int64_t rows, std::uint64_t left) {
        const std::uint64_t file_end = r.offset() + left;
        const auto remaining = [&] { return file_end - std::min(file_end, r.offset()); };
        const auto u64 = [&](const char* what) { return r.value<std::uint64_t>(what); };
        const std::uint64_t offset0 = u64("the graph's level-0 offset");
        const std::uint64_t max_elements = u64("the graph's capacity");
        const std::uint64_t count = u64("the graph's row count");
        const std::uint64_t per_element = u64("the graph's bytes per row");
        const std::uint64_t label_offset = u64("the graph's label offset");
        const std::uint64_t data_offset = u64("the graph's data offset");
        const auto max_level = r.value<std::int32_t>("the graph's top level");
        const auto entry = r.value<std::uint32_t>("the graph's entry point");
        const std::uint64_t max_m = u64("the graph's M");
        const std::uint64_t max_m0 = u64("the graph's M0");
        const std::uint64_t m = u64("the graph's m");
        const double mult = r.value<double>("the graph's level multiplier");
        const std::uint64_t efc = u64("the graph's ef_construction");
        const auto want_m = static_cast<std::uint64_t>(options_.m);
        const std::uint64_t links0 = want_m * 2 * 4 + 4;
        const std::uint64_t links = want_m * 4 + 4;
        const std::uint64_t data_bytes = static_cast<std::uint64_t>(dim_) * sizeof(float);
        if (count != static_cast<std::uint64_t>(rows) || max_elements != count) r.fail("the graph's row count does not match the header's");
        if (m != want_m || max_m != want_m || max_m0 != 2 * want_m || offset0 != 0 || data_offset != links0 ||
            label_offset != links0 + data_bytes || per_element != links0 + data_bytes + 8 ||
            efc != std::max<std::uint64_t>(static_cast<std::uint64_t>(options_.ef_construction), want_m)) {  // hnswlib keeps max(ef_construction, M)
            r.fail("the graph's layout does not match the header's dimension and m");
        }
        if (!(mult > 0.0) || !std::isfinite(mult)) r.fail("the graph's level multiplier is not a positive number");
        if (max_level < (count == 0 ? -1 : 0) || max_level > kMaxLevel || (count > 0 && entry >= count)) r.fail("the graph's top level or entry point is out of range");
        if (count * per_element > remaining()) r.fail("truncated file: " + std::to_string(count) + " graph rows do not fit");
        std::vector<char> level0(static_cast<std::size_t>(count * per_element));
        r.bytes(level0.data(), level0.size(), "the graph's bottom layer");
        std::vector<char> seen(static_cast<std::size_t>(count), 0);
        for (std::uint64_t i = 0; i < count; ++i) {
            const char* e = level0.data() + i * per_element;
            check_links(r, e, 2 * want_m, count, i, 0);
            const float* v = reinterpret_cast<const float*>(e + data_offset);
            for (Eigen::Index j = 0; j < dim_; ++j) {
                float x;
                std::memcpy(&x, v + j, sizeof x);
                if (!std::isfinite(x)) r.fail("row " + std::to_string(i) + " of the graph has NaN or Inf");
            }
            std::uint64_t label;
            std::memcpy(&label, e + label_offset, sizeof label);
            if (label >= count || seen[static_cast<std::size_t>(label)]) r.fail("the graph's row labels are not a permutation of the rows");
            seen[static_cast<std::size_t>(label)] = 1;
        }
        std::vector<std::uint32_t> list_bytes(static_cast<std::size_t>(count));
        std::vector<std::vector<char>> upper(static_cast<std::size_t>(count));
        int top = 0;
        for (std::uint64_t i = 0; i < count; ++i) {
            const auto bytes = r.value<std::uint32_t>("a row's upper-layer size");
            if (bytes % links != 0 || bytes / links > static_cast<std::uint64_t>(kMaxLevel)) r.fail("row " + std::to_string(i) + " has a bad upper-layer size");
            if (bytes > remaining()) r.fail("truncated file: a row's upper layers do not fit");
            auto& list = upper[static_cast<std::size_t>(i)];
            list.resize(bytes);
            r.bytes(list.data(), bytes, "a row's upper layers");
            const auto levels = static_cast<int>(bytes / links);
            for (int level = 0; level < levels; ++level) check_links(r, list.data() + static_cast<std::uint64_t>(level) * links, want_m, count, i, level + 1);
            top = std::max(top, levels);
            list_bytes[static_cast<std::size_t>(i)] = bytes;
        }
        if (count > 0 && (top != max_level || static_cast<int>(list_bytes[entry] / links) != max_level)) {
            r.fail("the graph's entry point is not on its top level");
        }
        // A link on level L must lead to a row that has level L (hnswlib reads its list there).
        for (std::uint64_t i = 0; i < count; ++i) {
            const auto& list = upper[static_cast<std::size_t>(i)];
            const auto levels = static_cast<std::uint64_t>(list.size() / links);
            for (std::uint64_t level = 1; level <= levels; ++level) {
                const char* at = list.data() + (level - 1) * links;
                std::uint32_t n;
                std::memcpy(&n, at, sizeof n);
                for (std::uint32_t j = 0; j < n; ++j) {
                    std::uint32_t to;
                    std::memcpy(&to, at + 4 + 4 * j, sizeof to);
                    if (list_bytes[to] / links < level) {
                        r.fail("row " + std::to_string(i) + " links on level " + std::to_string(level) + " to row " +
                               std::to_string(to) + ", which has no such level");
                    }
                }
            }
        }
        if (count == 0) return;
        // hnswlib's loader reads a path: write the checked graph to a temporary file.
        std::string pattern = (std::filesystem::temp_directory_path() / "embedkit-hnsw.XXXXXX").string();
        const int fd = ::mkstemp(pattern.data());
        if (fd < 0) throw io_error(pattern, "cannot create a temporary file to load the graph");
        ::close(fd);
        struct Remove {
            std::string path;
            ~Remove() { std::remove(path.c_str()); }
        } remove{pattern};
        {
            std::ofstream tmp(pattern, std::ios::binary);
            const auto put = [&](auto v) { tmp.write(reinterpret_cast<const char*>(&v), sizeof v); };
            put(static_cast<std::size_t>(offset0));
            put(static_cast<std::size_t>(max_elements));
            put(static_cast<std::size_t>(count));
            put(static_cast<std::size_t>(per_element));
            put(static_cast<std::size_t>(label_offset));
            put(static_cast<std::size_t>(data_offset));
            put(static_cast<int>(max_level));
            put(static_cast<hnswlib::tableint>(entry));
            put(static_cast<std::size_t>(max_m));
            put(static_cast<std::size_t>(max_m0));
            put(static_cast<std::size_t>(m));
            put(mult);
            put(static_cast<std::size_t>(efc));
            tmp.write(level0.data(), static_cast<std::streamsize>(level0.size()));
            for (std::size_t i = 0; i < upper.size(); ++i) {
                put(list_bytes[i]);
                tmp.write(upper[i].data(), static_cast<std::streamsize>(upper[i].size()));
            }
            if (!tmp.flush()) throw io_error(pattern, "cannot write the temporary copy of the graph (disk full?)");
        }
        graph_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(space_.get(), pattern, false, static_cast<std::size_t>(count));
        graph_->setEf(static_cast<std::size_t>(options_.ef_search));
        rows_ = static_cast<Eigen::Index>(count);
    }

    // One link list: a 4-byte header (a 16-bit count, then flags that must be 0: no deletions)
    // and up to `capacity` neighbour ids, each a row other than `row` and below `count`.
    static void check_links(detail::BinaryReader& r, const char* list, std::uint64_t capacity, std::uint64_t count,
                            std::uint64_t row, int level) {
        std::uint32_t head;
        std::memcpy(&head, list, sizeof head);
        const std::uint32_t n = head & 0xFFFFu;
        if ((head >> 16) != 0 || n > capacity) {
            r.fail("row " + std::to_string(row) + " has a bad link list on level " + std::to_string(level));
        }
        for (std::uint32_t j = 0; j < n; ++j) {
            std::uint32_t to;
            std::memcpy(&to, list + 4 + 4 * j, sizeof to);
            if (to >= count || to == row) {
                r.fail("row " + std::to_string(row) + " links to row " + std::to_string(to) + " on level " +
                       std::to_string(level) + ", outside [0, " + std::to_string(count) + ")");
            }
        }
    }

    static constexpr int kMaxLevel = 64;

    HnswOptions options_;
    Eigen::Index dim_ = 0;
    Eigen::Index rows_ = 0;
    std::vector<std::string> labels_;
    std::unique_ptr<hnswlib::SpaceInterface<float>> space_;  // before graph_: the graph points to it
    std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph_;
};

}  // namespace embedkit
