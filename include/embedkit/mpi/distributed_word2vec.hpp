#pragma once

// Word2Vec and fastText on a text file, trained by every rank of an MPI job together: the
// vocabulary is counted by all ranks and merged (build_vocab_distributed), each rank encodes and
// trains only its own byte range of the file, and the ranks merge their parameters at meeting
// points fixed by words processed (RankPeers). Every rank returns the same model.
//
// With one thread per rank and a fixed seed a run is bit-identical from run to run for a given
// rank count. It is not identical to a run of one process: the ranks train on their parts at
// once and merge, as Hogwild threads do.

#include "embedkit/errors.hpp"
#include "embedkit/models/fasttext.hpp"
#include "embedkit/models/word2vec.hpp"
#include "embedkit/mpi/communicator.hpp"
#include "embedkit/mpi/distributed_vocab.hpp"
#include "embedkit/mpi/rank_peers.hpp"
#include "embedkit/text/byte_ranges.hpp"
#include "embedkit/text/corpus.hpp"

#include <string>

namespace embedkit::mpi {

/// This rank's part of `path` (whitespace_part), encoded with `vocab`. io_error naming the file
/// on the rank that cannot read it; collective, so every rank then throws (rank_error).
[[nodiscard]] inline Corpus encode_rank_part(const std::string& path, const Vocab& vocab, const Communicator& comm,
                                             const TokenizerOptions& tokenizer = {}) {
    return collectively(comm, [&] {
        ByteRangeStream part(path, whitespace_part(path, comm.rank(), comm.size()));
        return Corpus::encode(part, vocab, tokenizer);
    });
}

/// The vocabulary of `path` counted by every rank (min_count on the global counts), identical
/// on every rank. invalid_argument on every rank when no word reaches min_count.
[[nodiscard]] inline Vocab distributed_training_vocab(const std::string& path, std::int64_t min_count,
                                                      const Communicator& comm) {
    VocabOptions vocab_options;
    vocab_options.min_count = min_count;
    Vocab vocab = build_vocab_distributed(path, vocab_options, comm);
    if (vocab.size() == 0) {
        throw invalid_argument(path + ": no word occurs at least min_count = " + std::to_string(min_count) +
                               " times (or the file is empty)");
    }
    return vocab;
}

/// Collective. Trains Word2Vec on `path` with every rank of `comm` (options.threads threads
/// each); every rank returns the model. `peers_options` says how often the ranks meet.
template <class Scalar = float>
[[nodiscard]] Word2VecModel<Scalar> train_word2vec_distributed(const std::string& path, Word2VecOptions options,
                                                               const Communicator& comm,
                                                               const RankPeersOptions& peers_options = {}) {
    validate(options);
    const Vocab vocab = distributed_training_vocab(path, options.min_count, comm);
    const Corpus part = encode_rank_part(path, vocab, comm);
    RankPeers peers(comm, peers_options);
    options.peers = &peers;
    return train_word2vec<Scalar>(vocab, part.view(), options);
}

/// Collective. fastText (subwords) on `path` with every rank of `comm`, as train_word2vec_distributed.
template <class Scalar = float>
[[nodiscard]] FastTextModel<Scalar> train_fasttext_distributed(const std::string& path, FastTextOptions options,
                                                               const Communicator& comm,
                                                               const RankPeersOptions& peers_options = {}) {
    validate(options);
    const Vocab vocab = distributed_training_vocab(path, options.word2vec.min_count, comm);
    const Corpus part = encode_rank_part(path, vocab, comm);
    RankPeers peers(comm, peers_options);
    options.word2vec.peers = &peers;
    return train_fasttext<Scalar>(vocab, part.view(), options);
}

}  // namespace embedkit::mpi
