#pragma once

// External merging of sorted runs of PairCount records, for the co-occurrence counter: runs are
// written to files in a private temporary directory, which the destructor removes with everything
// in it (after success, an exception or a cancellation alike). Merging keeps at most
// `max_open_files` files open at once: while more runs exist than one merge may read, the oldest
// ones are merged into a new run first (a merge pass).

#include "embedkit/detail/pair_count_table.hpp"
#include "embedkit/errors.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <queue>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <unistd.h>

namespace embedkit::detail {

/// A sorted array of records, in memory or in a run file, read front to back in blocks.
class RunCursor {
public:
    /// Reads `n` records at `data` (not owned; must outlive the cursor).
    RunCursor(const PairCount* data, std::size_t n) : cur_(data), end_(data + n) {}

    /// Reads the run file `path` through a buffer of `buffer_records` records.
    RunCursor(std::string path, std::size_t buffer_records) : path_(std::move(path)) {
        file_ = std::fopen(path_.c_str(), "rb");
        if (file_ == nullptr) throw io_error(path_, std::string("cannot open a spill file: ") + std::strerror(errno));
        buffer_.resize(std::max<std::size_t>(1, buffer_records));
        refill();
    }

    RunCursor(RunCursor&& other) noexcept { *this = std::move(other); }
    RunCursor& operator=(RunCursor&& other) noexcept {
        if (this != &other) {
            close();
            path_ = std::move(other.path_);
            file_ = std::exchange(other.file_, nullptr);
            buffer_ = std::move(other.buffer_);
            cur_ = std::exchange(other.cur_, nullptr);
            end_ = std::exchange(other.end_, nullptr);
        }
        return *this;
    }
    RunCursor(const RunCursor&) = delete;
    RunCursor& operator=(const RunCursor&) = delete;
    ~RunCursor() { close(); }

    [[nodiscard]] bool done() const noexcept { return cur_ == end_; }
    [[nodiscard]] const PairCount& front() const noexcept { return *cur_; }

    /// Moves past the front record.
    void pop() {
        if (++cur_ == end_ && file_ != nullptr) refill();
    }

private:
    void refill() {
        const std::size_t got = std::fread(buffer_.data(), sizeof(PairCount), buffer_.size(), file_);
        if (got < buffer_.size() && std::ferror(file_)) throw io_error(path_, "read error in a spill file");
        cur_ = buffer_.data();
        end_ = cur_ + got;
        if (got == 0) close();
    }

    void close() noexcept {
        if (file_ != nullptr) std::fclose(file_);
        file_ = nullptr;
    }

    std::string path_;
    std::FILE* file_ = nullptr;
    std::vector<PairCount> buffer_;
    const PairCount* cur_ = nullptr;
    const PairCount* end_ = nullptr;
};

/// Writes records to a file through a buffer; `finish()` flushes and closes, reporting errors.
class RunWriter {
public:
    RunWriter(std::string path, std::size_t buffer_records) : path_(std::move(path)) {
        file_ = std::fopen(path_.c_str(), "wb");
        if (file_ == nullptr) throw io_error(path_, std::string("cannot create a spill file: ") + std::strerror(errno));
        buffer_.reserve(std::max<std::size_t>(1, buffer_records));
    }
    RunWriter(const RunWriter&) = delete;
    RunWriter& operator=(const RunWriter&) = delete;
    ~RunWriter() {
        if (file_ != nullptr) std::fclose(file_);
    }

    void push(const PairCount& r) {
        buffer_.push_back(r);
        if (buffer_.size() == buffer_.capacity()) flush();
    }

    /// Writes `n` records straight from memory.
    void write(const PairCount* data, std::size_t n) {
        flush();
        if (n > 0 && std::fwrite(data, sizeof(PairCount), n, file_) != n) fail();
    }

    void finish() {
        flush();
        const int rc = std::fclose(file_);
        file_ = nullptr;
        if (rc != 0) fail();
    }

private:
    void flush() {
        if (buffer_.empty()) return;
        if (std::fwrite(buffer_.data(), sizeof(PairCount), buffer_.size(), file_) != buffer_.size()) fail();
        buffer_.clear();
    }
    [[noreturn]] void fail() const {
        throw io_error(path_, std::string("cannot write a spill file (disk full?): ") + std::strerror(errno));
    }

