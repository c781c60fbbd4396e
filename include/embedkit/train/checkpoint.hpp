#pragma once

// Training checkpoints: everything a stopped Word2Vec or fastText run needs to continue exactly
// where it was (its options, vocabulary, every parameter matrix, every thread's position in the
// corpus and random stream, the learning-rate schedule), in one file with a format version and
// a checksum. The trainers write them (`Word2VecOptions::checkpoint`); `resume_word2vec` and
// `resume_fasttext` continue from them. Files are written atomically, so a checkpoint that fails
// to write (disk full) leaves the previous one intact.
//
// Layout (little-endian): magic "EKCKPT01", u32 version, u32 scalar bytes (4 or 8), the model
// name, u32 settings and their key/value strings, the vocabulary (i64 words; per word u32 length,
// bytes, i64 count), i64 extra ids and their i32 values (fastText: the stored buckets), the
// corpus fingerprint (u64 tokens, u64 checksum of the ids), the engine state (u64 tokens
// processed; u32 threads; per thread i32 epoch, u64 position, 4 x u64 random state, f64 learning
// rate, f64 loss, u64 predictions), u32 matrices (each: name, i64 rows, i64 cols, the values row
// by row), and a u64 checksum of every byte before it. Strings are u32 length + bytes.

#include "embedkit/detail/atomic_file.hpp"
#include "embedkit/detail/binary_io.hpp"
#include "embedkit/detail/chunk_reader.hpp"
#include "embedkit/train/training_progress.hpp"
#include "embedkit/train/engine_state.hpp"
#include "embedkit/train/peers.hpp"
#include "embedkit/errors.hpp"
#include "embedkit/text/corpus.hpp"
#include "embedkit/text/vocab.hpp"
#include "embedkit/types.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace embedkit {

/// When a trainer writes checkpoints. An empty path writes none.
struct CheckpointOptions {
    std::string path;           ///< the checkpoint file, replaced atomically each time
    double every_seconds = 0;   ///< 0: only when the run is stopped (stop_requested or the progress callback)
};

/// What may change when a run continues from a checkpoint (everything else comes from it).
struct ResumeOptions {
    ProgressCallback progress;
    double progress_interval = 1.0;
    CheckpointOptions checkpoint;  ///< where the continued run writes its own checkpoints (empty: none)
    const std::atomic<bool>* stop_requested = nullptr;
    /// A distributed run's processes (Word2VecOptions::peers): resume a checkpoint of a run on
    /// as many processes. Null: this process alone, which resumes only a one-process checkpoint.
    Peers* peers = nullptr;
};

/// What identifies a corpus: its length and a checksum of its ids. A run resumes only on the
/// corpus it was checkpointed on.
struct CorpusFingerprint {
    std::uint64_t tokens = 0;
    std::uint64_t checksum = 0;

    friend bool operator==(const CorpusFingerprint& a, const CorpusFingerprint& b) noexcept {
        return a.tokens == b.tokens && a.checksum == b.checksum;
    }
    friend bool operator!=(const CorpusFingerprint& a, const CorpusFingerprint& b) noexcept { return !(a == b); }
};

[[nodiscard]] inline CorpusFingerprint fingerprint(CorpusView corpus) {
    detail::Checksum64 sum;
    corpus.for_each_block([&sum](const TokenId* ids, std::size_t n, std::size_t) { sum.update(ids, n * sizeof(TokenId)); });
    return {static_cast<std::uint64_t>(corpus.size), sum.value()};
}

/// A checkpoint as read back: the matrices are owned.
template <class Scalar>
struct Checkpoint {
    std::string model;  ///< "word2vec" or "fasttext"
    std::vector<std::pair<std::string, std::string>> settings;
    std::vector<std::pair<std::string, std::int64_t>> vocabulary;  ///< words and counts, in id order
    std::vector<std::int32_t> ids;
    CorpusFingerprint corpus;
    detail::EngineState state;
    std::vector<std::pair<std::string, RowMatrix<Scalar>>> matrices;

    /// The setting `key`; io_error naming `source` when it is missing.
    [[nodiscard]] const std::string& setting(const std::string& key, const std::string& source) const {
        for (const auto& [k, v] : settings) {
            if (k == key) return v;
        }
        throw io_error(source, "checkpoint has no setting '" + key + "'");
    }
    /// The matrix `name` (moved out); io_error naming `source` when it is missing.
    [[nodiscard]] RowMatrix<Scalar> take_matrix(const std::string& name, const std::string& source) {
        for (auto& [n, m] : matrices) {
            if (n == name) return std::move(m);
        }
        throw io_error(source, "checkpoint has no matrix '" + name + "'");
    }
};

