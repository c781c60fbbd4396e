// Distributed Word2Vec, CBOW and fastText (mpi/distributed_word2vec.hpp, mpi/rank_peers.hpp),
// run by CTest under mpirun with 2 and 3 ranks: reruns are bit-identical, every rank ends with
// the same model, a rank without words of its own still takes part, a stopped run resumes
// bit-identically from its checkpoint, and a failure on one rank stops every rank with its message.

#include <embedkit/models/fasttext.hpp>
#include <embedkit/models/word2vec.hpp>
#include <embedkit/mpi/communicator.hpp>
#include <embedkit/mpi/distributed_word2vec.hpp>
#include <embedkit/mpi/rank_peers.hpp>
#include <embedkit/train/checkpoint.hpp>

#include "mpi/mpi_checks.hpp"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

using namespace embedkit;
using testing::check;
using testing::message_of_throw;
using testing::write_text;

namespace {

// Text with Zipf-like word frequencies in lines of 1..30 words, the same for a seed.
std::string zipf_text(std::uint64_t seed, int words, int tokens) {
    detail::Rng rng(seed);
    std::string text;
    int in_line = 0;
    int line_length = 1 + static_cast<int>(rng.below(30));
    for (int i = 0; i < tokens; ++i) {
        const auto w = static_cast<int>(words * rng.uniform<double>() * rng.uniform<double>());
        text += "w" + std::to_string(w);
        if (++in_line == line_length) {
            text += '\n';
            in_line = 0;
            line_length = 1 + static_cast<int>(rng.below(30));
        } else {
            text += ' ';
        }
    }
    return text;
}

// FNV-1a over the bytes of a matrix.
std::uint64_t hash_of(const RowMatrix<float>& m) {
    std::uint64_t h = 1469598103934665603ull;
    const auto* bytes = reinterpret_cast<const unsigned char*>(m.data());
    for (std::size_t i = 0; i < static_cast<std::size_t>(m.size()) * sizeof(float); ++i) {
        h = (h ^ bytes[i]) * 1099511628211ull;
    }
    return h;
}

// True when every rank passed the same value.
bool same_everywhere(const mpi::Communicator& comm, std::uint64_t value) {
    std::string bytes(sizeof value, '\0');
    std::memcpy(bytes.data(), &value, sizeof value);
    for (const std::string& other : comm.all_gather(bytes)) {
        if (other != bytes) return false;
    }
    return true;
}

Word2VecOptions small_options(Word2VecArchitecture architecture) {
    Word2VecOptions o;
    o.architecture = architecture;
    o.dim = 16;
    o.window = 3;
    o.epochs = 2;
    o.min_count = 1;
    o.threads = 1;
    o.sample = 1e-3;
    o.seed = 7;
    return o;
}

mpi::RankPeersOptions often() {
    mpi::RankPeersOptions p;
    p.sync_words = 5000;  // tens of meetings on these corpora,
    p.full_sync_words = 15000;  // every third merging every row,
    p.frequent_rows = 50;      // the others the 50 most frequent
    return p;
}

std::uint64_t word2vec_hash(const std::string& path, const Word2VecOptions& o, const mpi::Communicator& comm) {
    const Word2VecModel<float> model = mpi::train_word2vec_distributed<float>(path, o, comm, often());
    return hash_of(model.input) ^ (hash_of(model.output) * 3);
}

// One thread per rank and a fixed seed: the same bits from run to run, on every rank; another
// seed gives other bits (the hash sees the model).
void test_reruns(const mpi::Communicator& comm, const std::string& dir) {
    const std::string path = dir + "/zipf.txt";
    if (comm.rank() == 0) write_text(path, zipf_text(11, 400, 40000));
    comm.barrier();
    for (const auto architecture : {Word2VecArchitecture::skipgram, Word2VecArchitecture::cbow}) {
        const std::string name = architecture == Word2VecArchitecture::skipgram ? "skip-gram" : "cbow";
        Word2VecOptions o = small_options(architecture);
        const std::uint64_t first = word2vec_hash(path, o, comm);
        const std::uint64_t again = word2vec_hash(path, o, comm);
        check(first == again, name + ": a rerun with the same seed is not bit-identical");
        check(same_everywhere(comm, first), name + ": the ranks ended with different models");
        o.seed = 8;
        check(word2vec_hash(path, o, comm) != first, name + ": another seed gave the same model");
    }
    FastTextOptions ft;
    ft.word2vec = small_options(Word2VecArchitecture::skipgram);
    ft.minn = 2;
    ft.maxn = 3;
    ft.buckets = 5000;
    const auto fasttext_hash = [&] {
        const FastTextModel<float> model = mpi::train_fasttext_distributed<float>(path, ft, comm, often());
        return hash_of(model.input()) ^ (hash_of(model.output()) * 3);
    };
    const std::uint64_t first = fasttext_hash();
    check(first == fasttext_hash(), "fasttext: a rerun with the same seed is not bit-identical");
    check(same_everywhere(comm, first), "fasttext: the ranks ended with different models");
}

// A token longer than the rest of the file leaves the last rank's part empty; that rank trains
// nothing but meets the others, and all end with the same model.
void test_empty_part(const mpi::Communicator& comm, const std::string& dir) {
    const std::string path = dir + "/lopsided.txt";
    if (comm.rank() == 0) write_text(path, zipf_text(12, 50, 3000) + " " + std::string(200000, 'x'));
    comm.barrier();
    const Vocab vocab = mpi::distributed_training_vocab(path, 1, comm);
    const Corpus part = mpi::encode_rank_part(path, vocab, comm);
    if (comm.rank() == comm.size() - 1) check(part.token_count() <= 1, "the last rank's part is not (nearly) empty");
    const Word2VecModel<float> model =
        mpi::train_word2vec_distributed<float>(path, small_options(Word2VecArchitecture::skipgram), comm, often());
    check(model.input.allFinite(), "a run with an empty part produced NaN or Inf");
    check(same_everywhere(comm, hash_of(model.input)), "a run with an empty part: the ranks ended with different models");
}

// Stopped by rank 0's progress callback at 40%, every rank stops at the same meeting, the
// checkpoint holds every rank's state, and resuming on as many ranks ends bit-identical to the
// run that was never stopped. One process cannot resume it.
void test_checkpoint_resume(const mpi::Communicator& comm, const std::string& dir) {
    const std::string path = dir + "/zipf.txt";
    const std::string saved = dir + "/run.ckpt";
    const Word2VecOptions plain = small_options(Word2VecArchitecture::skipgram);
    const std::uint64_t uninterrupted = word2vec_hash(path, plain, comm);

    Word2VecOptions o = plain;
    o.checkpoint.path = saved;
    o.progress_interval = 0;
    o.progress = [](const TrainingProgress& p) { return p.fraction < 0.4; };
    const std::string stopped = message_of_throw(
        [&] { (void)mpi::train_word2vec_distributed<float>(path, o, comm, often()); }, "a stopped distributed run");
    check(stopped.find("stopped on request") != std::string::npos, "the stopped run said '" + stopped + "'");
    check(std::filesystem::exists(saved), "the stopped run wrote no checkpoint");
    comm.barrier();

    const Checkpoint<float> header = read_checkpoint<float>(saved, /*header_only=*/true);
    check(header.state.ranks.size() == static_cast<std::size_t>(comm.size()), "the checkpoint does not list every rank");
    check(header.state.processed < 2 * 40000, "the checkpoint is at the end of the run");

    const Vocab vocab = read_checkpoint_vocab(saved);
    const Corpus part = mpi::encode_rank_part(path, vocab, comm);
    mpi::RankPeers peers(comm, often());
    ResumeOptions r;
    r.peers = &peers;
    const Word2VecModel<float> resumed = resume_word2vec<float>(saved, part.view(), r);
    check((hash_of(resumed.input) ^ (hash_of(resumed.output) * 3)) == uninterrupted,
          "the resumed run is not bit-identical to the run that was never stopped");

    const Corpus whole = Corpus::encode_file(path, vocab);
    const std::string alone = message_of_throw([&] { (void)resume_word2vec<float>(saved, whole.view()); },
                                               "resuming a distributed checkpoint in one process");
    check(alone.find(std::to_string(comm.size()) + " processes") != std::string::npos,
          "resuming alone said '" + alone + "'");
}

// A checkpoint that rank 0 cannot write stops every rank, each naming the file; the others say
// it was rank 0.
void test_failed_checkpoint(const mpi::Communicator& comm, const std::string& dir) {
    const std::string path = dir + "/zipf.txt";
    Word2VecOptions o = small_options(Word2VecArchitecture::skipgram);
    o.checkpoint.path = dir + "/no-such-directory/run.ckpt";
    o.checkpoint.every_seconds = 1e-9;
    const std::string message = message_of_throw(
        [&] { (void)mpi::train_word2vec_distributed<float>(path, o, comm, often()); }, "an unwritable checkpoint");
    check(message.find("no-such-directory") != std::string::npos, "an unwritable checkpoint said '" + message + "'");
    if (comm.rank() != 0) check(message.find("rank 0") != std::string::npos, "the other ranks did not name rank 0: '" + message + "'");
}

}  // namespace

int main(int argc, char** argv) {
    return testing::run_mpi_tests(argc, argv, "embedkit distributed training tests",
                                  [](const mpi::Communicator& comm, const std::string& dir) {
                                      test_reruns(comm, dir);
                                      test_empty_part(comm, dir);
                                      test_checkpoint_resume(comm, dir);
                                      test_failed_checkpoint(comm, dir);
                                  });
}
