#pragma once

// Word-word co-occurrence counts over a symmetric window, the input of GloVe and PPMI-SVD:
// counted by several threads over corpus shards in bounded memory (sorted runs spill to disk past
// the cap and are merged back), kept as the sorted upper triangle of the symmetric matrix, and
// saved to / loaded from a checksummed binary file.

#include "embedkit/detail/atomic_file.hpp"
#include "embedkit/detail/binary_io.hpp"
#include "embedkit/detail/pair_count_table.hpp"
#include "embedkit/detail/sorted_runs.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/text/corpus.hpp"
#include "embedkit/text/vocab.hpp"
#include "embedkit/train/executor.hpp"
#include "embedkit/train/training_progress.hpp"
#include "embedkit/train/training_run.hpp"
#include "embedkit/types.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/stat.h>

namespace embedkit {

/// Options of `count_cooccurrences`.
struct CooccurrenceOptions {
    /// Words up to `window` positions apart in a sentence co-occur (both directions: the window is
    /// symmetric). A pair at distance d adds 1/d (or 1, see distance_weighting) to X_ij and to X_ji.
    int window = 10;
    /// true: a pair at distance d weighs 1/d (GloVe's weighting); false: every pair weighs 1.
    bool distance_weighting = true;
    /// Memory for the counting tables and the spill-file buffers, in MiB (fractions allowed).
    /// Past it, the tables are written to disk as sorted runs and merged at the end.
    double memory_mb = 1024;
    /// Where the spill files go (a private subdirectory is created and removed); "" = the system
    /// temporary directory ($TMPDIR or /tmp).
    std::string temp_dir;
    /// Files open at once while merging spilled runs, the merge output included (>= 3).
    int max_open_files = 64;
    unsigned threads = 0;  ///< 0: all cores
    ProgressCallback progress;       ///< optional; fraction covers counting (to 0.9) and merging; may cancel
    double progress_interval = 1.0;  ///< seconds between progress reports
};

/// Throws invalid_options naming the first bad field.
inline void validate(const CooccurrenceOptions& o) {
    auto fail = [](const std::string& field, const std::string& why) {
        throw invalid_options("CooccurrenceOptions." + field + " " + why);
    };
    if (o.window <= 0) fail("window", "must be positive (got " + std::to_string(o.window) + ")");
    if (!(o.memory_mb > 0) || !std::isfinite(o.memory_mb)) {
        char text[32];
        std::snprintf(text, sizeof text, "%g", o.memory_mb);
        fail("memory_mb", std::string("must be positive and finite (got ") + text + ")");
    }
    if (o.max_open_files < 3) fail("max_open_files", "must be >= 3 (got " + std::to_string(o.max_open_files) + ")");
    if (!(o.progress_interval >= 0)) fail("progress_interval", "must be >= 0");
}

/// One stored cell of a co-occurrence matrix: X[row][col] = X[col][row] = value, row <= col.
struct CooccurrenceEntry {
    TokenId row = 0;
    TokenId col = 0;
    float value = 0;

    friend bool operator==(const CooccurrenceEntry& a, const CooccurrenceEntry& b) {
        return a.row == b.row && a.col == b.col && a.value == b.value;
    }
};

/// What a counting run did.
struct CooccurrenceStats {
    std::uint64_t tokens = 0;        ///< corpus tokens read
    std::uint64_t pairs = 0;         ///< word pairs within the window (each unordered pair once)
    std::uint64_t spilled_runs = 0;  ///< sorted runs written to disk because the tables were full
    std::uint64_t merge_passes = 0;  ///< extra merge passes needed to respect max_open_files
    std::uint64_t entries = 0;       ///< stored cells (upper triangle, diagonal included)
    double seconds = 0;              ///< wall time of the count
};

class CooccurrenceMatrix;

namespace detail {

// The co-occurrence matrix file (little-endian):
//   magic "EKCOOCC1", u32 version (1), u32 flags (bit 0: distance weighting), u32 window,
//   u32 reserved (0), u64 vocabulary size V, V x (u32 byte length, the word's bytes, i64 count),
//   N x (u32 row, u32 col, f32 value) sorted by (row, col) with row <= col,
//   u64 N, u64 checksum of every byte before it (Checksum64).
inline constexpr char kCooccurrenceMagic[8] = {'E', 'K', 'C', 'O', 'O', 'C', 'C', '1'};
inline constexpr std::uint32_t kCooccurrenceVersion = 1;
inline constexpr std::size_t kCooccurrenceRecordBytes = 12;

inline void write_cooccurrence_header(BinaryWriter& out, const Vocab& vocab, int window, bool distance_weighting) {
    out.bytes(kCooccurrenceMagic, sizeof kCooccurrenceMagic);
    out.value<std::uint32_t>(kCooccurrenceVersion);
    out.value<std::uint32_t>(distance_weighting ? 1u : 0u);
    out.value<std::uint32_t>(static_cast<std::uint32_t>(window));
    out.value<std::uint32_t>(0);
    out.value<std::uint64_t>(vocab.size());
    for (std::size_t i = 0; i < vocab.size(); ++i) {
        const std::string& w = vocab.word(static_cast<TokenId>(i));
        out.value<std::uint32_t>(static_cast<std::uint32_t>(w.size()));
        out.bytes(w.data(), w.size());
        out.value<std::int64_t>(vocab.count(static_cast<TokenId>(i)));
    }
}

/// Encodes cells as 12-byte little-endian records in blocks; finish() writes N and the checksum.
class CooccurrenceEntryWriter {
public:
    explicit CooccurrenceEntryWriter(BinaryWriter& out) : out_(out) { buffer_.reserve(kBlock * kCooccurrenceRecordBytes); }