/// What a trainer hands the writer: the matrices are borrowed, not copied.
template <class Scalar>
struct CheckpointContents {
    std::string model;
    std::vector<std::pair<std::string, std::string>> settings;
    const std::vector<std::string>* words = nullptr;
    const std::vector<std::int64_t>* counts = nullptr;
    const std::vector<std::int32_t>* ids = nullptr;
    CorpusFingerprint corpus;
    std::vector<std::pair<std::string, const RowMatrix<Scalar>*>> matrices;
};

namespace detail {

inline constexpr char kCheckpointMagic[8] = {'E', 'K', 'C', 'K', 'P', 'T', '0', '1'};
inline constexpr std::uint32_t kCheckpointVersion = 1;
inline constexpr std::uint32_t kCheckpointMaxString = 1u << 20;
inline constexpr const char* kRankSettingPrefix = "rank.";

inline void write_checkpoint_string(BinaryWriter& out, const std::string& s) {
    out.value<std::uint32_t>(static_cast<std::uint32_t>(s.size()));
    out.bytes(s.data(), s.size());
}

inline std::string read_checkpoint_string(BinaryReader& in, const char* what) {
    const auto n = in.value<std::uint32_t>(what);
    if (n > kCheckpointMaxString) in.fail(std::string(what) + " is longer than " + std::to_string(kCheckpointMaxString) + " bytes");
    std::string s(n, '\0');
    in.bytes(s.data(), n, what);
    return s;
}

/// A count read from the file that must be at most `limit` (and, times `bytes_each`, fit in
/// what is left of the file), so a corrupt count never allocates more than the file holds.
inline std::uint64_t read_checkpoint_count(BinaryReader& in, std::int64_t count, std::uint64_t limit,
                                           std::uint64_t bytes_each, const std::optional<std::uint64_t>& size,
                                           const char* what) {
    if (count < 0 || static_cast<std::uint64_t>(count) > limit) in.fail(std::string("invalid ") + what + " " + std::to_string(count));
    const auto n = static_cast<std::uint64_t>(count);
    if (size && bytes_each > 0 && n > (*size - std::min(*size, in.offset())) / bytes_each) {
        in.fail(std::string("truncated file: ") + what + " " + std::to_string(n) + " does not fit in what is left");
    }
    return n;
}

}  // namespace detail

/// Writes a checkpoint atomically (temp file + rename). io_error naming the path on failure, in
/// which case any checkpoint already at `path` is left as it was.
namespace detail {

/// Moves the "rank.R" settings of a distributed run's checkpoint into c.state.ranks; fails on a
/// malformed one, ranks out of order, or thread counts that do not add up.
template <class Scalar>
void take_rank_states(Checkpoint<Scalar>& c, BinaryReader& in) {
    std::vector<std::pair<std::string, std::string>> kept;
    for (auto& [key, value] : c.settings) {
        if (key.rfind(kRankSettingPrefix, 0) != 0) {
            kept.emplace_back(std::move(key), std::move(value));
            continue;
        }
        if (key != kRankSettingPrefix + std::to_string(c.state.ranks.size())) in.fail("rank setting '" + key + "' out of order");
        RankState rank;
        unsigned long long processed = 0, tokens = 0, checksum = 0, meetings = 0;
        unsigned threads = 0;
        char tail = 0;
        if (std::sscanf(value.c_str(), "%llu %llu %llu %u %llu%c", &processed, &tokens, &checksum, &threads, &meetings,
                        &tail) != 5 ||
            threads == 0) {
            in.fail("invalid rank setting '" + key + "' = '" + value + "'");
        }
        rank.processed = processed;
        rank.corpus_tokens = tokens;
        rank.corpus_checksum = checksum;
        rank.threads = threads;
        rank.meetings = meetings;
        c.state.ranks.push_back(rank);
    }
    c.settings = std::move(kept);
    if (c.state.ranks.empty()) return;
    std::size_t threads = 0;
    for (const RankState& r : c.state.ranks) threads += r.threads;
    if (threads != c.state.threads.size()) {
        in.fail("the ranks' thread counts add up to " + std::to_string(threads) + ", the state holds " +
                std::to_string(c.state.threads.size()));
    }
}

}  // namespace detail

