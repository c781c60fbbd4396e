#pragma once

// The vocabulary and the encoded corpus of a training input, with the CLI's checks and summary
// line. The encoded ids live in memory, or (Word2Vec and fastText, --stream or a large corpus)
// in a temporary binary corpus file that is memory-mapped and read a block at a time.

#include "input_file.hpp"

#include <embedkit/errors.hpp>
#include <embedkit/text/byte_ranges.hpp>
#include <embedkit/text/corpus.hpp>
#include <embedkit/text/vocab.hpp>

#include <fmt/core.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

#include <unistd.h>

namespace embedkit::cli {

/// Where the encoded ids are kept while training.
enum class CorpusStorage {
    automatic,  ///< streamed when they would take more than kStreamAboveBytes in memory
    memory,     ///< a Corpus (4 bytes a token, all resident)
    stream,     ///< a temporary binary corpus file, mapped; resident: a few 4 MiB blocks
};

/// The automatic choice streams corpora whose ids would take more than 256 MiB in memory (about
/// 64 million tokens, some 350 MB of text like text8). Below that the ids cost less than a
/// typical model and the in-memory path saves writing and re-reading a file.
inline constexpr std::uint64_t kStreamAboveBytes = std::uint64_t{256} << 20;

/// The ids of a corpus, held as `CorpusStorage` says. A streamed corpus is encoded into a file
/// created in `temp_dir` (empty: $TMPDIR or /tmp), mapped, and removed from the directory at
/// once: the mapping keeps it readable, and nothing is left behind whatever ends the process
/// after that. io_error naming the file or the directory when it cannot be written.
class EncodedCorpus {
public:
    EncodedCorpus() = default;
    /// `part`: only these bytes of the file (this rank's part of a distributed run), whose ids
    /// are about 1/`parts` of the whole.
    EncodedCorpus(const std::string& text_path, const Vocab& vocab, CorpusStorage storage, const std::string& temp_dir,
                  const TokenizerOptions& tokenizer = {}, const std::optional<ByteRange>& part = std::nullopt,
                  unsigned parts = 1) {
        const std::uint64_t id_bytes = sizeof(TokenId) * static_cast<std::uint64_t>(vocab.total_count()) / parts;
        streamed_ = storage == CorpusStorage::stream || (storage == CorpusStorage::automatic && id_bytes > kStreamAboveBytes);
        if (!streamed_) {
            if (part) {
                ByteRangeStream in(text_path, *part);
                memory_ = Corpus::encode(in, vocab, tokenizer);
            } else {
                memory_ = Corpus::encode_file(text_path, vocab, tokenizer);
            }
            return;
        }
        const std::filesystem::path dir = temp_dir.empty() ? std::filesystem::temp_directory_path()
                                                           : std::filesystem::path(temp_dir);
        std::string path = (dir / "embedkit-corpus.XXXXXX").string();
        const int fd = ::mkstemp(path.data());
        if (fd < 0) {
            throw io_error(dir.string(), std::string("cannot create a temporary file for the streamed corpus: ") +
                                             std::strerror(errno));
        }
        ::close(fd);
        struct RemoveWhenDone {
            const std::string& path;
            ~RemoveWhenDone() {
                std::error_code ignored;
                std::filesystem::remove(path, ignored);
            }
        } remove{path};
        if (part) {
            ByteRangeStream in(text_path, *part);
            (void)encode_corpus_file(in, vocab, path, tokenizer, text_path);
        } else {
            (void)encode_corpus_file(text_path, vocab, path, tokenizer);
        }
        mapped_ = MappedCorpus(path);
        temp_dir_ = dir.string();
    }

    [[nodiscard]] CorpusView view() const noexcept { return streamed_ ? mapped_.view() : memory_.view(); }
    /// Ids that are words. O(1).
    [[nodiscard]] std::size_t token_count() const noexcept {
        return streamed_ ? mapped_.token_count() : memory_.token_count();
    }
    [[nodiscard]] bool streamed() const noexcept { return streamed_; }
    /// Where the streamed corpus's file was (it is already removed); empty in memory.
    [[nodiscard]] const std::string& temp_dir() const noexcept { return temp_dir_; }

private:
    Corpus memory_;
    MappedCorpus mapped_;
    bool streamed_ = false;
    std::string temp_dir_;
};

/// Tokenizer options that keep a line longer than the tokenizer's sentence cap one sentence: the
/// co-occurrence window of GloVe and PPMI-SVD crosses the cap as glove.c's does (text8 is a
/// single line). Word2Vec and fastText keep the cap, as word2vec.c and fastText do.
[[nodiscard]] inline TokenizerOptions whole_lines() {
    TokenizerOptions lines;
    lines.join_split_lines = true;
    return lines;
}

struct TrainingCorpus {
    Vocab vocab;
    EncodedCorpus corpus;
};

/// Prints where a streamed corpus lives (nothing for one in memory).
inline void print_corpus_storage(const EncodedCorpus& corpus) {
    if (corpus.streamed()) {
        fmt::print(stderr, "corpus: streamed from a temporary file in {} ({} MiB of ids; --in-memory keeps them in memory)\n",
                   corpus.temp_dir(), (corpus.view().size * sizeof(TokenId)) >> 20);
    }
}

/// Prints the summary lines of an encoded corpus.
inline void print_corpus_summary(const Vocab& vocab, const EncodedCorpus& corpus, std::int64_t min_count) {
    fmt::print(stderr, "corpus: {} tokens ({} in the vocabulary); vocabulary: {} words with count >= {}\n",
               vocab.total_tokens_seen(), corpus.token_count(), vocab.size(), min_count);
    print_corpus_storage(corpus);
}

/// Reads `input` (a path, or - for standard input) twice: counts the words (keeping those seen
/// at least min_count times), then encodes it, held as `storage` says. invalid_argument for an
/// empty input or when no word reaches min_count; io_error when it cannot be read (or a streamed
/// corpus cannot be written). Prints the summary unless quiet. `tokenizer` says where sentences
/// end (whole_lines() for the count-based models).
[[nodiscard]] inline TrainingCorpus read_training_corpus(const std::string& input, std::int64_t min_count, bool quiet,
                                                         CorpusStorage storage = CorpusStorage::memory,
                                                         const std::string& temp_dir = "",
                                                         const TokenizerOptions& tokenizer = {}) {
    const InputFile file(input);
    VocabOptions options;
    options.min_count = min_count;
    TrainingCorpus t;
    t.vocab = Vocab::build_file(file.path(), options);
    if (t.vocab.total_tokens_seen() == 0) throw invalid_argument(input + ": the corpus is empty");
    if (t.vocab.empty()) {
        throw invalid_argument(input + ": no word occurs at least --min-count " + std::to_string(min_count) + " times");
    }
    t.corpus = EncodedCorpus(file.path(), t.vocab, storage, temp_dir, tokenizer);
    if (!quiet) print_corpus_summary(t.vocab, t.corpus, min_count);
    return t;
}

}  // namespace embedkit::cli
