// The distributed GloVe tests, run by CTest under mpirun with 2 and 3 ranks (tests/CMakeLists.txt),
// with the harness of mpi/mpi_checks.hpp.
//
// - count_cooccurrences_distributed equals the single-process count bit for bit (every rank's
//   share, and the whole matrix gathered on rank 0), on generated texts whose part boundaries fall
//   inside windows: one long line, many short lines with empty and out-of-vocabulary lines, fewer
//   tokens than ranks; with tiny memory caps (several rounds, spilled runs, merge passes);
// - save_cooccurrences writes the bytes count_cooccurrences_to_file writes;
// - train_glove_distributed gives finite vectors that learn planted structure, the same on every
//   rank;
// - a missing file stops every rank with its name.

#include <embedkit/models/cooccurrence.hpp>
#include <embedkit/models/glove.hpp>
#include <embedkit/mpi/communicator.hpp>
#include <embedkit/mpi/distributed_cooccurrence.hpp>
#include <embedkit/mpi/distributed_glove.hpp>
#include <embedkit/mpi/distributed_vocab.hpp>
#include <embedkit/text/corpus.hpp>
#include <embedkit/text/vocab.hpp>

#include "mpi/mpi_checks.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

using namespace embedkit;
using testing::check;
using testing::write_text;

namespace {

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::uint64_t next(std::uint64_t& x) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x >> 33;
}

// Zipf-like words w0..w(v-1); `line_every` > 0 ends a line about every that many words (and
// sometimes writes an empty line, a line of words seen once, "\r\n" or U+2028).
std::string generated_text(std::uint64_t seed, int words, int vocabulary, int line_every) {
    std::string text;
    std::uint64_t x = seed;
    for (int i = 0; i < words; ++i) {
        const std::uint64_t r = next(x);
        text += "w" + std::to_string(r % (1 + r % static_cast<std::uint64_t>(vocabulary)));
        const std::uint64_t s = next(x);
        if (line_every > 0 && s % static_cast<std::uint64_t>(line_every) == 0) {
            switch (s / 7 % 6) {
                case 0: text += "\n\n"; break;
                case 1: text += "\nonce" + std::to_string(i) + " only" + std::to_string(i) + "\n"; break;
                case 2: text += "\r\n"; break;
                case 3: text += " \xE2\x80\xA8 "; break;
                default: text += "\n";
            }
        } else {
            text += s % 5 == 0 ? "  " : (s % 11 == 0 ? "\xC2\xA0" : " ");
        }
    }
    return text;
}

TokenizerOptions whole_lines() {
    TokenizerOptions t;
    t.join_split_lines = true;
    return t;
}

bool owned_share_matches(const CooccurrenceMatrix& expected, const mpi::DistributedCooccurrence& got, int rank,
                         int ranks) {
    std::vector<CooccurrenceEntry> mine;
    for (const CooccurrenceEntry& e : expected.entries()) {
        if (mpi::cooccurrence_owner(static_cast<std::uint32_t>(e.row), static_cast<std::uint32_t>(e.col), ranks) == rank) {
            mine.push_back(e);
        }
    }
    if (mine.size() != got.entries.size()) return false;
    for (std::size_t i = 0; i < mine.size(); ++i) {
        if (!(mine[i] == got.entries[i])) return false;
        std::uint32_t a = 0;
        std::uint32_t b = 0;
        std::memcpy(&a, &mine[i].value, 4);
        std::memcpy(&b, &got.entries[i].value, 4);
        if (a != b) return false;
    }
    return true;
}

