#pragma once

#include "embedkit/detail/atomic_file.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/text/tokenizer.hpp"
#include "embedkit/text/vocab.hpp"
#include "embedkit/types.hpp"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <istream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace embedkit {

/// A read-only window on a stream of token ids in which `kSentenceEnd` (-1) ends every sentence.
/// Cheap to copy; does not own the ids (a Corpus or MappedCorpus must outlive it).
struct CorpusView {
    const TokenId* data = nullptr;
    /// Number of ids, sentence-end markers included.
    std::size_t size = 0;
    /// Set by MappedCorpus::view() only: the ids are a read-only mapping of a file, so a pass
    /// over them gives back the pages it has read (`release`) and the kernel maps them again from
    /// the page cache or the file when they are next read: resident memory stays at a few blocks
    /// of `kPassBlock` ids whatever the corpus size. Never set it on ids in ordinary memory
    /// (giving back those pages would zero them).
    bool file_backed = false;

    /// Ids a pass reads between two releases of a file-backed view (4 MiB of ids).
    static constexpr std::size_t kPassBlock = std::size_t{1} << 20;

    [[nodiscard]] const TokenId* begin() const noexcept { return data; }
    [[nodiscard]] const TokenId* end() const noexcept { return data + size; }
    [[nodiscard]] bool empty() const noexcept { return size == 0; }

    /// Part `index` of `count` contiguous parts that cover the view exactly, without overlap, for
    /// one thread each. Each interior split point moves forward from size*index/count to just
    /// after the next sentence end if there is one within 65,536 ids (so parts start at a
    /// sentence start, and a part may be empty); otherwise it stays where it is.
    /// Throws invalid_argument unless count >= 1 and index < count.
    [[nodiscard]] CorpusView shard(std::size_t index, std::size_t count) const {
        if (count == 0 || index >= count) {
            throw invalid_argument("CorpusView::shard: need index < count, got index " + std::to_string(index) +
                                   " and count " + std::to_string(count));
        }
        const std::size_t b = split_point(index, count);
        const std::size_t e = split_point(index + 1, count);
        return {data + b, e - b, file_backed};
    }

    /// Ids that are not sentence-end markers. O(size).
    [[nodiscard]] std::size_t token_count() const noexcept {
        return size - sentence_count();
    }
    /// Sentence-end markers. O(size).
    [[nodiscard]] std::size_t sentence_count() const noexcept {
        std::size_t markers = 0;
        for_each_block([&markers](const TokenId* ids, std::size_t n, std::size_t) {
            markers += static_cast<std::size_t>(std::count(ids, ids + n, kSentenceEnd));
        });
        return markers;
    }

    /// Calls `f(ids, n, offset)` on consecutive blocks of at most kPassBlock ids that cover the
    /// view, releasing each block after it when the view is file-backed.
    template <class F>
    void for_each_block(F&& f) const {
        for (std::size_t offset = 0; offset < size; offset += kPassBlock) {
            const std::size_t n = std::min(kPassBlock, size - offset);
            f(data + offset, n, offset);
            release(data + offset, data + offset + n);
        }
    }

    /// For a file-backed view, gives the pages that lie wholly inside [begin, end) (a range of
    /// this view) back to the system (madvise MADV_DONTNEED); the ids stay readable. Does
    /// nothing for a view of ordinary memory.
    void release(const TokenId* begin, const TokenId* end) const noexcept {
        if (!file_backed || end <= begin) return;
        static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
        const std::uintptr_t first = (reinterpret_cast<std::uintptr_t>(begin) + page - 1) / page * page;
        const std::uintptr_t last = reinterpret_cast<std::uintptr_t>(end) / page * page;
        if (last > first) (void)::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
    }

private:
    static constexpr std::size_t kShardScan = std::size_t{1} << 16;

    [[nodiscard]] std::size_t split_point(std::size_t i, std::size_t count) const noexcept {
        if (i == 0) return 0;
        if (i >= count) return size;
        // size * i / count without overflow.
        const std::size_t nominal = (size / count) * i + (size % count) * i / count;
        const std::size_t limit = std::min(size, nominal + kShardScan);
        for (std::size_t p = nominal; p <= limit; ++p) {
            if (p == 0 || p == size || data[p - 1] == kSentenceEnd) return p;
        }
        return nominal;
    }
};