    void push(std::uint32_t row, std::uint32_t col, float value) {
        unsigned char b[kCooccurrenceRecordBytes];
        std::uint32_t bits = 0;
        std::memcpy(&bits, &value, 4);
        for (int k = 0; k < 4; ++k) {
            b[k] = static_cast<unsigned char>(row >> (8 * k));
            b[4 + k] = static_cast<unsigned char>(col >> (8 * k));
            b[8 + k] = static_cast<unsigned char>(bits >> (8 * k));
        }
        buffer_.insert(buffer_.end(), b, b + kCooccurrenceRecordBytes);
        ++count_;
        if (buffer_.size() >= kBlock * kCooccurrenceRecordBytes) flush();
    }

    void finish() {
        flush();
        out_.value<std::uint64_t>(count_);
        out_.value<std::uint64_t>(out_.checksum());
    }

    [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

private:
    static constexpr std::size_t kBlock = 1 << 14;
    void flush() {
        out_.bytes(buffer_.data(), buffer_.size());
        buffer_.clear();
    }
    BinaryWriter& out_;
    std::vector<unsigned char> buffer_;
    std::uint64_t count_ = 0;
};

class CooccurrenceCounter;

}  // namespace detail

/// A symmetric sparse matrix of co-occurrence weights over the ids of a vocabulary (which it
/// keeps). Stored as its upper triangle: cells (row, col, value) with row <= col, sorted by
/// (row, col), each once, every value finite and > 0. X[i][j] = X[j][i]; a diagonal cell X[i][i]
/// holds the whole weight of word i next to itself (both directions).
class CooccurrenceMatrix {
public:
    CooccurrenceMatrix() = default;

    /// A matrix from cells over `vocab`'s ids. (row, col) and (col, row) name the same cell;
    /// repeated cells are summed (in double, in the order given). invalid_argument for an id
    /// outside the vocabulary or a value that is not finite and > 0.
    [[nodiscard]] static CooccurrenceMatrix from_entries(Vocab vocab, std::vector<CooccurrenceEntry> entries,
                                                         int window = 0, bool distance_weighting = true) {
        const auto n = static_cast<TokenId>(vocab.size());
        for (auto& e : entries) {
            if (e.row < 0 || e.row >= n || e.col < 0 || e.col >= n) {
                throw invalid_argument("CooccurrenceMatrix::from_entries: cell (" + std::to_string(e.row) + ", " +
                                       std::to_string(e.col) + ") is outside the vocabulary of " +
                                       std::to_string(n) + " words");
            }
            if (!(e.value > 0) || !std::isfinite(e.value)) {
                throw invalid_argument("CooccurrenceMatrix::from_entries: value of cell (" + std::to_string(e.row) +
                                       ", " + std::to_string(e.col) + ") must be finite and > 0 (got " +
                                       std::to_string(e.value) + ")");
            }
            if (e.row > e.col) std::swap(e.row, e.col);
        }
        std::stable_sort(entries.begin(), entries.end(), [](const CooccurrenceEntry& a, const CooccurrenceEntry& b) {
            return a.row != b.row ? a.row < b.row : a.col < b.col;
        });
        std::size_t out = 0;
        for (std::size_t i = 0; i < entries.size();) {
            double sum = 0;
            std::size_t j = i;
            for (; j < entries.size() && entries[j].row == entries[i].row && entries[j].col == entries[i].col; ++j) {
                sum += static_cast<double>(entries[j].value);
            }
            const float value = static_cast<float>(sum);
            if (!std::isfinite(value)) {
                throw invalid_argument("CooccurrenceMatrix::from_entries: the sum of cell (" +
                                       std::to_string(entries[i].row) + ", " + std::to_string(entries[i].col) +
                                       ") overflows float");
            }
            entries[out] = entries[i];
            entries[out].value = value;
            ++out;
            i = j;
        }
        entries.resize(out);
        CooccurrenceStats stats;
        stats.entries = out;
        return CooccurrenceMatrix(std::move(vocab), std::move(entries), window, distance_weighting, stats);
    }