void test_counts(const mpi::Communicator& comm, const std::string& dir) {
    struct Sample {
        std::string name;
        std::string text;
        std::int64_t min_count;
    };
    const std::vector<Sample> samples = {
        {"one long line", generated_text(7, 3000, 60, 0), 1},
        {"one long line, rare words dropped", generated_text(8, 3000, 400, 0), 3},
        {"short lines", generated_text(9, 4000, 80, 9), 2},
        {"very short lines", generated_text(10, 600, 20, 2), 1},
        {"fewer tokens than ranks", "solo", 1},
        {"two tokens", "a   b", 1},
        {"a window across every boundary", "a b c d e f g h i j k l", 1},
        {"lines around the boundaries", "a b\nc d\n\ne f\n g h \n", 1},
        {"only newlines and spaces", "\n \n  \n", 1},
    };
    std::vector<CooccurrenceOptions> all_options(4);
    all_options[0].window = 10;
    all_options[1].window = 3;
    all_options[1].distance_weighting = false;
    all_options[2].window = 5;
    all_options[2].memory_mb = 0.02;  // a few KiB a table: many rounds, spills and merge passes
    all_options[2].max_open_files = 3;
    all_options[3].window = 1;
    for (std::size_t s = 0; s < samples.size(); ++s) {
        const std::string path = dir + "/sample" + std::to_string(s) + ".txt";
        if (comm.rank() == 0) write_text(path, samples[s].text);
        comm.barrier();
        VocabOptions vo;
        vo.min_count = samples[s].min_count;
        const Vocab vocab = mpi::build_vocab_distributed(path, vo, comm);
        if (vocab.empty()) {
            check(samples[s].name == "only newlines and spaces", samples[s].name + ": empty vocabulary");
            continue;
        }
        const Corpus corpus = Corpus::encode_file(path, vocab, whole_lines());
        for (std::size_t k = 0; k < all_options.size(); ++k) {
            const std::string what = samples[s].name + ", options " + std::to_string(k);
            CooccurrenceOptions single = all_options[k];
            single.threads = 1;
            const CooccurrenceMatrix expected = count_cooccurrences(vocab, corpus.view(), single);
            const mpi::DistributedCooccurrence got = mpi::count_cooccurrences_distributed(path, vocab, all_options[k], comm);
            check(owned_share_matches(expected, got, comm.rank(), comm.size()),
                  what + ": this rank's share differs from the single-process matrix");
            check(got.stats.entries == expected.entries().size(), what + ": the cell count differs");
            check(got.stats.tokens == expected.stats().tokens, what + ": the token count differs");
            check(got.stats.pairs == expected.stats().pairs, what + ": the pair count differs (" +
                                                                 std::to_string(got.stats.pairs) + " instead of " +
                                                                 std::to_string(expected.stats().pairs) + ")");
            if (k == 2 && s == 0) check(got.stats.spilled_runs > 0, what + ": the tiny memory cap spilled nothing");
            const CooccurrenceMatrix gathered = mpi::gather_cooccurrences(got, comm);
            if (comm.rank() == 0) {
                check(gathered.entries() == expected.entries(), what + ": the gathered matrix differs");
            }
            if (k <= 1) {
                const std::string one = dir + "/one.bin";
                const std::string many = dir + "/many.bin";
                if (comm.rank() == 0) (void)count_cooccurrences_to_file(vocab, corpus.view(), one, single);
                mpi::save_cooccurrences(got, many, comm);
                if (comm.rank() == 0) {
                    const std::string a = read_bytes(one);
                    check(!a.empty() && a == read_bytes(many), what + ": the saved file differs from one process's");
                    const CooccurrenceMatrix loaded = CooccurrenceMatrix::load(many);
                    check(loaded.entries() == expected.entries(), what + ": the saved file does not load back");
                }
            }
        }
    }
}

