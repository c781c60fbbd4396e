#pragma once

// Co-occurrence counting split across the ranks of a communicator. Each rank reads only its own
// byte range of the text (text/byte_ranges.hpp), counts the pairs whose later word lies in that
// range, and sends every counted cell to the rank that owns it (a hash of the cell); the owners
// add up what they receive. The result is the single-process `count_cooccurrences` matrix, bit
// for bit, held as one share per rank; `save_cooccurrences` writes it through rank 0 in the
// format of `CooccurrenceMatrix::save`. Only for users of the CMake target embedkit::mpi.
//
// Why the bits match: the counter's weights are fixed-point integers (detail/pair_count_table.hpp),
// so a cell's total does not depend on the order or grouping of its terms, and the float written
// is a function of that integer alone. What must match exactly is which pairs are counted; see
// `count_cooccurrences_distributed` for how the windows cross the ranks' boundaries.

#include "embedkit/detail/atomic_file.hpp"
#include "embedkit/detail/binary_io.hpp"
#include "embedkit/detail/pair_count_table.hpp"
#include "embedkit/detail/rng.hpp"
#include "embedkit/detail/sorted_runs.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/models/cooccurrence.hpp"
#include "embedkit/mpi/communicator.hpp"
#include "embedkit/mpi/distributed_vocab.hpp"
#include "embedkit/text/byte_ranges.hpp"
#include "embedkit/text/corpus.hpp"
#include "embedkit/text/tokenizer.hpp"
#include "embedkit/text/vocab.hpp"
#include "embedkit/types.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <streambuf>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace embedkit::mpi {

/// One rank's share of a co-occurrence matrix counted by all ranks: the cells it owns
/// (`cooccurrence_owner`), sorted by (row, col), each with its complete value.
struct DistributedCooccurrence {
    Vocab vocab;                               ///< the same on every rank
    std::vector<CooccurrenceEntry> entries;    ///< this rank's cells, sorted by (row, col)
    int window = 0;
    bool distance_weighting = true;
    /// Totals over all ranks (the same on every rank): tokens, pairs, spilled runs, merge passes,
    /// entries (cells of the whole matrix); seconds: the slowest rank's wall time.
    CooccurrenceStats stats;

    /// Non-zero cells of the full symmetric matrix held by this rank (off-diagonal cells twice).
    [[nodiscard]] std::uint64_t nonzeros() const noexcept {
        std::uint64_t n = 0;
        for (const auto& e : entries) n += e.row == e.col ? 1 : 2;
        return n;
    }
};

/// The rank that owns cell (row, col), row <= col, among `ranks`: a hash of the cell, so the
/// cells of frequent and rare words spread evenly.
[[nodiscard]] inline int cooccurrence_owner(std::uint32_t row, std::uint32_t col, int ranks) noexcept {
    return static_cast<int>(embedkit::detail::mix64(embedkit::detail::pair_key(row, col) ^ 0x9e3779b97f4a7c15ULL) %
                            static_cast<std::uint64_t>(ranks));
}

namespace detail {

using embedkit::detail::PairCount;

// A stream of "<sentinel> " + bytes [begin, end) of a file + " <sentinel>". The sentinels tell
// the tokenizer's caller whether the range's first and last tokens continue a line that crosses
// its boundaries: a line end anywhere between a sentinel and the nearest real token puts them in
// different lines. (The ranges start and end right after ASCII whitespace, so the added spaces
// never join or split a real token.) Tokenizer errors count byte offsets from the sentinel.
class FramedRangeBuf : public std::streambuf {
public:
    static constexpr std::string_view kFront = "x ";
    static constexpr std::string_view kBack = " x";

