// The MPI tests of byte ranges, the distributed vocabulary and failures, run by CTest under mpirun
// with 2 and 3 ranks (tests/CMakeLists.txt; the harness is mpi/mpi_checks.hpp).

#include <embedkit/mpi/communicator.hpp>
#include <embedkit/mpi/distributed_vocab.hpp>
#include <embedkit/mpi/row_sync.hpp>
#include <embedkit/text/byte_ranges.hpp>
#include <embedkit/text/vocab.hpp>

#include "mpi/mpi_checks.hpp"
#include "support/byte_range_tokens.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using namespace embedkit;
using testing::check;
using testing::message_of_throw;
using testing::write_text;

namespace {

std::vector<std::string> tokens_of(const std::string& path, ByteRange range) {
    return testing::byte_range_tokens(path, range);
}

// Tokens as "part\0n\0tok\0tok\0..." so they can travel through all_gather.
std::string pack(int part, const std::vector<std::string>& tokens) {
    std::string out = std::to_string(part) + '\0' + std::to_string(tokens.size()) + '\0';
    for (const std::string& t : tokens) out += t + '\0';
    return out;
}

// Appends the packed parts of `bytes` to parts[part].
void unpack(const std::string& bytes, std::vector<std::vector<std::string>>& parts) {
    std::size_t at = 0;
    const auto next = [&] {
        const std::size_t end = bytes.find('\0', at);
        std::string field = bytes.substr(at, end - at);
        at = end + 1;
        return field;
    };
    while (at < bytes.size()) {
        const auto part = static_cast<std::size_t>(std::stoul(next()));
        const std::size_t n = std::stoul(next());
        for (std::size_t i = 0; i < n; ++i) parts.at(part).push_back(next());
    }
}

// Each part of every split of each sample is read by one rank (part p by rank p mod size); the
// parts gathered in order hold every token of the file once, in order.
void test_splits(const mpi::Communicator& comm, const std::string& dir) {
    const std::vector<std::string> samples = {
        "", "a", " ", "\n\n", "a b", "a  b   c", "ab cd ef\n", "  lead and trail  ", "\n\nx\ny\n\n\nz",
        "nowhitespaceatall", "a b c d e f g h i j", "x\r\ny\tz\vw\fq\r",
        "na\xC3\xAFve caf\xC3\xA9\xC2\xA0x\xE2\x80\xA8y z", "short averyveryverylongtokenthatgetscut b",
    };
    for (std::size_t s = 0; s < samples.size(); ++s) {
        const std::string path = dir + "/split" + std::to_string(s) + ".txt";
        if (comm.rank() == 0) write_text(path, samples[s]);
        comm.barrier();
        const std::vector<std::string> whole = tokens_of(path, {0, samples[s].size()});
        for (int parts = 1; parts <= static_cast<int>(samples[s].size()) + 2; ++parts) {
            std::string mine;
            const std::vector<std::uint64_t> starts = whitespace_split_points(path, parts);
            for (int p = comm.rank(); p < parts; p += comm.size()) {
                const ByteRange range = whitespace_part(path, p, parts);
                check(range.begin == starts[static_cast<std::size_t>(p)] &&
                          range.end == starts[static_cast<std::size_t>(p) + 1],
                      "sample " + std::to_string(s) + ", part " + std::to_string(p) + " of " + std::to_string(parts) +
                          ": whitespace_part differs from whitespace_split_points");
                mine += pack(p, tokens_of(path, range));
            }
            std::vector<std::vector<std::string>> by_part(static_cast<std::size_t>(parts));
            for (const std::string& bytes : comm.all_gather(mine)) unpack(bytes, by_part);
            std::vector<std::string> joined;
            for (const auto& part : by_part) joined.insert(joined.end(), part.begin(), part.end());
            check(joined == whole, "sample " + std::to_string(s) + " in " + std::to_string(parts) +
                                       " parts: the parts' tokens are not the file's tokens");
        }
    }
}

std::uint64_t vocab_hash(const Vocab& v) {
    std::uint64_t h = 1469598103934665603ull;
    const auto mix = [&h](const void* data, std::size_t n) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
    };
    for (std::size_t i = 0; i < v.size(); ++i) {
        mix(v.words()[i].data(), v.words()[i].size() + 1);  // with its '\0'
        const std::int64_t c = v.counts()[i];
        mix(&c, sizeof c);
    }
    const std::int64_t totals[2] = {v.total_count(), v.total_tokens_seen()};
    mix(totals, sizeof totals);
    return h;
}