// Two topics (lines of a0..a7 and lines of b0..b7): the distributed model is finite, the same on
// every rank, and fits the matrix about as well as one process does.
void test_glove(const mpi::Communicator& comm, const std::string& dir) {
    const std::string path = dir + "/topics.txt";
    if (comm.rank() == 0) {
        std::string text;
        std::uint64_t x = 99;
        for (int line = 0; line < 400; ++line) {
            const char topic = line % 2 == 0 ? 'a' : 'b';
            for (int i = 0; i < 12; ++i) text += std::string(1, topic) + std::to_string(next(x) % 8) + " ";
            text += "\n";
        }
        write_text(path, text);
    }
    comm.barrier();
    VocabOptions vo;
    vo.min_count = 1;
    const Vocab vocab = mpi::build_vocab_distributed(path, vo, comm);
    CooccurrenceOptions co;
    co.window = 4;
    const mpi::DistributedCooccurrence share = mpi::count_cooccurrences_distributed(path, vocab, co, comm);
    GloveOptions g;
    g.dim = 8;
    g.epochs = 30;
    g.x_max = 10;
    g.threads = 1;
    g.seed = 5;
    mpi::DistributedGloveOptions d;
    d.syncs_per_epoch = 3;
    const GloveModel<float> model = mpi::train_glove_distributed<float>(share, g, comm, d);
    const WordVectors<float> vectors = model.vectors();
    check(vectors.matrix().allFinite(), "GloVe: the vectors are not finite");
    check(model.epoch_cost.size() == 30 && model.epoch_cost.back() < model.epoch_cost.front(),
          "GloVe: the cost did not fall over the epochs");
    // The same model on every rank: the minimum and maximum of a checksum agree.
    double sum = 0;
    for (Eigen::Index i = 0; i < vectors.matrix().size(); ++i) sum += vectors.matrix().data()[i] * static_cast<double>(i % 7 + 1);
    double low = sum;
    double high = sum;
    comm.check(MPI_Allreduce(&sum, &low, 1, MPI_DOUBLE, MPI_MIN, comm.native()), "MPI_Allreduce");
    comm.check(MPI_Allreduce(&sum, &high, 1, MPI_DOUBLE, MPI_MAX, comm.native()), "MPI_Allreduce");
    check(low == high, "GloVe: the ranks' models differ");
    // Against one process on the same matrix: the final cost (the GloVe objective) within a
    // factor of one process's.
    const CooccurrenceMatrix whole = mpi::gather_cooccurrences(share, comm);
    if (comm.rank() == 0) {
        const double single = train_glove<float>(whole, g).epoch_cost.back();
        const double distributed = model.epoch_cost.back();
        check(distributed < 1.5 * single + 1e-3, "GloVe: the distributed final cost " + std::to_string(distributed) +
                                                     " is far above one process's " + std::to_string(single));
        std::printf("GloVe final cost: %.5f on %d ranks, %.5f in one process\n", distributed, comm.size(), single);
    }
}

// A file none of the ranks can read, and an output directory that does not exist: every rank
// throws, the message names the file, and the ranks stay in step.
void test_failures(const mpi::Communicator& comm, const std::string& dir) {
    const std::string missing = dir + "/no-such-file.txt";
    VocabOptions every_word;
    every_word.min_count = 1;
    const Vocab vocab = Vocab::from_counts({{"a", 3}, {"b", 2}}, every_word);
    std::string message;
    try {
        (void)mpi::count_cooccurrences_distributed(missing, vocab, {}, comm);
        check(false, "missing file: did not throw");
    } catch (const std::exception& e) {
        message = e.what();
    }
    check(message.find(missing) != std::string::npos, "missing file: the message '" + message + "' does not name it");

    const std::string path = dir + "/fail.txt";
    if (comm.rank() == 0) write_text(path, "a b a b a b");
    comm.barrier();
    const mpi::DistributedCooccurrence share = mpi::count_cooccurrences_distributed(path, vocab, {}, comm);
    const std::string bad = dir + "/no-such-dir/out.bin";
    message.clear();
    try {
        mpi::save_cooccurrences(share, bad, comm);
        check(false, "unwritable output: did not throw");
    } catch (const std::exception& e) {
        message = e.what();
    }
    check(message.find(bad) != std::string::npos, "unwritable output: the message '" + message + "' does not name it");

    testing::check_in_step(comm, "after the failures");
}

}  // namespace

int main(int argc, char** argv) {
    return testing::run_mpi_tests(argc, argv, "embedkit distributed GloVe tests",
                                  [](const mpi::Communicator& comm, const std::string& dir) {
                                      test_counts(comm, dir);
                                      test_glove(comm, dir);
                                      test_failures(comm, dir);
                                  });
}