template <class Scalar>
void write_checkpoint(const std::string& path, const CheckpointContents<Scalar>& c, const detail::EngineState& state) {
    static_assert(std::is_floating_point_v<Scalar>, "write_checkpoint needs a floating-point scalar");
    if (c.words == nullptr || c.counts == nullptr || c.words->size() != c.counts->size()) {
        throw invalid_argument("write_checkpoint: the vocabulary's words and counts must be given, of equal size");
    }
    detail::AtomicFileWriter file(path);
    detail::BinaryWriter out(file.stream());
    out.bytes(detail::kCheckpointMagic, sizeof detail::kCheckpointMagic);
    out.value<std::uint32_t>(detail::kCheckpointVersion);
    out.value<std::uint32_t>(static_cast<std::uint32_t>(sizeof(Scalar)));
    detail::write_checkpoint_string(out, c.model);
    // A distributed run's ranks are settings "rank.R" = "processed corpus-tokens corpus-checksum threads meetings".
    out.value<std::uint32_t>(static_cast<std::uint32_t>(c.settings.size() + state.ranks.size()));
    for (const auto& [key, value] : c.settings) {
        detail::write_checkpoint_string(out, key);
        detail::write_checkpoint_string(out, value);
    }
    for (std::size_t r = 0; r < state.ranks.size(); ++r) {
        const detail::RankState& rank = state.ranks[r];
        detail::write_checkpoint_string(out, std::string(detail::kRankSettingPrefix) + std::to_string(r));
        detail::write_checkpoint_string(out, std::to_string(rank.processed) + ' ' + std::to_string(rank.corpus_tokens) +
                                                 ' ' + std::to_string(rank.corpus_checksum) + ' ' +
                                                 std::to_string(rank.threads) + ' ' + std::to_string(rank.meetings));
    }
    out.value<std::int64_t>(static_cast<std::int64_t>(c.words->size()));
    for (std::size_t i = 0; i < c.words->size(); ++i) {
        detail::write_checkpoint_string(out, (*c.words)[i]);
        out.value<std::int64_t>((*c.counts)[i]);
    }
    const std::size_t nids = c.ids ? c.ids->size() : 0;
    out.value<std::int64_t>(static_cast<std::int64_t>(nids));
    if (nids > 0) out.values<std::int32_t>(c.ids->data(), nids);
    out.value<std::uint64_t>(c.corpus.tokens);
    out.value<std::uint64_t>(c.corpus.checksum);
    out.value<std::uint64_t>(state.processed);
    out.value<std::uint32_t>(static_cast<std::uint32_t>(state.threads.size()));
    for (const auto& t : state.threads) {
        out.value<std::int32_t>(t.epoch);
        out.value<std::uint64_t>(t.position);
        for (const std::uint64_t w : t.rng.s) out.value<std::uint64_t>(w);
        out.value<double>(t.lr);
        out.value<double>(t.loss);
        out.value<std::uint64_t>(t.predictions);
    }
    out.value<std::uint32_t>(static_cast<std::uint32_t>(c.matrices.size()));
    for (const auto& [name, m] : c.matrices) {
        detail::write_checkpoint_string(out, name);
        out.value<std::int64_t>(static_cast<std::int64_t>(m->rows()));
        out.value<std::int64_t>(static_cast<std::int64_t>(m->cols()));
        out.values<Scalar>(m->data(), static_cast<std::size_t>(m->size()));
    }
    out.value<std::uint64_t>(out.checksum());
    file.commit();
}