    FramedRangeBuf(const std::string& path, ByteRange range) : file_(path, range), buffer_(kBufferBytes) {}

protected:
    int_type underflow() override {
        if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
        std::size_t n = 0;
        while (n == 0 && stage_ < 3) {
            if (stage_ == 0) {
                std::memcpy(buffer_.data(), kFront.data(), kFront.size());
                n = kFront.size();
                stage_ = 1;
            } else if (stage_ == 1) {
                const std::streamsize got = file_.sgetn(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
                if (got > 0) {
                    n = static_cast<std::size_t>(got);
                } else {
                    stage_ = 2;
                }
            } else {
                std::memcpy(buffer_.data(), kBack.data(), kBack.size());
                n = kBack.size();
                stage_ = 3;
            }
        }
        if (n == 0) return traits_type::eof();
        setg(buffer_.data(), buffer_.data(), buffer_.data() + n);
        return traits_type::to_int_type(buffer_[0]);
    }

private:
    static constexpr std::size_t kBufferBytes = std::size_t{1} << 20;
    embedkit::detail::RangeFileBuf file_;
    std::vector<char> buffer_;
    int stage_ = 0;  // 0: front sentinel next, 1: the range, 2: back sentinel next, 3: done
};

// The ids of one rank's range: in-vocabulary words, kSentenceEnd at every line end between two
// of its tokens. `joins_next`: no line end after the range's last token (its last line goes on
// into the next range); `transparent`: no line end in the whole range (the line before it goes
// on through it). The first line always continues whatever line the ranges before it left open.
struct RangeIds {
    std::vector<TokenId> ids;
    bool transparent = true;
    bool joins_next = true;
};

inline RangeIds encode_range(const std::string& path, ByteRange range, const Vocab& vocab,
                             const TokenizerOptions& tokenizer) {
    FramedRangeBuf buffer(path, range);
    std::istream in(&buffer);
    in.exceptions(std::ios::badbit);  // rethrows the io_error of the range's reader
    Tokenizer tok(in, tokenizer,
                  path + " bytes [" + std::to_string(range.begin) + ", " + std::to_string(range.end) + ")");
    RangeIds out;
    std::vector<std::string_view> tokens;
    bool first = true;            // the next token is the front sentinel
    bool last_was_pushed = false; // the last token seen went into out.ids (the back sentinel, at the end)
    std::size_t lines = 0;
    while (tok.next_sentence(tokens)) {
        if (!first && !tok.continues_line()) {
            out.ids.push_back(kSentenceEnd);
            ++lines;
        }
        for (const std::string_view t : tokens) {
            if (first) {
                first = false;
                continue;
            }
            last_was_pushed = false;
            if (const auto id = vocab.find(t)) {
                out.ids.push_back(*id);
                last_was_pushed = true;
            }
        }
    }
    if (last_was_pushed) out.ids.pop_back();  // the back sentinel happened to be a word
    out.transparent = lines == 0;
    // The back sentinel is alone in its line when a line end came after the last real token.
    out.joins_next = out.ids.empty() || out.ids.back() != kSentenceEnd;
    return out;
}

// "transparent (u64), n (u64), n ids": the last `window` ids of a range's open last line.
inline std::string serialize_tail(const RangeIds& r, std::size_t window) {
    std::string out;
    mpi::detail::append_u64(out, r.transparent ? 1 : 0);
    std::size_t begin = r.ids.size();
    if (r.joins_next) {
        while (begin > 0 && r.ids.size() - begin < window && r.ids[begin - 1] != kSentenceEnd) --begin;
    }
    mpi::detail::append_u64(out, r.ids.size() - begin);
    out.append(reinterpret_cast<const char*>(r.ids.data() + begin), (r.ids.size() - begin) * sizeof(TokenId));
    return out;
}

// The ids the ranks before `rank` leave open in front of its range (at most `window`, oldest
// first): their open tails, walking back while a range is transparent.
inline std::vector<TokenId> context_before(const std::vector<std::string>& tails, int rank, std::size_t window) {
    std::vector<TokenId> context;
    for (int q = rank - 1; q >= 0 && context.size() < window; --q) {
        const std::string_view in(tails[static_cast<std::size_t>(q)]);
        std::size_t at = 0;
        const bool transparent = mpi::detail::read_u64(in, at) != 0;
        const auto n = static_cast<std::size_t>(mpi::detail::read_u64(in, at));
        if (in.size() - at != n * sizeof(TokenId)) throw invalid_argument("count_cooccurrences_distributed: bad tail");
        std::vector<TokenId> ids(n);
        if (n > 0) std::memcpy(ids.data(), in.data() + at, n * sizeof(TokenId));
        context.insert(context.begin(), ids.begin(), ids.end());
        if (!transparent) break;
    }
    if (context.size() > window) context.erase(context.begin(), context.end() - static_cast<std::ptrdiff_t>(window));
    return context;
}

// Sends each rank its records (`by_owner[q]`) and hands every record received to `take`, in
// rounds of at most `chunk` records per destination so that no message grows with the input.
// Collective. An exception from `take` does not leave the rounds (the other ranks would wait in
// the next one): `take` is not called again and the exception is returned, for the caller to
// agree on with the other ranks.
template <class Take>
[[nodiscard]] std::exception_ptr exchange(const Communicator& comm, std::vector<std::vector<PairCount>>& by_owner,
                                          std::size_t chunk, Take&& take) {
    std::exception_ptr failure;
    const int ranks = comm.size();
    std::uint64_t rounds = 0;
    for (const auto& v : by_owner) rounds = std::max<std::uint64_t>(rounds, (v.size() + chunk - 1) / chunk);
    comm.check(MPI_Allreduce(MPI_IN_PLACE, &rounds, 1, MPI_UINT64_T, MPI_MAX, comm.native()), "MPI_Allreduce");
    std::vector<int> send_counts(static_cast<std::size_t>(ranks)), send_offsets(static_cast<std::size_t>(ranks));
    std::vector<int> recv_counts(static_cast<std::size_t>(ranks)), recv_offsets(static_cast<std::size_t>(ranks));
    std::vector<PairCount> send;
    std::vector<PairCount> received;
    for (std::uint64_t round = 0; round < rounds; ++round) {
        send.clear();
        for (int q = 0; q < ranks; ++q) {
            const auto& v = by_owner[static_cast<std::size_t>(q)];
            const std::size_t begin = std::min<std::size_t>(v.size(), static_cast<std::size_t>(round) * chunk);
            const std::size_t end = std::min(v.size(), begin + chunk);
            send_offsets[static_cast<std::size_t>(q)] = static_cast<int>(send.size() * sizeof(PairCount));
            send_counts[static_cast<std::size_t>(q)] = static_cast<int>((end - begin) * sizeof(PairCount));
            send.insert(send.end(), v.begin() + static_cast<std::ptrdiff_t>(begin), v.begin() + static_cast<std::ptrdiff_t>(end));
        }
        comm.check(MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, comm.native()),
                   "MPI_Alltoall");
        std::size_t total = 0;
        for (int q = 0; q < ranks; ++q) {
            recv_offsets[static_cast<std::size_t>(q)] = static_cast<int>(total);
            total += static_cast<std::size_t>(recv_counts[static_cast<std::size_t>(q)]);
        }
        received.resize(total / sizeof(PairCount));
        comm.check(MPI_Alltoallv(send.data(), send_counts.data(), send_offsets.data(), MPI_BYTE, received.data(),
                                 recv_counts.data(), recv_offsets.data(), MPI_BYTE, comm.native()),
                   "MPI_Alltoallv");
        if (failure) continue;
        try {
            for (const PairCount& r : received) take(r);
        } catch (...) {
            failure = std::current_exception();
        }
    }
    for (auto& v : by_owner) v.clear();
    return failure;
}

}  // namespace detail