/// Counts of one encoding pass.
struct CorpusStats {
    std::uint64_t ids = 0;             ///< ids written, markers included
    std::uint64_t tokens = 0;          ///< ids that are words
    std::uint64_t sentences = 0;       ///< non-empty sentences (= markers)
    std::uint64_t dropped_tokens = 0;  ///< tokens not in the vocabulary
};

namespace detail {

/// Tokenizes `in` and calls `sink(ids, n)` once per non-empty sentence with the ids of its words
/// in `vocab` followed by kSentenceEnd. Words not in the vocabulary are dropped (as word2vec does);
/// the tokenizer's sentence cap applies before dropping. With opts.join_split_lines the pieces of
/// a line split at the cap go to the sink without a kSentenceEnd between them (one sentence).
template <class Sink>
CorpusStats encode_sentences(std::istream& in, const Vocab& vocab, const TokenizerOptions& opts,
                             std::string source_name, Sink&& sink) {
    Tokenizer tokenizer(in, opts, std::move(source_name));
    std::vector<std::string_view> tokens;
    std::vector<TokenId> ids;
    CorpusStats stats;
    bool open = false;  // ids went to the sink since the last kSentenceEnd
    auto end_sentence = [&] {
        sink(&kSentenceEnd, 1);
        ++stats.sentences;
        ++stats.ids;
        open = false;
    };
    while (tokenizer.next_sentence(tokens)) {
        if (open && !(opts.join_split_lines && tokenizer.continues_line())) end_sentence();
        ids.clear();
        for (const std::string_view t : tokens) {
            if (const auto id = vocab.find(t)) ids.push_back(*id);
        }
        stats.dropped_tokens += tokens.size() - ids.size();
        if (ids.empty()) continue;
        stats.tokens += ids.size();
        stats.ids += ids.size();
        sink(ids.data(), ids.size());
        open = true;
    }
    if (open) end_sentence();
    return stats;
}

/// The number of tokens of `corpus`, after checking that every id is a sentence end or one of
/// the `words` ids of a vocabulary; invalid_argument "<who>: corpus id X at position P is outside
/// the vocabulary of N words" otherwise.
[[nodiscard]] inline std::size_t checked_token_count(CorpusView corpus, std::size_t words, const std::string& who) {
    std::size_t markers = 0;
    corpus.for_each_block([&](const TokenId* ids, std::size_t n, std::size_t offset) {
        for (std::size_t i = 0; i < n; ++i) {
            const TokenId id = ids[i];
            if (id == kSentenceEnd) {
                ++markers;
            } else if (id < 0 || static_cast<std::size_t>(id) >= words) {
                throw invalid_argument(who + ": corpus id " + std::to_string(id) + " at position " +
                                       std::to_string(offset + i) + " is outside the vocabulary of " +
                                       std::to_string(words) + " words");
            }
        }
    });
    return corpus.size - markers;
}

// Binary corpus file: a 32-byte header, then int32 little-endian ids.
//   [0, 8)   magic "EKCORPUS"
//   [8, 12)  u32 version (1)
//   [12, 16) u32 reserved, 0
//   [16, 24) u64 number of ids, sentence-end markers included
//   [24, 32) u64 number of ids that are not markers
inline constexpr char kCorpusMagic[8] = {'E', 'K', 'C', 'O', 'R', 'P', 'U', 'S'};
inline constexpr std::uint32_t kCorpusVersion = 1;
inline constexpr std::size_t kCorpusHeaderBytes = 32;
inline constexpr bool kLittleEndianHost = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

inline void store_le(char* out, std::uint64_t v, int bytes) noexcept {
    for (int i = 0; i < bytes; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
[[nodiscard]] inline std::uint64_t load_le(const unsigned char* in, int bytes) noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(in[i]) << (8 * i);
    return v;
}

}  // namespace detail

/// Writes a binary corpus file with bounded memory, atomically: nothing appears at `path` until
/// `commit()` succeeds; a writer destroyed without commit leaves any previous file untouched.
class CorpusWriter {
public:
    explicit CorpusWriter(const std::string& path) : file_(path) {
        char header[detail::kCorpusHeaderBytes] = {};
        file_.stream().write(header, sizeof header);  // placeholder, rewritten by commit()
        buffer_.reserve(kBufferIds);
    }