    [[nodiscard]] const Vocab& vocab() const noexcept { return vocab_; }
    /// Rows (= columns) = vocabulary size.
    [[nodiscard]] std::size_t rows() const noexcept { return vocab_.size(); }
    /// The stored cells: upper triangle, sorted by (row, col).
    [[nodiscard]] const std::vector<CooccurrenceEntry>& entries() const noexcept { return entries_; }
    /// Non-zero cells of the full symmetric matrix (off-diagonal cells count twice).
    [[nodiscard]] std::uint64_t nonzeros() const noexcept {
        std::uint64_t n = 0;
        for (const auto& e : entries_) n += e.row == e.col ? 1 : 2;
        return n;
    }
    /// The window and weighting it was counted with (window 0: unknown, e.g. from_entries).
    [[nodiscard]] int window() const noexcept { return window_; }
    [[nodiscard]] bool distance_weighting() const noexcept { return distance_weighting_; }
    /// What the count did (only `entries` is set for loaded or hand-built matrices).
    [[nodiscard]] const CooccurrenceStats& stats() const noexcept { return stats_; }

    /// Calls f(row, col, value) for every non-zero cell of the full matrix: each stored cell, then
    /// its mirror (col, row) when off the diagonal.
    template <class F>
    void for_each_nonzero(F&& f) const {
        for (const auto& e : entries_) {
            f(e.row, e.col, e.value);
            if (e.row != e.col) f(e.col, e.row, e.value);
        }
    }

    /// X[row][col] (0 when absent); invalid_argument for ids outside the vocabulary. O(log n).
    [[nodiscard]] float value(TokenId row, TokenId col) const {
        const auto n = static_cast<TokenId>(rows());
        if (row < 0 || row >= n || col < 0 || col >= n) {
            throw invalid_argument("CooccurrenceMatrix::value: (" + std::to_string(row) + ", " + std::to_string(col) +
                                   ") is outside the " + std::to_string(n) + " x " + std::to_string(n) + " matrix");
        }
        if (row > col) std::swap(row, col);
        const auto it = std::lower_bound(entries_.begin(), entries_.end(), std::make_pair(row, col),
                                         [](const CooccurrenceEntry& e, const std::pair<TokenId, TokenId>& k) {
                                             return e.row != k.first ? e.row < k.first : e.col < k.second;
                                         });
        return it != entries_.end() && it->row == row && it->col == col ? it->value : 0.0f;
    }

    /// Row sums of the full matrix, sum_j X[i][j], in double, summed in stored order.
    [[nodiscard]] std::vector<double> row_sums() const {
        std::vector<double> sums(rows(), 0.0);
        for (const auto& e : entries_) {
            sums[static_cast<std::size_t>(e.row)] += static_cast<double>(e.value);
            if (e.row != e.col) sums[static_cast<std::size_t>(e.col)] += static_cast<double>(e.value);
        }
        return sums;
    }

    /// Writes the matrix and its vocabulary atomically (format in docs/glove.md). io_error on failure.
    void save(const std::string& path) const {
        detail::AtomicFileWriter file(path);
        detail::BinaryWriter out(file.stream());
        detail::write_cooccurrence_header(out, vocab_, window_, distance_weighting_);
        detail::CooccurrenceEntryWriter cells(out);
        for (const auto& e : entries_) {
            cells.push(static_cast<std::uint32_t>(e.row), static_cast<std::uint32_t>(e.col), e.value);
        }
        cells.finish();
        file.commit();
    }