/// Counts the co-occurrences of the text file `path` over `vocab` (the same on every rank, e.g.
/// from `build_vocab_distributed`) with all ranks of `comm`; collective. Each rank reads only
/// `whitespace_part(path, rank, size)`, encodes it as `Corpus::encode_file(path, vocab,
/// tokenizer)` would, and counts the pairs whose later word is in its part. A line that crosses
/// a part boundary stays one sentence: every rank sends the last `window` ids of its open last
/// line to the others (one all-gather), so a rank's first words reach back into the parts before
/// it (through parts with no line end at all, when a line spans several). The counted cells go
/// to their owners (`cooccurrence_owner`) in rounds (MPI_Alltoallv, at most a few MiB per rank
/// pair and message), whenever the rank's counting table fills up and at the end; owners add
/// them up in a table of their own that spills sorted runs to `options.temp_dir` past its share
/// of `options.memory_mb`, as the single-process counter does.
///
/// The result: on each rank the cells it owns, whose union over the ranks is
/// `count_cooccurrences(vocab, Corpus::encode_file(path, vocab, tokenizer).view(), options)`,
/// bit for bit, for any number of ranks. This needs `tokenizer.join_split_lines` (a line is one
/// sentence however long, the co-occurrence models' setting; invalid_options otherwise), because
/// where the tokenizer cuts a long line at max_sentence_tokens depends on where it starts reading.
///
/// Each rank counts with one thread (`options.threads` is not used: the ranks are the
/// parallelism). `options.progress` is called on rank 0 only, after each round; returning false
/// stops every rank with `cancelled`. A failure on any rank (unreadable file, invalid options)
/// throws on every rank (`collectively`). Memory per rank: its part's ids, the counting and owner
/// tables within memory_mb, and its share of the cells of the result.
[[nodiscard]] inline DistributedCooccurrence count_cooccurrences_distributed(const std::string& path, const Vocab& vocab,
                                                                             const CooccurrenceOptions& options,
                                                                             const Communicator& comm,
                                                                             const TokenizerOptions& tokenizer = [] {
                                                                                 TokenizerOptions t;
                                                                                 t.join_split_lines = true;
                                                                                 return t;
                                                                             }()) {
    using embedkit::detail::PairCount;
    using embedkit::detail::PairCountTable;
    using embedkit::detail::SortedRuns;
    const auto start_time = std::chrono::steady_clock::now();
    const int ranks = comm.size();
    const auto window = static_cast<std::size_t>(std::max(options.window, 0));

    // 1. This rank's ids, and the ids the ranks before it leave open.
    detail::RangeIds mine = collectively(comm, [&] {
        validate(options);
        validate(tokenizer);
        if (!tokenizer.join_split_lines) {
            throw invalid_options("count_cooccurrences_distributed: TokenizerOptions.join_split_lines must be true (a "
                                  "line is one sentence), or the sentences would depend on where each rank starts");
        }
        if (vocab.size() == 0) throw invalid_argument("count_cooccurrences_distributed: the vocabulary is empty");
        return detail::encode_range(path, whitespace_part(path, comm.rank(), ranks), vocab, tokenizer);
    });
    const std::vector<std::string> tails = comm.all_gather(detail::serialize_tail(mine, window));
    std::vector<TokenId> ids = detail::context_before(tails, comm.rank(), window);
    const std::size_t first = ids.size();  // ids[first...] are this rank's own
    ids.insert(ids.end(), mine.ids.begin(), mine.ids.end());
    mine.ids = {};

    // 2. Memory: 2/10 of the budget for the counting table, 2/10 for the copy of it being sent,
    // 4/10 for the owner table, 1/10 for the spill files' buffers and 1/10 for one round's
    // messages (sent and received).
    const auto budget = static_cast<std::size_t>(options.memory_mb * 1024.0 * 1024.0);
    const auto files = static_cast<std::size_t>(options.max_open_files);
    const std::size_t buffer_records = std::max<std::size_t>(256, budget / 10 / files / sizeof(PairCount));
    const std::size_t counting_bytes = budget / 10 * 2;
    const std::size_t owned_bytes = budget / 10 * 4;
    const std::size_t chunk =
        std::max<std::size_t>(1024, budget / 10 / (2 * static_cast<std::size_t>(ranks) * sizeof(PairCount)));
    std::unique_ptr<SortedRuns> runs;
    std::unique_ptr<PairCountTable> counting;
    std::unique_ptr<PairCountTable> owned;
    collectively(comm, [&] {
        runs = std::make_unique<SortedRuns>(options.temp_dir, files, buffer_records);
        counting = std::make_unique<PairCountTable>(counting_bytes);
        owned = std::make_unique<PairCountTable>(owned_bytes);
    });

    std::vector<std::uint64_t> weights(window + 1, 0);
    for (std::size_t d = 1; d <= window; ++d) {
        weights[d] = embedkit::detail::to_pair_weight(options.distance_weighting ? 1.0 / static_cast<double>(d) : 1.0);
    }
    std::vector<PairCount> overflow;  // pairs of the token that found the table full
    std::vector<std::vector<PairCount>> by_owner(static_cast<std::size_t>(ranks));
    std::uint64_t tokens = 0;
    std::uint64_t pairs = 0;
    std::size_t p = first;
    std::ptrdiff_t sentence_start = 0;  // the context is part of the first line

    auto take = [&](const PairCount& r) {
        if (!owned->add(r.key, r.weight)) {
            const std::size_t n = owned->size();
            runs->add(owned->sorted(), n);
            owned->clear();
            owned->add(r.key, r.weight);
        }
    };

    // 3. Rounds: count until the table is full or the part is done, then every rank sends.
    for (;;) {
        std::exception_ptr failure;
        try {
            bool full = false;
            for (; p < ids.size() && !full; ++p) {
                const TokenId b = ids[p];
                if (b == kSentenceEnd) {
                    sentence_start = static_cast<std::ptrdiff_t>(p) + 1;
                    continue;
                }
                ++tokens;
                const auto reach =
                    std::min(window, static_cast<std::size_t>(static_cast<std::ptrdiff_t>(p) - sentence_start));
                const auto ub = static_cast<std::uint32_t>(b);
                for (std::size_t d = 1; d <= reach; ++d) {
                    const auto ua = static_cast<std::uint32_t>(ids[p - d]);
                    const std::uint64_t key =
                        ua < ub ? embedkit::detail::pair_key(ua, ub) : embedkit::detail::pair_key(ub, ua);
                    const std::uint64_t w = ua == ub ? 2 * weights[d] : weights[d];
                    if (full || !counting->add(key, w)) {
                        full = true;
                        overflow.push_back({key, w});
                    }
                }
                pairs += reach;
            }
            const std::size_t n = counting->size();
            const PairCount* sorted = counting->sorted();
            for (std::size_t k = 0; k < n; ++k) {
                const PairCount& c = sorted[k];
                by_owner[static_cast<std::size_t>(cooccurrence_owner(embedkit::detail::pair_row(c.key),
                                                                     embedkit::detail::pair_col(c.key), ranks))]
                    .push_back(c);
            }
            for (const PairCount& c : overflow) {
                by_owner[static_cast<std::size_t>(cooccurrence_owner(embedkit::detail::pair_row(c.key),
                                                                     embedkit::detail::pair_col(c.key), ranks))]
                    .push_back(c);
            }
            overflow.clear();
            counting->clear();
        } catch (...) {
            failure = std::current_exception();
        }
        comm.agree(failure);
        comm.agree(detail::exchange(comm, by_owner, chunk, take));
        int state[2] = {p < ids.size() ? 1 : 0, 0};  // more to count, stop requested
        if (comm.rank() == 0 && options.progress) {
            TrainingProgress progress;
            progress.fraction = 0.9 * static_cast<double>(p - first) / static_cast<double>(std::max<std::size_t>(1, ids.size() - first));
            progress.tokens_processed = tokens;
            progress.elapsed_seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
            if (!options.progress(progress)) state[1] = 1;
        }
        comm.check(MPI_Allreduce(MPI_IN_PLACE, state, 2, MPI_INT, MPI_MAX, comm.native()), "MPI_Allreduce");
        if (state[1] != 0) throw cancelled("co-occurrence counting was stopped by its progress callback");
        if (state[0] == 0) break;
    }
    counting.reset();
    ids = {};

    // 4. Each owner merges its table and spilled runs into its sorted cells.
    DistributedCooccurrence result;
    result.vocab = vocab;
    result.window = options.window;
    result.distance_weighting = options.distance_weighting;
    collectively(comm, [&] {
        std::vector<std::pair<const PairCount*, std::size_t>> memory;
        const std::size_t n = owned->size();
        memory.emplace_back(owned->sorted(), n);
        result.entries.reserve(n);
        runs->merge(
            memory,
            [&](std::uint64_t key, std::uint64_t weight) {
                result.entries.push_back({static_cast<TokenId>(embedkit::detail::pair_row(key)),
                                          static_cast<TokenId>(embedkit::detail::pair_col(key)),
                                          embedkit::detail::pair_weight_value(weight)});
            },
            [](std::uint64_t) {});
    });
    owned.reset();

    std::uint64_t totals[5] = {tokens, pairs, runs->spilled(), runs->passes(), result.entries.size()};
    comm.check(MPI_Allreduce(MPI_IN_PLACE, totals, 5, MPI_UINT64_T, MPI_SUM, comm.native()), "MPI_Allreduce");
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
    comm.check(MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, comm.native()), "MPI_Allreduce");
    result.stats.tokens = totals[0];
    result.stats.pairs = totals[1];
    result.stats.spilled_runs = totals[2];
    result.stats.merge_passes = totals[3];
    result.stats.entries = totals[4];
    result.stats.seconds = seconds;
    return result;
}