    /// Appends the ids of one sentence (each >= 0) and a sentence end; an empty sentence is ignored.
    void add_sentence(const TokenId* ids, std::size_t n) {
        if (n == 0) return;
        for (std::size_t i = 0; i < n; ++i) {
            if (ids[i] < 0) {
                throw invalid_argument("CorpusWriter::add_sentence: negative id " + std::to_string(ids[i]));
            }
        }
        append(ids, n);
        append(&kSentenceEnd, 1);
    }
    void add_sentence(const std::vector<TokenId>& ids) { add_sentence(ids.data(), ids.size()); }

    /// Appends raw ids, markers included (each >= -1), e.g. a whole CorpusView.
    void append(const TokenId* ids, std::size_t n) {
        std::uint64_t markers = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (ids[i] < kSentenceEnd) {
                throw invalid_argument("CorpusWriter::append: invalid id " + std::to_string(ids[i]) +
                                       " (ids must be >= -1)");
            }
            markers += ids[i] == kSentenceEnd;
        }
        while (n > 0) {
            const std::size_t take = std::min(n, kBufferIds - buffer_.size());
            buffer_.insert(buffer_.end(), ids, ids + take);
            ids += take;
            n -= take;
            ids_ += take;
            if (buffer_.size() == kBufferIds) flush();
        }
        sentences_ += markers;
    }

    /// Ids written so far, markers included.
    [[nodiscard]] std::uint64_t size() const noexcept { return ids_; }

    /// Finishes the header and moves the file into place. io_error on failure.
    void commit() {
        flush();
        char header[detail::kCorpusHeaderBytes] = {};
        std::memcpy(header, detail::kCorpusMagic, sizeof detail::kCorpusMagic);
        detail::store_le(header + 8, detail::kCorpusVersion, 4);
        detail::store_le(header + 16, ids_, 8);
        detail::store_le(header + 24, ids_ - sentences_, 8);
        std::ostream& out = file_.stream();
        out.seekp(0);
        out.write(header, sizeof header);
        file_.commit();
    }

private:
    static constexpr std::size_t kBufferIds = std::size_t{1} << 16;

    void flush() {
        if (buffer_.empty()) return;
        if constexpr (!detail::kLittleEndianHost) {
            for (TokenId& id : buffer_) {
                char le[4];
                detail::store_le(le, static_cast<std::uint32_t>(id), 4);
                std::memcpy(&id, le, 4);
            }
        }
        file_.stream().write(reinterpret_cast<const char*>(buffer_.data()),
                             static_cast<std::streamsize>(buffer_.size() * sizeof(TokenId)));
        buffer_.clear();
    }

    detail::AtomicFileWriter file_;
    std::vector<TokenId> buffer_;
    std::uint64_t ids_ = 0;
    std::uint64_t sentences_ = 0;
};

/// The token ids of a text held in memory, kSentenceEnd after every (non-empty) sentence.
class Corpus {
public:
    Corpus() = default;