/// Reads a checkpoint written by write_checkpoint, as Scalar (float and double files both load).
/// io_error naming the file and byte offset for: a file that is not a checkpoint (wrong magic),
/// an unsupported version or scalar size, a truncated file, absurd sizes, bytes after the end,
/// and a checksum mismatch. With `header_only`, stops before the matrices (no checksum check).
template <class Scalar = float>
[[nodiscard]] Checkpoint<Scalar> read_checkpoint(const std::string& path, bool header_only = false) {
    static_assert(std::is_floating_point_v<Scalar>, "read_checkpoint needs a floating-point scalar");
    std::ifstream stream(path, std::ios::binary);
    if (!stream) throw io_error(path, "cannot open the checkpoint for reading");
    const std::optional<std::uint64_t> size = detail::remaining_bytes(stream);
    detail::BinaryReader in(stream, path);
    char magic[8];
    in.bytes(magic, sizeof magic, "the magic number");
    if (std::memcmp(magic, detail::kCheckpointMagic, sizeof magic) != 0) {
        in.fail("not an embedkit checkpoint (wrong magic number)");
    }
    const auto version = in.value<std::uint32_t>("the version");
    if (version != detail::kCheckpointVersion) {
        in.fail("unsupported checkpoint version " + std::to_string(version) + " (this build reads version " +
                std::to_string(detail::kCheckpointVersion) + ")");
    }
    const auto scalar_bytes = in.value<std::uint32_t>("the scalar size");
    if (scalar_bytes != 4 && scalar_bytes != 8) in.fail("unsupported scalar size " + std::to_string(scalar_bytes));
    Checkpoint<Scalar> c;
    c.model = detail::read_checkpoint_string(in, "the model name");
    const auto settings = in.value<std::uint32_t>("the number of settings");
    if (settings > 4096) in.fail("invalid number of settings " + std::to_string(settings));
    for (std::uint32_t i = 0; i < settings; ++i) {
        std::string key = detail::read_checkpoint_string(in, "a setting name");
        std::string value = detail::read_checkpoint_string(in, "a setting value");
        c.settings.emplace_back(std::move(key), std::move(value));
    }
    const std::uint64_t words = detail::read_checkpoint_count(
        in, in.value<std::int64_t>("the vocabulary size"), std::numeric_limits<std::int32_t>::max(), 13, size,
        "vocabulary size");
    c.vocabulary.reserve(words);
    for (std::uint64_t i = 0; i < words; ++i) {
        std::string word = detail::read_checkpoint_string(in, "a word");
        const auto count = in.value<std::int64_t>("a word count");
        c.vocabulary.emplace_back(std::move(word), count);
    }
    const std::uint64_t nids = detail::read_checkpoint_count(in, in.value<std::int64_t>("the number of ids"),
                                                              std::numeric_limits<std::int32_t>::max(), 4, size,
                                                              "number of ids");
    c.ids.resize(nids);
    in.values<std::int32_t>(c.ids.data(), c.ids.size(), "the ids");
    c.corpus.tokens = in.value<std::uint64_t>("the corpus size");
    c.corpus.checksum = in.value<std::uint64_t>("the corpus checksum");
    c.state.processed = in.value<std::uint64_t>("the tokens processed");
    const auto threads = in.value<std::uint32_t>("the thread count");
    if (threads == 0 || threads > 4096) in.fail("invalid thread count " + std::to_string(threads));
    c.state.threads.resize(threads);
    for (auto& t : c.state.threads) {
        t.epoch = in.value<std::int32_t>("a thread's epoch");
        t.position = in.value<std::uint64_t>("a thread's position");
        for (std::uint64_t& w : t.rng.s) w = in.value<std::uint64_t>("a thread's random state");
        t.lr = in.value<double>("a thread's learning rate");
        t.loss = in.value<double>("a thread's loss");
        t.predictions = in.value<std::uint64_t>("a thread's prediction count");
        if (t.epoch < 0 || !(t.lr >= 0)) in.fail("invalid thread state (epoch " + std::to_string(t.epoch) + ")");
    }
    detail::take_rank_states(c, in);
    if (header_only) return c;
    const auto matrices = in.value<std::uint32_t>("the number of matrices");
    if (matrices > 64) in.fail("invalid number of matrices " + std::to_string(matrices));
    for (std::uint32_t i = 0; i < matrices; ++i) {
        std::string name = detail::read_checkpoint_string(in, "a matrix name");
        const auto rows = in.value<std::int64_t>("a matrix's rows");
        const auto cols = in.value<std::int64_t>("a matrix's columns");
        if (rows < 0 || cols < 0 || rows > std::numeric_limits<std::int32_t>::max() || cols > 1'000'000) {
            in.fail("invalid shape " + std::to_string(rows) + " x " + std::to_string(cols) + " of matrix '" + name + "'");
        }
        RowMatrix<Scalar> m;
        if (scalar_bytes == 4) detail::read_model_matrix<float>(in, m, rows, cols, size, "a matrix");
        else detail::read_model_matrix<double>(in, m, rows, cols, size, "a matrix");
        c.matrices.emplace_back(std::move(name), std::move(m));
    }
    const std::uint64_t expected = in.checksum();
    const auto found = in.value<std::uint64_t>("the checksum");
    if (found != expected) in.fail("checksum mismatch: the checkpoint is corrupt");
    if (!in.at_end()) in.fail("unexpected bytes after the checksum");
    return c;
}