namespace detail {

inline constexpr int kCellsTag = 1801;
static_assert(sizeof(CooccurrenceEntry) == 12, "cells travel between ranks as raw 12-byte records");

// Rank 0 receives every rank's cells and calls sink(entry) once per cell of the whole matrix in
// (row, col) order (a merge of the ranks' sorted shares, which never overlap); the other ranks
// send theirs in chunks. If the sink throws, rank 0 still receives the rest (so that no rank is
// left blocked in a send) and then every rank throws (Communicator::agree).
template <class Sink>
void merge_at_root(const DistributedCooccurrence& share, const Communicator& comm, Sink&& sink) {
    constexpr std::size_t kChunk = std::size_t{1} << 16;
    constexpr int kChunkBytes = static_cast<int>(kChunk * sizeof(CooccurrenceEntry));
    const int ranks = comm.size();
    if (comm.rank() != 0) {
        const std::vector<CooccurrenceEntry>& e = share.entries;
        for (std::size_t at = 0;; at += kChunk) {
            const std::size_t n = std::min(kChunk, e.size() - std::min(e.size(), at));
            comm.check(MPI_Send(n > 0 ? e.data() + at : nullptr, static_cast<int>(n * sizeof(CooccurrenceEntry)), MPI_BYTE,
                                0, kCellsTag, comm.native()),
                       "MPI_Send");
            if (n == 0) break;  // an empty chunk ends the stream
        }
        comm.agree(nullptr);
        return;
    }
    struct Stream {
        std::vector<CooccurrenceEntry> cells;
        std::size_t at = 0;
        bool done = false;
    };
    std::vector<Stream> streams(static_cast<std::size_t>(ranks));
    auto refill = [&](int q) {
        Stream& s = streams[static_cast<std::size_t>(q)];
        s.at = 0;
        s.cells.resize(kChunk);
        MPI_Status status;
        comm.check(MPI_Recv(s.cells.data(), kChunkBytes, MPI_BYTE, q, kCellsTag, comm.native(), &status), "MPI_Recv");
        int bytes = 0;
        comm.check(MPI_Get_count(&status, MPI_BYTE, &bytes), "MPI_Get_count");
        s.cells.resize(static_cast<std::size_t>(bytes) / sizeof(CooccurrenceEntry));
        if (s.cells.empty()) s.done = true;
    };
    for (int q = 1; q < ranks; ++q) refill(q);
    std::exception_ptr failure;
    try {
        const std::vector<CooccurrenceEntry>& own = share.entries;
        std::size_t own_at = 0;
        auto key = [](const CooccurrenceEntry& e) {
            return embedkit::detail::pair_key(static_cast<std::uint32_t>(e.row), static_cast<std::uint32_t>(e.col));
        };
        for (;;) {
            int best = -1;
            std::uint64_t best_key = 0;
            if (own_at < own.size()) {
                best = 0;
                best_key = key(own[own_at]);
            }
            for (int q = 1; q < ranks; ++q) {
                const Stream& s = streams[static_cast<std::size_t>(q)];
                if (s.done) continue;
                const std::uint64_t k = key(s.cells[s.at]);
                if (best < 0 || k < best_key) {
                    best = q;
                    best_key = k;
                }
            }
            if (best < 0) break;
            if (best == 0) {
                sink(own[own_at++]);
                continue;
            }
            Stream& s = streams[static_cast<std::size_t>(best)];
            sink(s.cells[s.at]);
            if (++s.at == s.cells.size()) refill(best);
        }
    } catch (...) {
        failure = std::current_exception();
    }
    // Drain what the others still send (after a failure), so that none is left blocked.
    for (int q = 1; q < ranks; ++q) {
        while (!streams[static_cast<std::size_t>(q)].done) refill(q);
    }
    comm.agree(failure);
}

}  // namespace detail