    /// Tokenizes `in` and maps each token through `vocab`, dropping unknown words and then empty
    /// sentences. Tokenizer errors (invalid UTF-8 under InvalidUtf8::error) name "<stream>".
    [[nodiscard]] static Corpus encode(std::istream& in, const Vocab& vocab, const TokenizerOptions& opts = {}) {
        return encode_named(in, vocab, opts, "<stream>");
    }
    /// As `encode`, reading a file; io_error naming `path` if it cannot be opened or read.
    [[nodiscard]] static Corpus encode_file(const std::string& path, const Vocab& vocab,
                                            const TokenizerOptions& opts = {}) {
        validate(opts);
        std::ifstream in(path, std::ios::binary);
        if (!in) throw io_error(path, "cannot open for reading");
        return encode_named(in, vocab, opts, path);
    }
    /// Takes ids as they are (each must be >= -1, else invalid_argument naming the position),
    /// then normalises them: repeated or leading markers (empty sentences) are removed, and a
    /// final kSentenceEnd is added if missing.
    [[nodiscard]] static Corpus from_ids(std::vector<TokenId> ids) {
        std::size_t out = 0;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const TokenId id = ids[i];
            if (id < kSentenceEnd) {
                throw invalid_argument("Corpus::from_ids: id " + std::to_string(id) + " at position " +
                                       std::to_string(i) + " is below -1");
            }
            if (id == kSentenceEnd && (out == 0 || ids[out - 1] == kSentenceEnd)) continue;
            ids[out++] = id;
        }
        ids.resize(out);
        if (!ids.empty() && ids.back() != kSentenceEnd) ids.push_back(kSentenceEnd);
        Corpus c;
        c.ids_ = std::move(ids);
        c.tokens_ = c.view().token_count();
        return c;
    }

    [[nodiscard]] CorpusView view() const noexcept { return {ids_.data(), ids_.size()}; }
    [[nodiscard]] const std::vector<TokenId>& ids() const noexcept { return ids_; }
    /// Ids, markers included.
    [[nodiscard]] std::size_t size() const noexcept { return ids_.size(); }
    /// Ids that are words (markers excluded). O(1).
    [[nodiscard]] std::size_t token_count() const noexcept { return tokens_; }
    [[nodiscard]] std::size_t sentence_count() const noexcept { return ids_.size() - tokens_; }

    /// Writes the binary corpus file that MappedCorpus reads, atomically.
    void save(const std::string& path) const {
        CorpusWriter writer(path);
        writer.append(ids_.data(), ids_.size());
        writer.commit();
    }

private:
    static Corpus encode_named(std::istream& in, const Vocab& vocab, const TokenizerOptions& opts,
                               std::string source) {
        Corpus c;
        const CorpusStats stats = detail::encode_sentences(
            in, vocab, opts, std::move(source),
            [&c](const TokenId* ids, std::size_t n) { c.ids_.insert(c.ids_.end(), ids, ids + n); });
        c.tokens_ = static_cast<std::size_t>(stats.tokens);
        return c;
    }

    std::vector<TokenId> ids_;
    std::size_t tokens_ = 0;
};

/// Encodes text from `in` into the binary corpus file `out_path` while reading, so memory stays
/// bounded (tokenizer buffer + one sentence + a 256 KiB write buffer) whatever the corpus size.
/// The file appears atomically when complete.
inline CorpusStats encode_corpus_file(std::istream& in, const Vocab& vocab, const std::string& out_path,
                                      const TokenizerOptions& opts = {}, std::string source_name = "<stream>") {
    validate(opts);
    CorpusWriter writer(out_path);
    const CorpusStats stats = detail::encode_sentences(
        in, vocab, opts, std::move(source_name),
        [&writer](const TokenId* ids, std::size_t n) { writer.append(ids, n); });
    writer.commit();
    return stats;
}

/// As above, reading the text file `text_path` (io_error naming it if it cannot be opened).
inline CorpusStats encode_corpus_file(const std::string& text_path, const Vocab& vocab, const std::string& out_path,
                                      const TokenizerOptions& opts = {}) {
    validate(opts);
    std::ifstream in(text_path, std::ios::binary);
    if (!in) throw io_error(text_path, "cannot open for reading");
    return encode_corpus_file(in, vocab, out_path, opts, text_path);
}

/// A binary corpus file mapped read-only into memory: corpora larger than RAM are paged in by
/// the OS. Opening checks the header (magic, version, size) and scans the ids once
/// (each >= -1; the header's token count must match); io_error naming the file otherwise.
/// Movable, not copyable; unmaps in the destructor. Views must not outlive it.
class MappedCorpus {
public:
    MappedCorpus() = default;