// Every rank's vocabulary is the single-process one (words, counts, ids, totals), for several
// options; the ranks' hashes agree (MPI_Allreduce of min and max).
void test_vocabulary(const mpi::Communicator& comm, const std::string& dir) {
    const std::string path = dir + "/vocab.txt";
    if (comm.rank() == 0) {
        std::string text = "edge ";  // "edge" once at the start and once at the end: min_count 2
        std::uint64_t x = 12345;     // applies to the global count, which no single rank has
        for (int i = 0; i < 20000; ++i) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            const auto r = static_cast<unsigned>(x >> 33);
            text += "w" + std::to_string(r % (1 + r % 300)) + ((r >> 7) % 17 == 0 ? "\n" : ((r >> 9) % 5 ? " " : "  "));
        }
        text += "tie1 tie2 tie2 tie1 \xC3\xA9t\xC3\xA9 edge";
        write_text(path, text);
    }
    comm.barrier();
    std::vector<VocabOptions> all_options(4);
    all_options[0].min_count = 1;
    all_options[1].min_count = 2;
    all_options[2].min_count = 5;
    all_options[3].min_count = 2;
    all_options[3].max_size = 50;
    for (std::size_t k = 0; k < all_options.size(); ++k) {
        const std::string what = "vocabulary with options " + std::to_string(k);
        const Vocab expected = Vocab::build_file(path, all_options[k]);
        const Vocab got = mpi::build_vocab_distributed(path, all_options[k], comm);
        check(got.words() == expected.words(), what + ": words or their order differ from one process");
        check(got.counts() == expected.counts(), what + ": counts differ from one process");
        check(got.total_tokens_seen() == expected.total_tokens_seen(), what + ": total_tokens_seen differs");
        check(got.total_count() == expected.total_count(), what + ": total_count differs");
        if (k == 1) check(got.contains("edge"), what + ": min_count not applied globally");
        const auto mine = static_cast<unsigned long long>(vocab_hash(got));
        unsigned long long low = 0;
        unsigned long long high = 0;
        comm.check(MPI_Allreduce(&mine, &low, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, comm.native()), "MPI_Allreduce");
        comm.check(MPI_Allreduce(&mine, &high, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, comm.native()), "MPI_Allreduce");
        check(low == high && low == static_cast<unsigned long long>(vocab_hash(expected)),
              what + ": the ranks' vocabularies differ");
    }
}

// Runs `f`, which must throw on this rank; returns its message ("" and a failed check if not).
// A missing file ends every rank with an exception naming it; a failure on one rank only ends every
// rank with that rank's message, and no rank waits (the next collective still works).
void test_failures(const mpi::Communicator& comm, const std::string& dir) {
    const std::string missing = dir + "/no-such-file.txt";
    const std::string message = message_of_throw(
        [&] { (void)mpi::build_vocab_distributed(missing, {}, comm); }, "missing file");
    check(message.find(missing) != std::string::npos, "missing file: the message '" + message + "' does not name it");

    const int last = comm.size() - 1;
    const std::string lone = dir + "/only-rank-" + std::to_string(last) + "-fails.txt";
    bool rank_error_seen = false;
    const std::string one = message_of_throw(
        [&] {
            try {
                mpi::collectively(comm, [&] {
                    if (comm.rank() == last) throw io_error(lone, "cannot open for reading");
                    return 1;
                });
            } catch (const mpi::rank_error& e) {
                rank_error_seen = e.rank() == last;
                throw;
            }
        },
        "failure on one rank");
    check(one.find(lone) != std::string::npos, "failure on one rank: the message '" + one + "' does not name the file");
    if (comm.rank() != last) {
        check(rank_error_seen, "failure on one rank: the other ranks did not get rank_error naming rank " +
                                   std::to_string(last));
        check(one.find("rank " + std::to_string(last)) != std::string::npos,
              "failure on one rank: the message '" + one + "' does not name the rank");
    }

    // A range beyond the end of the file on one rank (a file that another rank sees shorter).
    const std::string small = dir + "/small.txt";
    if (comm.rank() == 0) write_text(small, "a b c");
    comm.barrier();
    const std::string range = message_of_throw(
        [&] {
            mpi::collectively(comm, [&] {
                const ByteRange r = comm.rank() == 0 ? ByteRange{0, 99} : ByteRange{0, 5};
                (void)tokens_of(small, r);
            });
        },
        "unreadable range on rank 0");
    check(range.find(small) != std::string::npos && range.find("not inside the file") != std::string::npos,
          "unreadable range: the message '" + range + "' does not name the file and the range");

    // Everyone is still in step: a collective after the failures completes.
    testing::check_in_step(comm, "after the failures");
}