    /// Reads a file written by `save` or `count_cooccurrences_to_file`. io_error naming the file
    /// and byte offset for a wrong magic number or version, a truncated file, a bad vocabulary, a
    /// cell out of range, out of order or not finite and > 0, a count mismatch, a bad checksum or
    /// bytes after it.
    [[nodiscard]] static CooccurrenceMatrix load(const std::string& path);

private:
    friend class detail::CooccurrenceCounter;

    CooccurrenceMatrix(Vocab vocab, std::vector<CooccurrenceEntry> entries, int window, bool distance_weighting,
                       const CooccurrenceStats& stats)
        : vocab_(std::move(vocab)), entries_(std::move(entries)), window_(window),
          distance_weighting_(distance_weighting), stats_(stats) {}

    Vocab vocab_;
    std::vector<CooccurrenceEntry> entries_;
    int window_ = 0;
    bool distance_weighting_ = true;
    CooccurrenceStats stats_;
};

namespace detail {

/// The counting job behind count_cooccurrences and count_cooccurrences_to_file: one TrainingRun
/// whose work is the corpus tokens, counted by the executor's workers over contiguous shards;
/// its progress covers counting up to 0.9 and merging the rest.
class CooccurrenceCounter {
public:
    CooccurrenceCounter(const Vocab& vocab, CorpusView corpus, const CooccurrenceOptions& options)
        : vocab_(vocab), corpus_(corpus), options_(options), executor_(options.threads) {
        validate(options_);
        if (vocab_.size() == 0) throw invalid_argument("count_cooccurrences: the vocabulary is empty");
        (void)checked_token_count(corpus_, vocab_.size(), "count_cooccurrences");
        threads_ = executor_.workers();
        weights_.resize(static_cast<std::size_t>(options_.window) + 1, 0);
        for (int d = 1; d <= options_.window; ++d) {
            weights_[static_cast<std::size_t>(d)] = to_pair_weight(options_.distance_weighting ? 1.0 / d : 1.0);
        }
        // A tenth of the budget (at least 4 KiB a file) buffers the files of a merge; the rest is
        // split evenly between the threads' tables.
        const auto budget = static_cast<std::size_t>(options_.memory_mb * 1024.0 * 1024.0);
        const auto files = static_cast<std::size_t>(options_.max_open_files);
        buffer_records_ = std::max<std::size_t>(256, budget / 10 / files / sizeof(PairCount));
        table_bytes_ = (budget - std::min(budget, buffer_records_ * sizeof(PairCount) * files)) / threads_;
        runs_ = std::make_unique<SortedRuns>(options_.temp_dir, files, buffer_records_);
    }

    /// Counts every pair of the corpus into the tables, spilling runs when they fill up.
    void count() {
        run_.emplace(run_options());
        for (unsigned t = 0; t < threads_; ++t) tables_.push_back(std::make_unique<PairCountTable>(table_bytes_));
        executor_.run([&](unsigned t) { count_shard(t); });
        run_->throw_if_stopped();
        stats_.tokens = run_->processed();
        stats_.pairs = pairs_.load();
        stats_.spilled_runs = runs_->spilled();
    }

    /// Merges the spilled runs and the tables: sink(row, col, weight as float) for every stored
    /// cell in (row, col) order. Frees the tables.
    template <class Sink>
    void merge(Sink&& sink) {
        std::vector<std::pair<const PairCount*, std::size_t>> memory;
        std::uint64_t in_memory = 0;
        for (auto& table : tables_) {
            const std::size_t n = table->size();
            memory.emplace_back(table->sorted(), n);
            in_memory += n;
        }
        merge_total_ = std::max<std::uint64_t>(1, in_memory + runs_->records_on_disk());
        std::uint64_t cells = 0;
        runs_->merge(
            memory,
            [&](std::uint64_t key, std::uint64_t weight) {
                sink(pair_row(key), pair_col(key), pair_weight_value(weight));
                ++cells;
            },
            [&](std::uint64_t read) { merge_tick(read); });
        tables_.clear();
        stats_.merge_passes = runs_->passes();
        stats_.entries = cells;
        stats_.seconds = run_->elapsed_seconds();
        merged_ = 1.0;
        run_->finish();
    }