    explicit MappedCorpus(const std::string& path) : path_(path) {
        if constexpr (!detail::kLittleEndianHost) throw io_error(path, "mapped corpora need a little-endian host");
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw io_error(path, std::string("cannot open for reading: ") + std::strerror(errno));
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            const int saved = errno;
            ::close(fd);
            throw io_error(path, std::string("cannot stat: ") + std::strerror(saved));
        }
        const auto file_bytes = static_cast<std::uint64_t>(st.st_size);
        if (file_bytes < detail::kCorpusHeaderBytes) {
            ::close(fd);
            throw io_error(path, "too small for a corpus file header (" + std::to_string(file_bytes) + " bytes)");
        }
        void* base = ::mmap(nullptr, static_cast<std::size_t>(file_bytes), PROT_READ, MAP_PRIVATE, fd, 0);
        const int saved = errno;
        ::close(fd);
        if (base == MAP_FAILED) throw io_error(path, std::string("cannot map: ") + std::strerror(saved));
        base_ = base;
        mapped_bytes_ = static_cast<std::size_t>(file_bytes);
        try {
            check(file_bytes);
        } catch (...) {
            release();
            throw;
        }
    }

    MappedCorpus(const MappedCorpus&) = delete;
    MappedCorpus& operator=(const MappedCorpus&) = delete;
    MappedCorpus(MappedCorpus&& other) noexcept { swap(other); }
    MappedCorpus& operator=(MappedCorpus&& other) noexcept {
        if (this != &other) {
            release();
            swap(other);
        }
        return *this;
    }
    ~MappedCorpus() { release(); }

    /// A file-backed view: passes over it keep resident memory bounded (CorpusView::file_backed).
    [[nodiscard]] CorpusView view() const noexcept { return {data_, size_, true}; }
    /// Ids, markers included.
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::size_t token_count() const noexcept { return tokens_; }
    /// The largest id in the file, -1 if it has no token (compare with the vocabulary size).
    [[nodiscard]] TokenId max_id() const noexcept { return max_id_; }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    void check(std::uint64_t file_bytes) {
        const auto* bytes = static_cast<const unsigned char*>(base_);
        if (std::memcmp(bytes, detail::kCorpusMagic, sizeof detail::kCorpusMagic) != 0) {
            throw io_error(path_, "not an embedkit corpus file (bad magic)");
        }
        const std::uint64_t version = detail::load_le(bytes + 8, 4);
        if (version != detail::kCorpusVersion) {
            throw io_error(path_, "unsupported corpus file version " + std::to_string(version) + " (expected " +
                                      std::to_string(detail::kCorpusVersion) + ")");
        }
        const std::uint64_t count = detail::load_le(bytes + 16, 8);
        const std::uint64_t tokens = detail::load_le(bytes + 24, 8);
        const std::uint64_t payload = file_bytes - detail::kCorpusHeaderBytes;
        if (payload % sizeof(TokenId) != 0 || count != payload / sizeof(TokenId)) {
            throw io_error(path_, "size mismatch: the header says " + std::to_string(count) + " ids but the file has " +
                                      std::to_string(payload) + " bytes of ids");
        }
        data_ = reinterpret_cast<const TokenId*>(bytes + detail::kCorpusHeaderBytes);
        size_ = static_cast<std::size_t>(count);
        std::size_t markers = 0;
        TokenId max_id = kSentenceEnd;
        // One pass over the file that leaves none of it resident.
        view().for_each_block([&](const TokenId* ids, std::size_t n, std::size_t offset) {
            for (std::size_t i = 0; i < n; ++i) {
                const TokenId id = ids[i];
                if (id < kSentenceEnd) {
                    throw io_error(path_, static_cast<std::uint64_t>(offset + i) + 1,
                                   "invalid token id " + std::to_string(id));
                }
                markers += id == kSentenceEnd;
                max_id = std::max(max_id, id);
            }
        });
        if (size_ - markers != tokens) {
            throw io_error(path_, "the header says " + std::to_string(tokens) + " tokens but the file has " +
                                      std::to_string(size_ - markers));
        }
        tokens_ = size_ - markers;
        max_id_ = max_id;
    }

    void release() noexcept {
        if (base_ != nullptr) ::munmap(base_, mapped_bytes_);
        base_ = nullptr;
        mapped_bytes_ = 0;
        data_ = nullptr;
        size_ = 0;
        tokens_ = 0;
        max_id_ = kSentenceEnd;
    }

    void swap(MappedCorpus& other) noexcept {
        std::swap(path_, other.path_);
        std::swap(base_, other.base_);
        std::swap(mapped_bytes_, other.mapped_bytes_);
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        std::swap(tokens_, other.tokens_);
        std::swap(max_id_, other.max_id_);
    }

    std::string path_;
    void* base_ = nullptr;
    std::size_t mapped_bytes_ = 0;
    const TokenId* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t tokens_ = 0;
    TokenId max_id_ = kSentenceEnd;
};

}  // namespace embedkit