// The merge of a row the ranks changed: summed while their copies were learning, averaged once
// they settled (SettlingModel), the plain sum without it, and every replica the same bits.
void test_row_merge(const mpi::Communicator& comm) {
    const double k = comm.size();
    mpi::SettlingModel model;
    model.frequent_rows = 4;
    model.frequent_words = 62'500;
    model.all_words = 500'000;
    check(model.share_of_sum(0, 1) == 1.0, "settling: a row one rank changed keeps its change");
    check(std::abs(model.share_of_sum(0, k) - 1.0 / k) < 1e-9, "settling: the most frequent row is averaged");
    const double rare = model.share_of_sum(1'000'000, k);
    check(rare > 0.99 && rare <= 1.0, "settling: a rare row is summed (share " + std::to_string(rare) + ")");
    double last = 1.0;
    for (std::size_t place = 1'000'000; place > 0; place /= 2) {
        const double share = model.share_of_sum(place, k);
        check(share <= last + 1e-12 && share >= 1.0 / k - 1e-12, "settling: the share of the sum grows with the place");
        last = share;
    }
    // Place 8 is past the frequent rows: it settles over the longer all_words.
    mpi::SettlingModel all_at_once = model;
    all_at_once.frequent_rows = 100;
    check(model.share_of_sum(8, k) < all_at_once.share_of_sum(8, k), "settling: rows merged less often settle further");
    mpi::SettlingModel none = model;
    none.top_row = 0;
    check(none.share_of_sum(0, k) == 1.0, "settling: top_row 0 is the plain sum");

    // Row 0 (the most frequent) changed by every rank, row 2 by rank 0 alone.
    RowMatrix<float> m = RowMatrix<float>::Zero(4, 2);
    mpi::RowSync<float> sync(comm, {&m}, mpi::RowMerge::sum, {{0, 1, 2, 3}}, mpi::WirePrecision::full);
    m(0, 0) = 1.0f;
    if (comm.rank() == 0) m(2, 1) = 0.5f;
    mpi::SettlingModel settled;
    settled.top_row = 1e6;  // row 0 settled on every copy
    settled.frequent_rows = 4;
    settled.frequent_words = settled.all_words = 62'500;
    sync.sync(std::numeric_limits<std::size_t>::max(), settled);
    check(std::abs(m(0, 0) - 1.0f) < 1e-6f, "row merge: the settled row moved by the ranks' mean, not " + std::to_string(m(0, 0)));
    check(m(2, 1) == 0.5f, "row merge: the row one rank changed kept that change");
    // The plain sum: every rank adds 1 to row 1 again.
    m(1, 0) += 1.0f;
    sync.sync();
    check(m(1, 0) == static_cast<float>(k), "row merge: the plain sum of " + std::to_string(comm.size()) + " ranks");
    // Every replica holds the same bits.
    std::vector<float> mine(m.data(), m.data() + m.size());
    std::vector<float> first = mine;
    comm.check(MPI_Bcast(first.data(), static_cast<int>(first.size()), MPI_FLOAT, 0, comm.native()), "MPI_Bcast");
    check(std::memcmp(first.data(), mine.data(), mine.size() * sizeof(float)) == 0, "row merge: the replicas differ");
}

}  // namespace

int main(int argc, char** argv) {
    return testing::run_mpi_tests(argc, argv, "embedkit mpi tests", [](const mpi::Communicator& comm, const std::string& dir) {
        test_splits(comm, dir);
        test_vocabulary(comm, dir);
        test_failures(comm, dir);
        test_row_merge(comm);
    });
}
