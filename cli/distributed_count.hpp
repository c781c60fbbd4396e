#pragma once

// The co-occurrence count of `embedkit cooccur` and `embedkit train --model glove` when the CLI
// runs as several MPI ranks (mpi_world.hpp): the vocabulary and the matrix counted by all ranks,
// each reading its own byte range of the input; rank 0 prints.

#ifdef EMBEDKIT_CLI_WITH_MPI

#include "progress_printer.hpp"

#include <embedkit/errors.hpp>
#include <embedkit/models/cooccurrence.hpp>
#include <embedkit/mpi/communicator.hpp>
#include <embedkit/mpi/distributed_cooccurrence.hpp>
#include <embedkit/mpi/distributed_vocab.hpp>

#include <fmt/core.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace embedkit::cli {

/// Counts the co-occurrences of the file `input` over the words seen at least `min_count` times,
/// with every rank of `comm` (collective); a progress line and the corpus summary on rank 0
/// unless quiet. The checks and messages are read_training_corpus's; standard input cannot be
/// split between ranks (invalid_options).
[[nodiscard]] inline mpi::DistributedCooccurrence count_across_ranks(const std::string& input, std::int64_t min_count,
                                                                     CooccurrenceOptions options, bool quiet,
                                                                     const mpi::Communicator& comm) {
    if (input == "-") {
        throw invalid_options("--input -: standard input cannot be split between " + std::to_string(comm.size()) +
                              " MPI ranks; give a file");
    }
    mpi::collectively(comm, [&] {
        if (std::filesystem::is_directory(input)) throw io_error(input, "the input is a directory");
    });
    VocabOptions vocab_options;
    vocab_options.min_count = min_count;
    const Vocab vocab = mpi::build_vocab_distributed(input, vocab_options, comm);
    if (vocab.total_tokens_seen() == 0) throw invalid_argument(input + ": the corpus is empty");
    if (vocab.empty()) {
        throw invalid_argument(input + ": no word occurs at least --min-count " + std::to_string(min_count) + " times");
    }
    const bool talk = !quiet && comm.rank() == 0;
    auto printer = std::make_shared<ProgressPrinter>("cooccur", !talk, ProgressStyle{"words/sec", false, ""});
    if (talk) {
        options.progress = [printer](const TrainingProgress& p) { return (*printer)(p); };
        options.progress_interval = printer->interval();
    }
    mpi::DistributedCooccurrence share = mpi::count_cooccurrences_distributed(input, vocab, options, comm);
    if (talk) {
        fmt::print(stderr, "corpus: {} tokens ({} in the vocabulary); vocabulary: {} words with count >= {}; {} MPI ranks\n",
                   vocab.total_tokens_seen(), share.stats.tokens, vocab.size(), min_count, comm.size());
    }
    return share;
}

}  // namespace embedkit::cli

#endif
