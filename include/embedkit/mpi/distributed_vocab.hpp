#pragma once

// The vocabulary of one text file counted by every rank of a communicator, each rank reading only
// its own byte range (text/byte_ranges.hpp). Only for users of the CMake target embedkit::mpi.

#include "embedkit/detail/string_map.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/mpi/communicator.hpp"
#include "embedkit/text/byte_ranges.hpp"
#include "embedkit/text/tokenizer.hpp"
#include "embedkit/text/vocab.hpp"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace embedkit::mpi {

namespace detail {

inline void append_u64(std::string& out, std::uint64_t value) {
    char bytes[sizeof value];
    std::memcpy(bytes, &value, sizeof value);
    out.append(bytes, sizeof value);
}

// Reads a u64 at `at` of `in` (native byte order: every rank runs the same build), or throws.
inline std::uint64_t read_u64(std::string_view in, std::size_t& at) {
    std::uint64_t value = 0;
    if (in.size() - at < sizeof value) throw invalid_argument("build_vocab_distributed: truncated word counts");
    std::memcpy(&value, in.data() + at, sizeof value);
    at += sizeof value;
    return value;
}

// "tokens seen, words, then per word: length, bytes, count".
[[nodiscard]] inline std::string serialize_counts(const Vocab& counted) {
    std::string out;
    append_u64(out, static_cast<std::uint64_t>(counted.total_tokens_seen()));
    append_u64(out, counted.size());
    for (std::size_t i = 0; i < counted.size(); ++i) {
        const std::string& word = counted.words()[i];
        append_u64(out, word.size());
        out += word;
        append_u64(out, static_cast<std::uint64_t>(counted.counts()[i]));
    }
    return out;
}

}  // namespace detail

/// The vocabulary of the text file `path`, counted by all ranks of `comm` together and the same on
/// every rank. Collective: every rank calls it with the same arguments. Each rank counts the
/// tokens of its own part (`whitespace_part(path, rank, size)`), the counts of all ranks are
/// merged on every rank, and `options.min_count` and `max_size` apply to the merged counts, so the
/// result equals `Vocab::build_file(path, options, tokenizer)` of one process: the same words,
/// counts, ids (ties by word) and totals.
///
/// A failure on any rank (a missing or unreadable file, invalid options) throws on every rank:
/// the rank that failed throws its own exception (io_error naming the file), the others
/// rank_error carrying its message; no rank is left waiting.
///
/// Memory: every rank holds the distinct words of all ranks while merging. `options.prune_at`
/// bounds each rank's counting table; when a rank prunes, its counts of rare words are lower
/// bounds (as in one process) and `total_tokens_seen()` leaves out the tokens of the words it
/// pruned, so the result may then differ from a single-process count (which prunes differently).
/// The serialised counts of all ranks together must fit one MPI message (2^31-1 bytes).
[[nodiscard]] inline Vocab build_vocab_distributed(const std::string& path, const VocabOptions& options,
                                                   const Communicator& comm, const TokenizerOptions& tokenizer = {}) {
    const std::string mine = collectively(comm, [&] {
        validate(options);
        validate(tokenizer);
        const ByteRange range = whitespace_part(path, comm.rank(), comm.size());
        VocabOptions every_word = options;
        every_word.min_count = 0;
        every_word.max_size = 0;
        VocabCounter counter(every_word);
        ByteRangeStream in(path, range);
        counter.add_stream(in, tokenizer,
                           path + " bytes [" + std::to_string(range.begin) + ", " + std::to_string(range.end) + ")");
        return detail::serialize_counts(std::move(counter).finish());
    });
    const std::vector<std::string> all = comm.all_gather(mine);
    return collectively(comm, [&] {
        embedkit::detail::StringMap<std::int64_t> merged;
        for (const std::string& part : all) {
            const std::string_view in(part);
            std::size_t at = 0;
            detail::read_u64(in, at);  // tokens seen: equal to the sum of the counts without pruning
            const std::uint64_t words = detail::read_u64(in, at);
            for (std::uint64_t w = 0; w < words; ++w) {
                const std::uint64_t length = detail::read_u64(in, at);
                if (in.size() - at < length) throw invalid_argument("build_vocab_distributed: truncated word counts");
                const std::string_view word = in.substr(at, static_cast<std::size_t>(length));
                at += static_cast<std::size_t>(length);
                const auto count = static_cast<std::int64_t>(detail::read_u64(in, at));
                *merged.try_emplace(word, 0).first += count;
            }
        }
        std::vector<std::pair<std::string, std::int64_t>> counts;
        counts.reserve(merged.size());
        for (std::size_t i = 0; i < merged.size(); ++i) counts.emplace_back(std::string(merged.key(i)), merged.value(i));
        merged.clear();
        // Ordered by count, then word, whatever order the ranks' words arrive in.
        return Vocab::from_counts(std::move(counts), options);
    });
}

}  // namespace embedkit::mpi