    std::string path_;
    std::FILE* file_ = nullptr;
    std::vector<PairCount> buffer_;
};

/// Sums the records of every cursor in key order: calls sink(key, total weight) once per distinct
/// key, ascending. `tick(records)` is called every 2^20 records read (for progress and
/// cancellation; it may throw).
template <class Sink, class Tick>
void merge_cursors(std::vector<RunCursor>& cursors, Sink&& sink, Tick&& tick) {
    using Head = std::pair<std::uint64_t, std::size_t>;  // (key, cursor)
    std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heap;
    for (std::size_t c = 0; c < cursors.size(); ++c) {
        if (!cursors[c].done()) heap.emplace(cursors[c].front().key, c);
    }
    std::uint64_t read = 0;
    while (!heap.empty()) {
        const std::uint64_t key = heap.top().first;
        std::uint64_t total = 0;
        while (!heap.empty() && heap.top().first == key) {
            const std::size_t c = heap.top().second;
            heap.pop();
            total = add_pair_weights(total, cursors[c].front().weight);
            cursors[c].pop();
            if (!cursors[c].done()) heap.emplace(cursors[c].front().key, c);
            if ((++read & ((std::uint64_t{1} << 20) - 1)) == 0) tick(read);
        }
        sink(key, total);
    }
}

/// The run files of one counting job, in a private directory that lives as long as this object.
class SortedRuns {
public:
    /// Creates `<parent>/embedkit-cooccur-XXXXXX` (parent "": the system temporary directory).
    /// `max_open_files` (>= 3) bounds the files open at once while merging, the output included;
    /// each open run is read through a buffer of `buffer_records` records.
    SortedRuns(const std::string& parent, std::size_t max_open_files, std::size_t buffer_records)
        : fan_in_(std::max<std::size_t>(2, max_open_files - 1)), buffer_records_(buffer_records) {
        std::error_code ec;
        const std::filesystem::path base = parent.empty() ? std::filesystem::temp_directory_path(ec) : std::filesystem::path(parent);
        if (ec) throw io_error("<temporary directory>", "cannot find the system temporary directory: " + ec.message());
        std::string pattern = (base / "embedkit-cooccur-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw io_error(base.string(), std::string("cannot create a directory for spill files here: ") +
                                              std::strerror(errno));
        }
        directory_ = pattern;
    }
    SortedRuns(const SortedRuns&) = delete;
    SortedRuns& operator=(const SortedRuns&) = delete;
    ~SortedRuns() {
        std::error_code ignored;
        std::filesystem::remove_all(directory_, ignored);
    }

    [[nodiscard]] const std::string& directory() const noexcept { return directory_; }
    /// Runs written and not yet merged away.
    [[nodiscard]] std::size_t size() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return runs_.size();
    }
    /// Runs written so far, merge outputs excluded.
    [[nodiscard]] std::uint64_t spilled() const noexcept { return spilled_.load(); }
    /// Intermediate merge passes done.
    [[nodiscard]] std::uint64_t passes() const noexcept { return passes_; }
    /// Records that the final merge will read from files.
    [[nodiscard]] std::uint64_t records_on_disk() const {
        std::lock_guard<std::mutex> lock(mutex_);
        std::uint64_t n = 0;
        for (const auto& r : runs_) n += r.records;
        return n;
    }

    /// A fresh path inside the directory.
    [[nodiscard]] std::string new_path(const char* stem) {
        return directory_ + "/" + stem + "-" + std::to_string(next_file_.fetch_add(1)) + ".bin";
    }

    /// Writes `n` records sorted by key, each key once, as a new run. Thread-safe.
    void add(const PairCount* data, std::size_t n) {
        const std::string path = new_path("run");
        RunWriter writer(path, 1);
        writer.write(data, n);
        writer.finish();
        std::lock_guard<std::mutex> lock(mutex_);
        runs_.push_back({path, n});
        spilled_.fetch_add(1);
    }

    /// Merges every run and the sorted in-memory arrays `memory` (each key once per array):
    /// sink(key, total) once per distinct key in ascending key order. First merges the oldest
    /// runs in groups until at most max_open_files - 1 remain. The run files are removed as
    /// they are consumed. `tick(records)` as in merge_cursors.
    template <class Sink, class Tick>
    void merge(const std::vector<std::pair<const PairCount*, std::size_t>>& memory, Sink&& sink, Tick&& tick) {
        while (runs_.size() > fan_in_) {
            std::vector<Run> group(runs_.begin(), runs_.begin() + static_cast<std::ptrdiff_t>(fan_in_));
            runs_.erase(runs_.begin(), runs_.begin() + static_cast<std::ptrdiff_t>(fan_in_));
            Run merged{new_path("pass"), 0};
            {
                std::vector<RunCursor> cursors = open(group);
                RunWriter writer(merged.path, buffer_records_);
                merge_cursors(
                    cursors,
                    [&](std::uint64_t key, std::uint64_t weight) {
                        writer.push(PairCount{key, weight});
                        ++merged.records;
                    },
                    tick);
                writer.finish();
            }
            remove(group);
            runs_.push_back(merged);
            ++passes_;
        }
        std::vector<RunCursor> cursors = open(runs_);
        for (const auto& [data, n] : memory) cursors.emplace_back(data, n);
        merge_cursors(cursors, sink, tick);
        cursors.clear();
        remove(runs_);
        runs_.clear();
    }

private:
    struct Run {
        std::string path;
        std::uint64_t records = 0;
    };

    [[nodiscard]] std::vector<RunCursor> open(const std::vector<Run>& runs) const {
        std::vector<RunCursor> cursors;
        cursors.reserve(runs.size());
        for (const Run& r : runs) cursors.emplace_back(r.path, buffer_records_);
        return cursors;
    }

    static void remove(const std::vector<Run>& runs) noexcept {
        for (const Run& r : runs) std::remove(r.path.c_str());
    }

    std::size_t fan_in_;
    std::size_t buffer_records_;
    std::string directory_;
    mutable std::mutex mutex_;
    std::vector<Run> runs_;
    std::atomic<std::uint64_t> spilled_{0};
    std::atomic<std::uint64_t> next_file_{0};
    std::uint64_t passes_ = 0;
};

}  // namespace embedkit::detail