namespace detail {

/// The vocabulary a checkpoint was written with, in its id order.
template <class Scalar>
[[nodiscard]] Vocab checkpoint_vocab(const Checkpoint<Scalar>& c, const std::string& source) {
    VocabOptions all;
    all.min_count = 1;
    Vocab vocab;
    try {
        vocab = Vocab::from_counts(c.vocabulary, all);
    } catch (const error& e) {
        throw io_error(source, std::string("checkpoint holds an invalid vocabulary: ") + e.what());
    }
    bool same = vocab.size() == c.vocabulary.size();
    for (std::size_t i = 0; same && i < vocab.size(); ++i) same = vocab.words()[i] == c.vocabulary[i].first;
    if (!same) throw io_error(source, "checkpoint holds a vocabulary that is not in frequency order");
    return vocab;
}

/// Checkpoints while a run goes: `save` is called with every worker paused between two sentences
/// (so the parameters hold still), every `every_seconds` and once more when a stop is requested.
/// An exception from `save` stops the run and is rethrown.
struct EngineCheckpoints {
    double every_seconds = 0;  ///< 0: only the final checkpoint of a stopped run
    std::function<void(const EngineState&)> save;  ///< empty: no checkpoints
};

/// A matrix from a checkpoint that must have `rows` x `cols` (an empty one when rows is 0).
template <class Scalar>
[[nodiscard]] RowMatrix<Scalar> checkpoint_matrix(Checkpoint<Scalar>& c, const std::string& name, Eigen::Index rows,
                                                  Eigen::Index cols, const std::string& source) {
    RowMatrix<Scalar> m = c.take_matrix(name, source);
    if (rows == 0 && m.size() == 0) return m;
    if (m.rows() != rows || m.cols() != cols) {
        throw io_error(source, "checkpoint matrix '" + name + "' is " + std::to_string(m.rows()) + " x " +
                                   std::to_string(m.cols()) + ", expected " + std::to_string(rows) + " x " +
                                   std::to_string(cols));
    }
    if (!m.allFinite()) throw io_error(source, "checkpoint matrix '" + name + "' holds NaN or Inf");
    return m;
}

/// Checks that `corpus` is the one the checkpoint was written on.
template <class Scalar>
void check_checkpoint_corpus(const Checkpoint<Scalar>& c, CorpusView corpus, const std::string& source) {
    const CorpusFingerprint here = fingerprint(corpus);
    if (here != c.corpus) {
        throw invalid_argument(source + ": the corpus is not the one this run was checkpointed on (" +
                               std::to_string(here.tokens) + " ids here, " + std::to_string(c.corpus.tokens) +
                               " then, or different words)");
    }
}

/// Where a resumed run starts: the checkpoint's state, or for a distributed run this process's
/// part of it. Checks that `corpus` (this process's part) is the one the run was checkpointed
/// on and that the process count is the one it had; invalid_argument naming `source` otherwise.
template <class Scalar>
[[nodiscard]] EngineState resumed_state(const Checkpoint<Scalar>& c, CorpusView corpus, const std::string& source,
                                        const Peers* peers) {
    const std::size_t ranks = peers != nullptr ? peers->ranks() : 1;
    const std::size_t saved_ranks = std::max<std::size_t>(1, c.state.ranks.size());
    if (ranks != saved_ranks) {
        throw invalid_argument(source + ": the checkpoint was written by a run on " + std::to_string(saved_ranks) +
                               (saved_ranks == 1 ? " process" : " processes") + "; resume it on as many (this run has " +
                               std::to_string(ranks) + ")");
    }
    if (c.state.ranks.empty()) {
        check_checkpoint_corpus(c, corpus, source);
        return c.state;
    }
    const std::size_t rank = peers->rank();
    const RankState& saved = c.state.ranks[rank];
    const CorpusFingerprint here = fingerprint(corpus);
    if (here.tokens != saved.corpus_tokens || here.checksum != saved.corpus_checksum) {
        throw invalid_argument(source + ": rank " + std::to_string(rank) + "'s part of the corpus is not the one this run was checkpointed on (" +
                               std::to_string(here.tokens) + " ids here, " + std::to_string(saved.corpus_tokens) +
                               " then, or different words)");
    }
    return rank_part(c.state, rank);
}

/// The engine's checkpoint writer for a run: `contents` borrows the model's matrices.
template <class Scalar>
[[nodiscard]] EngineCheckpoints engine_checkpoints(const CheckpointOptions& options, CheckpointContents<Scalar> contents) {
    EngineCheckpoints result;
    if (options.path.empty()) return result;
    result.every_seconds = options.every_seconds;
    result.save = [path = options.path, contents = std::move(contents)](const EngineState& state) {
        for (const auto& [name, m] : contents.matrices) {
            if (!m->allFinite()) throw numeric_error("training diverged: matrix '" + name + "' holds NaN or Inf; no checkpoint written");
        }
        write_checkpoint(path, contents, state);
    };
    return result;
}

}  // namespace detail

/// The vocabulary of a checkpoint's run, in its id order: encode the corpus with it to resume.
/// io_error as read_checkpoint.
[[nodiscard]] inline Vocab read_checkpoint_vocab(const std::string& path) {
    return detail::checkpoint_vocab(read_checkpoint<float>(path, /*header_only=*/true), path);
}

}  // namespace embedkit