/// Collective. The whole matrix of `share` (every rank's cells) on rank 0, as a
/// CooccurrenceMatrix with its vocabulary, window and weighting; an empty matrix on the others.
/// Memory on rank 0: the whole matrix.
[[nodiscard]] inline CooccurrenceMatrix gather_cooccurrences(const DistributedCooccurrence& share, const Communicator& comm) {
    std::vector<CooccurrenceEntry> all;
    if (comm.rank() == 0) all.reserve(static_cast<std::size_t>(share.stats.entries));
    detail::merge_at_root(share, comm, [&](const CooccurrenceEntry& e) { all.push_back(e); });
    if (comm.rank() != 0) return {};
    return CooccurrenceMatrix::from_entries(share.vocab, std::move(all), share.window, share.distance_weighting);
}

/// Collective. Rank 0 writes the whole matrix of `share` to `path`, atomically, in the format of
/// CooccurrenceMatrix::save and count_cooccurrences_to_file: the same bytes as one process
/// counting the same text writes. The cells stream from the ranks in chunks, so rank 0 never holds
/// more than its own share. A failure to write (io_error naming the file) throws on every rank.
inline void save_cooccurrences(const DistributedCooccurrence& share, const std::string& path, const Communicator& comm) {
    std::unique_ptr<embedkit::detail::AtomicFileWriter> file;
    std::unique_ptr<embedkit::detail::BinaryWriter> out;
    std::unique_ptr<embedkit::detail::CooccurrenceEntryWriter> cells;
    collectively(comm, [&] {
        if (comm.rank() != 0) return;
        file = std::make_unique<embedkit::detail::AtomicFileWriter>(path);
        out = std::make_unique<embedkit::detail::BinaryWriter>(file->stream());
        embedkit::detail::write_cooccurrence_header(*out, share.vocab, share.window, share.distance_weighting);
        cells = std::make_unique<embedkit::detail::CooccurrenceEntryWriter>(*out);
    });
    detail::merge_at_root(share, comm, [&](const CooccurrenceEntry& e) {
        cells->push(static_cast<std::uint32_t>(e.row), static_cast<std::uint32_t>(e.col), e.value);
    });
    collectively(comm, [&] {
        if (comm.rank() != 0) return;
        cells->finish();
        file->commit();
    });
}

}  // namespace embedkit::mpi