    /// Counts and merges into an in-memory matrix.
    [[nodiscard]] CooccurrenceMatrix to_matrix() {
        count();
        std::vector<CooccurrenceEntry> entries;
        if (runs_->spilled() == 0) {
            std::size_t bound = 0;
            for (const auto& table : tables_) bound += table->size();
            entries.reserve(bound);
            merge([&](std::uint32_t row, std::uint32_t col, float value) {
                entries.push_back({static_cast<TokenId>(row), static_cast<TokenId>(col), value});
            });
        } else {
            // The merged cells go to one more file first, so that the matrix is allocated once at
            // its exact size after the tables are gone.
            const std::string merged = runs_->new_path("merged");
            {
                RunWriter writer(merged, buffer_records_);
                merge([&](std::uint32_t row, std::uint32_t col, float value) {
                    std::uint32_t bits = 0;
                    std::memcpy(&bits, &value, 4);
                    writer.push(PairCount{pair_key(row, col), bits});
                });
                writer.finish();
            }
            entries.reserve(stats_.entries);
            RunCursor cursor(merged, buffer_records_);
            for (; !cursor.done(); cursor.pop()) {
                float value = 0;
                const auto bits = static_cast<std::uint32_t>(cursor.front().weight);
                std::memcpy(&value, &bits, 4);
                entries.push_back({static_cast<TokenId>(pair_row(cursor.front().key)),
                                   static_cast<TokenId>(pair_col(cursor.front().key)), value});
            }
        }
        return CooccurrenceMatrix(vocab_, std::move(entries), options_.window, options_.distance_weighting, stats_);
    }

    [[nodiscard]] const CooccurrenceStats& stats() const noexcept { return stats_; }

private:
    static constexpr std::uint64_t kSyncTokens = 1 << 16;

    void count_shard(unsigned t) {
        const CorpusView shard = corpus_.shard(t, threads_);
        PairCountTable& table = *tables_[t];
        const auto window = static_cast<std::size_t>(options_.window);
        const std::uint64_t* weights = weights_.data();
        const TokenId* ids = shard.data;
        // First position of the current sentence. A shard may start inside a sentence (a long
        // line kept whole); its first words then reach back into the previous shard, so the
        // counts never depend on where the shards fall.
        const auto before = static_cast<std::size_t>(shard.data - corpus_.data);
        std::ptrdiff_t start = 0;
        while (static_cast<std::size_t>(-start) < std::min(window, before) && ids[start - 1] != kSentenceEnd) --start;
        std::uint64_t unsynced = 0;
        std::uint64_t pairs = 0;
        bool keep_going = true;
        for (std::size_t p = 0; p < shard.size && keep_going; ++p) {
            const TokenId b = ids[p];
            if (b == kSentenceEnd) {
                start = static_cast<std::ptrdiff_t>(p) + 1;
                continue;
            }
            const auto reach = std::min(window, static_cast<std::size_t>(static_cast<std::ptrdiff_t>(p) - start));
            const TokenId* const here = ids + p;
            for (std::size_t d = 1; d <= reach; ++d) {
                const TokenId a = *(here - static_cast<std::ptrdiff_t>(d));
                const auto ua = static_cast<std::uint32_t>(a);
                const auto ub = static_cast<std::uint32_t>(b);
                const std::uint64_t key = ua < ub ? pair_key(ua, ub) : pair_key(ub, ua);
                const std::uint64_t w = ua == ub ? 2 * weights[d] : weights[d];
                if (!table.add(key, w)) {
                    spill(table);
                    table.add(key, w);
                }
            }
            pairs += reach;
            if (++unsynced == kSyncTokens) {
                (void)run_->sync(t, unsynced, 0.0, 0, keep_going);
                unsynced = 0;
            }
        }
        if (keep_going) (void)run_->sync(t, unsynced, 0.0, 0, keep_going);
        pairs_.fetch_add(pairs);
    }

    void spill(PairCountTable& table) {
        const std::size_t n = table.size();
        runs_->add(table.sorted(), n);
        table.clear();
    }

    TrainingRunOptions run_options() {
        TrainingRunOptions o;
        o.total_work = corpus_.token_count();
        o.schedule = {0.0, 1.0, 1.0};  // no learning rate
        o.workers = threads_;
        if (options_.progress) {
            // Counting is the first 0.9 of the job, merging the rest (merged_ < 0: counting). The
            // run's ETA would be the counting's alone: the job's is unknown.
            o.progress = [this](TrainingProgress p) {
                p.fraction = merged_ < 0 ? 0.9 * p.fraction : (merged_ >= 1 ? 1.0 : 0.9 + 0.1 * merged_);
                p.eta_seconds = 0;
                return options_.progress(p);
            };
        }
        o.progress_interval = options_.progress_interval;
        o.name = "co-occurrence counting";
        return o;
    }

    // Every 2^20 records merged: a report when one is due; cancelled when the callback said stop.
    void merge_tick(std::uint64_t read) {
        merged_ = std::min(1.0, static_cast<double>(read) / static_cast<double>(merge_total_));
        (void)run_->report_now(0.0, /*forced=*/false);
        run_->throw_if_stopped();
    }

    const Vocab& vocab_;
    CorpusView corpus_;
    CooccurrenceOptions options_;
    ThreadExecutor executor_;
    unsigned threads_ = 1;
    std::vector<std::uint64_t> weights_;  // fixed-point weight by distance
    std::size_t buffer_records_ = 0;
    std::size_t table_bytes_ = 0;
    std::unique_ptr<SortedRuns> runs_;
    std::vector<std::unique_ptr<PairCountTable>> tables_;
    CooccurrenceStats stats_;
    std::uint64_t merge_total_ = 1;
    std::atomic<std::uint64_t> pairs_{0};
    std::optional<TrainingRun> run_;
    double merged_ = -1;  // the fraction of the merge done; < 0 while counting
};

}  // namespace detail

/// Counts co-occurrences over `corpus` (ids of `vocab`, kSentenceEnd between sentences; the
/// window never crosses a sentence end) with `options.threads` threads over contiguous shards.
/// The counting tables stay within options.memory_mb; past it they spill sorted runs to a
/// private directory under options.temp_dir, merged at the end (the directory is removed on
/// success, exceptions and cancellation). The result does not depend on the thread count or on
/// the memory cap. Throws invalid_options, invalid_argument (empty vocabulary, ids out of
/// range), io_error (spill files), cancelled.
[[nodiscard]] inline CooccurrenceMatrix count_cooccurrences(const Vocab& vocab, CorpusView corpus,
                                                            const CooccurrenceOptions& options = {}) {
    detail::CooccurrenceCounter counter(vocab, corpus, options);
    return counter.to_matrix();
}

/// As count_cooccurrences, but the merge streams straight into the matrix file `path` (written
/// atomically, readable by CooccurrenceMatrix::load): the whole job stays within memory_mb
/// (plus the corpus and the vocabulary), however large the matrix.
inline CooccurrenceStats count_cooccurrences_to_file(const Vocab& vocab, CorpusView corpus, const std::string& path,
                                                     const CooccurrenceOptions& options = {}) {
    detail::CooccurrenceCounter counter(vocab, corpus, options);
    detail::AtomicFileWriter file(path);
    counter.count();
    detail::BinaryWriter out(file.stream());
    detail::write_cooccurrence_header(out, vocab, options.window, options.distance_weighting);
    detail::CooccurrenceEntryWriter cells(out);
    counter.merge([&](std::uint32_t row, std::uint32_t col, float value) { cells.push(row, col, value); });
    cells.finish();
    file.commit();
    return counter.stats();
}

inline CooccurrenceMatrix CooccurrenceMatrix::load(const std::string& path) {
    std::ifstream stream(path, std::ios::binary);
    if (!stream) throw io_error(path, "cannot open for reading");
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw io_error(path, "cannot stat the file");
    const auto file_bytes = static_cast<std::uint64_t>(st.st_size);
    detail::BinaryReader in(stream, path);
    char magic[8];
    in.bytes(magic, sizeof magic, "the magic number");
    if (std::memcmp(magic, detail::kCooccurrenceMagic, sizeof magic) != 0) {
        in.fail("not an embedkit co-occurrence matrix (wrong magic number)");
    }
    const auto version = in.value<std::uint32_t>("the version");
    if (version != detail::kCooccurrenceVersion) in.fail("unsupported version " + std::to_string(version));
    const auto flags = in.value<std::uint32_t>("the flags");
    if (flags > 1) in.fail("unknown flags " + std::to_string(flags));
    const auto window = in.value<std::uint32_t>("the window");
    if (window > static_cast<std::uint32_t>(std::numeric_limits<int>::max())) in.fail("window out of range");
    (void)in.value<std::uint32_t>("the reserved field");
    const auto words = in.value<std::uint64_t>("the vocabulary size");
    if (words > static_cast<std::uint64_t>(std::numeric_limits<TokenId>::max()) || words > file_bytes / 12) {
        in.fail("vocabulary size " + std::to_string(words) + " is out of range");
    }
    std::vector<std::pair<std::string, std::int64_t>> counts;
    counts.reserve(static_cast<std::size_t>(words));
    for (std::uint64_t i = 0; i < words; ++i) {
        const auto length = in.value<std::uint32_t>("a word's length");
        if (length == 0 || length > (1u << 20)) in.fail("word " + std::to_string(i) + " has a bad length " + std::to_string(length));
        std::string word(length, '\0');
        in.bytes(word.data(), length, "a word");
        const auto count = in.value<std::int64_t>("a word count");
        if (count < 0) in.fail("word '" + word + "' has a negative count");
        counts.emplace_back(std::move(word), count);
    }
    VocabOptions keep_all;
    keep_all.min_count = 0;
    Vocab vocab;
    try {
        vocab = Vocab::from_counts(counts, keep_all);
    } catch (const invalid_argument& e) {
        in.fail(std::string("bad vocabulary: ") + e.what());
    }
    // Ids in the file follow the file's word order; the Vocab's canonical order may differ.
    std::vector<TokenId> id_of(counts.size());
    bool same_order = true;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        id_of[i] = vocab.at(counts[i].first);
        same_order = same_order && id_of[i] == static_cast<TokenId>(i);
    }
    const std::uint64_t rest = file_bytes - std::min(file_bytes, in.offset());
    if (rest < 16 || (rest - 16) % detail::kCooccurrenceRecordBytes != 0) {
        in.fail("truncated or malformed cell section (" + std::to_string(rest) + " bytes left)");
    }
    const std::uint64_t n = (rest - 16) / detail::kCooccurrenceRecordBytes;
    std::vector<CooccurrenceEntry> entries(static_cast<std::size_t>(n));
    std::vector<unsigned char> block;
    std::uint64_t previous = 0;
    for (std::uint64_t done = 0; done < n;) {
        const std::uint64_t take = std::min<std::uint64_t>(n - done, 1 << 14);
        block.resize(static_cast<std::size_t>(take) * detail::kCooccurrenceRecordBytes);
        const std::uint64_t block_offset = in.offset();
        in.bytes(block.data(), block.size(), "the cells");
        for (std::uint64_t k = 0; k < take; ++k) {
            const unsigned char* b = block.data() + k * detail::kCooccurrenceRecordBytes;
            const auto row = static_cast<std::uint32_t>(detail::load_le(b, 4));
            const auto col = static_cast<std::uint32_t>(detail::load_le(b + 4, 4));
            const auto bits = static_cast<std::uint32_t>(detail::load_le(b + 8, 4));
            float value = 0;
            std::memcpy(&value, &bits, 4);
            const std::uint64_t index = done + k;
            auto bad = [&](const std::string& what) {
                throw io_error(path, "at byte " + std::to_string(block_offset + k * detail::kCooccurrenceRecordBytes) +
                                         ": cell " + std::to_string(index) + " " + what);
            };
            if (row > col || col >= words) bad("(" + std::to_string(row) + ", " + std::to_string(col) + ") is out of range");
            const std::uint64_t key = detail::pair_key(row, col);
            if (index > 0 && key <= previous) bad("is out of order or repeated");
            if (!(value > 0) || !std::isfinite(value)) bad("has a value that is not finite and > 0");
            previous = key;
            entries[static_cast<std::size_t>(index)] = {static_cast<TokenId>(row), static_cast<TokenId>(col), value};
        }
        done += take;
    }
    if (in.value<std::uint64_t>("the cell count") != n) in.fail("the cell count does not match the file size");
    const std::uint64_t expected = in.checksum();
    if (in.value<std::uint64_t>("the checksum") != expected) in.fail("checksum mismatch: the file is corrupt");
    if (!in.at_end()) in.fail("unexpected bytes after the checksum");
    CooccurrenceStats stats;
    stats.entries = n;
    if (same_order) {
        return CooccurrenceMatrix(std::move(vocab), std::move(entries), static_cast<int>(window), flags == 1, stats);
    }
    for (auto& e : entries) {
        e.row = id_of[static_cast<std::size_t>(e.row)];
        e.col = id_of[static_cast<std::size_t>(e.col)];
    }
    return from_entries(std::move(vocab), std::move(entries), static_cast<int>(window), flags == 1);
}

}  // namespace embedkit
