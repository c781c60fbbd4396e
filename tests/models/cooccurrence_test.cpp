// Co-occurrence counting against a brute-force count, with and without spills to disk, merge
// passes, several threads; the matrix API; save/load and its errors; temporary files.

#include <embedkit/models/cooccurrence.hpp>

#include <catch2/catch.hpp>

#include "support/numbered_vocab.hpp"
#include "support/temp_dir.hpp"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

using namespace embedkit;
using embedkit::testing::numbered_vocab;
using embedkit::testing::TempDir;

namespace {

// Random sentences over `words` ids, Zipf-like (small ids more frequent), kSentenceEnd after each.
Corpus random_corpus(int words, int sentences, std::uint64_t seed) {
    detail::Rng rng(seed);
    std::vector<TokenId> ids;
    for (int s = 0; s < sentences; ++s) {
        const auto length = 1 + rng.below(40);
        for (std::uint64_t k = 0; k < length; ++k) {
            const double u = rng.uniform();
            ids.push_back(static_cast<TokenId>(static_cast<double>(words) * u * u * u));
        }
        ids.push_back(kSentenceEnd);
    }
    return Corpus::from_ids(std::move(ids));
}

// X[i][j] of the full symmetric matrix, counted the obvious way in double.
std::map<std::pair<TokenId, TokenId>, double> brute_force(CorpusView corpus, int window, bool distance_weighting) {
    std::map<std::pair<TokenId, TokenId>, double> x;
    std::size_t start = 0;
    for (std::size_t p = 0; p < corpus.size; ++p) {
        if (corpus.data[p] == kSentenceEnd) {
            start = p + 1;
            continue;
        }
        for (std::size_t q = start; q < p; ++q) {
            const auto d = static_cast<int>(p - q);
            if (d > window) continue;
            const double w = distance_weighting ? 1.0 / d : 1.0;
            x[{corpus.data[q], corpus.data[p]}] += w;
            x[{corpus.data[p], corpus.data[q]}] += w;
        }
    }
    return x;
}

void check_against_brute_force(const CooccurrenceMatrix& m, CorpusView corpus, int window, bool distance_weighting) {
    const auto expected = brute_force(corpus, window, distance_weighting);
    std::map<std::pair<TokenId, TokenId>, double> got;
    m.for_each_nonzero([&](TokenId r, TokenId c, float v) { got[{r, c}] += static_cast<double>(v); });
    REQUIRE(got.size() == expected.size());
    CHECK(m.nonzeros() == expected.size());
    for (const auto& [cell, value] : expected) {
        const auto it = got.find(cell);
        REQUIRE(it != got.end());
        INFO("cell " << cell.first << ", " << cell.second);
        CHECK(it->second == Approx(value).epsilon(1e-6));
        CHECK(static_cast<double>(m.value(cell.first, cell.second)) == Approx(value).epsilon(1e-6));
    }
    // Stored cells are the upper triangle, strictly increasing.
    for (std::size_t k = 0; k < m.entries().size(); ++k) {
        const auto& e = m.entries()[k];
        CHECK(e.row <= e.col);
        if (k > 0) {
            const auto& p = m.entries()[k - 1];
            CHECK((p.row < e.row || (p.row == e.row && p.col < e.col)));
        }
    }
}

}  // namespace

TEST_CASE("count_cooccurrences matches a brute-force count", "[cooccurrence]") {
    const Vocab vocab = numbered_vocab(60);
    const Corpus corpus = random_corpus(60, 300, 11);
    const TempDir spill("embedkit_cooc_test_");
    for (const int window : {1, 3, 10}) {
        for (const bool weighting : {true, false}) {
            for (const unsigned threads : {1u, 3u}) {
                CooccurrenceOptions o;
                o.window = window;
                o.distance_weighting = weighting;
                o.threads = threads;
                o.temp_dir = spill.path().string();
                INFO("window " << window << ", 1/d " << weighting << ", threads " << threads);
                const CooccurrenceMatrix m = count_cooccurrences(vocab, corpus.view(), o);
                CHECK(m.stats().spilled_runs == 0);
                CHECK(m.window() == window);
                CHECK(m.distance_weighting() == weighting);
                check_against_brute_force(m, corpus.view(), window, weighting);
                // Forced spills and merge passes: about 100 bytes of table (64 cells), 2 runs a merge.
                o.memory_mb = 0.0001;
                o.max_open_files = 3;
                const CooccurrenceMatrix spilled = count_cooccurrences(vocab, corpus.view(), o);
                CHECK(spilled.stats().spilled_runs > 3);
                CHECK(spilled.stats().merge_passes > 0);
                check_against_brute_force(spilled, corpus.view(), window, weighting);
            }
        }
    }
    CHECK(spill.entries().empty());  // every private spill directory was removed
}

TEST_CASE("the matrix is the same whatever the threads and the memory cap", "[cooccurrence]") {
    const Vocab vocab = numbered_vocab(200);
    const Corpus corpus = random_corpus(200, 2000, 5);
    CooccurrenceOptions o;
    o.threads = 1;
    const CooccurrenceMatrix reference = count_cooccurrences(vocab, corpus.view(), o);
    CHECK(reference.stats().pairs > 0);
    CHECK(reference.stats().tokens == corpus.token_count());
    for (const unsigned threads : {1u, 2u, 4u}) {
        for (const double memory : {1024.0, 0.01}) {
            o.threads = threads;
            o.memory_mb = memory;
            const CooccurrenceMatrix m = count_cooccurrences(vocab, corpus.view(), o);
            INFO("threads " << threads << ", memory " << memory << " MiB, spills " << m.stats().spilled_runs);
            CHECK((memory > 1 || m.stats().spilled_runs > 0));
            CHECK(m.entries() == reference.entries());
            CHECK(m.stats().pairs == reference.stats().pairs);
        }
    }
}

TEST_CASE("a sentence longer than a shard is counted whole, whatever the threads", "[cooccurrence]") {
    // One sentence of 200,000 ids (a long line kept whole, as text8's): the shards start inside
    // it, and the windows of their first words must reach back into the shard before.
    const Vocab vocab = numbered_vocab(50);
    detail::Rng rng(23);
    std::vector<TokenId> ids;
    for (int k = 0; k < 200000; ++k) ids.push_back(static_cast<TokenId>(rng.below(50)));
    ids.push_back(kSentenceEnd);
    for (int k = 0; k < 30; ++k) ids.push_back(static_cast<TokenId>(rng.below(50)));
    const Corpus corpus = Corpus::from_ids(std::move(ids));
    CooccurrenceOptions o;
    o.window = 10;
    o.threads = 1;
    const CooccurrenceMatrix reference = count_cooccurrences(vocab, corpus.view(), o);
    CHECK(reference.stats().pairs == 10 * 200000 - 55 + 10 * 30 - 55);
    for (const unsigned threads : {2u, 3u, 7u}) {
        INFO("threads " << threads);
        o.threads = threads;
        const CooccurrenceMatrix m = count_cooccurrences(vocab, corpus.view(), o);
        CHECK(m.stats().pairs == reference.stats().pairs);
        CHECK(m.entries() == reference.entries());
    }
    check_against_brute_force(reference, corpus.view(), 10, true);
}

TEST_CASE("windows stop at sentence ends, and diagonal cells hold both directions", "[cooccurrence]") {
    const Vocab vocab = numbered_vocab(3);
    // w0 w1 | w1 w2 w1
    const Corpus corpus = Corpus::from_ids({0, 1, kSentenceEnd, 1, 2, 1, kSentenceEnd});
    CooccurrenceOptions o;
    o.window = 5;
    o.threads = 1;
    const CooccurrenceMatrix m = count_cooccurrences(vocab, corpus.view(), o);
    CHECK(m.value(0, 1) == 1.0f);
    CHECK(m.value(1, 0) == 1.0f);
    CHECK(m.value(0, 2) == 0.0f);  // across the sentence end
    CHECK(m.value(1, 2) == 2.0f);  // at distance 1, twice
    CHECK(m.value(1, 1) == Approx(1.0));  // distance 2: 1/2 in each direction
    CHECK(m.value(2, 2) == 0.0f);
    CHECK(m.entries().size() == 3);
    CHECK(m.nonzeros() == 5);
    const std::vector<double> sums = m.row_sums();
    CHECK(sums[0] == Approx(1.0));
    CHECK(sums[1] == Approx(1.0 + 1.0 + 2.0));
    CHECK(sums[2] == Approx(2.0));
    CHECK_THROWS_AS(m.value(0, 3), invalid_argument);
}

TEST_CASE("from_entries folds mirrored cells and sums repeats", "[cooccurrence]") {
    const Vocab vocab = numbered_vocab(3);
    const auto m = CooccurrenceMatrix::from_entries(vocab, {{2, 0, 1.5f}, {0, 2, 0.5f}, {1, 1, 3.0f}, {0, 1, 1.0f}});
    REQUIRE(m.entries().size() == 3);
    CHECK(m.entries()[0] == CooccurrenceEntry{0, 1, 1.0f});
    CHECK(m.entries()[1] == CooccurrenceEntry{0, 2, 2.0f});
    CHECK(m.entries()[2] == CooccurrenceEntry{1, 1, 3.0f});
    CHECK(m.value(2, 0) == 2.0f);
    CHECK_THROWS_WITH(CooccurrenceMatrix::from_entries(vocab, {{0, 3, 1.0f}}), Catch::Contains("outside the vocabulary"));
    CHECK_THROWS_WITH(CooccurrenceMatrix::from_entries(vocab, {{0, 1, 0.0f}}), Catch::Contains("finite and > 0"));
}

TEST_CASE("validate(CooccurrenceOptions) names the field", "[cooccurrence]") {
    CooccurrenceOptions o;
    o.window = 0;
    CHECK_THROWS_WITH(validate(o), Catch::Contains("CooccurrenceOptions.window must be positive (got 0)"));
    o = {};
    o.memory_mb = -1;
    CHECK_THROWS_WITH(validate(o), Catch::Contains("CooccurrenceOptions.memory_mb must be positive and finite (got -1)"));
    o = {};
    o.max_open_files = 2;
    CHECK_THROWS_WITH(validate(o), Catch::Contains("CooccurrenceOptions.max_open_files"));
    const Vocab vocab = numbered_vocab(3);
    const Corpus bad = Corpus::from_ids({0, 7, kSentenceEnd});
    CHECK_THROWS_WITH(count_cooccurrences(vocab, bad.view()), Catch::Contains("corpus id 7 at position 1"));
    CHECK_THROWS_AS(count_cooccurrences(Vocab(), bad.view()), invalid_argument);
}

TEST_CASE("save and load round-trip, and the file version is written in bounded memory", "[cooccurrence]") {
    const TempDir dir("embedkit_cooc_test_");
    const Vocab vocab = numbered_vocab(80);
    const Corpus corpus = random_corpus(80, 500, 7);
    CooccurrenceOptions o;
    o.window = 4;
    o.threads = 2;
    o.memory_mb = 0.001;
    o.temp_dir = dir.path().string();
    const CooccurrenceMatrix m = count_cooccurrences(vocab, corpus.view(), o);
    m.save(dir.file("m.bin"));
    const CooccurrenceMatrix loaded = CooccurrenceMatrix::load(dir.file("m.bin"));
    CHECK(loaded.entries() == m.entries());
    CHECK(loaded.vocab().words() == vocab.words());
    CHECK(loaded.vocab().counts() == vocab.counts());
    CHECK(loaded.window() == 4);
    CHECK(loaded.distance_weighting());

    const CooccurrenceStats stats = count_cooccurrences_to_file(vocab, corpus.view(), dir.file("direct.bin"), o);
    CHECK(stats.spilled_runs > 0);
    CHECK(stats.entries == m.entries().size());
    CHECK(CooccurrenceMatrix::load(dir.file("direct.bin")).entries() == m.entries());
    std::vector<std::string> left = dir.entries();
    std::sort(left.begin(), left.end());
    CHECK(left == std::vector<std::string>{"direct.bin", "m.bin"});
}

TEST_CASE("load: a vocabulary in another order is remapped", "[cooccurrence]") {
    const TempDir dir("embedkit_cooc_test_");
    // Ids follow the file order here (count ascending), not the canonical one.
    std::vector<std::pair<std::string, std::int64_t>> counts{{"rare", 1}, {"common", 9}};
    VocabOptions keep_all;
    keep_all.min_count = 0;
    {
        std::ofstream out(dir.file("vocab.txt"));
        out << "rare 1\ncommon 9\n";
    }
    const Vocab file_order = Vocab::load(dir.file("vocab.txt"));
    REQUIRE(file_order.at("rare") == 0);
    const auto m = CooccurrenceMatrix::from_entries(file_order, {{0, 1, 2.0f}, {0, 0, 4.0f}});
    m.save(dir.file("m.bin"));
    const CooccurrenceMatrix loaded = CooccurrenceMatrix::load(dir.file("m.bin"));
    const TokenId rare = loaded.vocab().at("rare");
    const TokenId common = loaded.vocab().at("common");
    CHECK(common == 0);
    CHECK(loaded.value(rare, common) == 2.0f);
    CHECK(loaded.value(rare, rare) == 4.0f);
    CHECK(loaded.value(common, common) == 0.0f);
}

TEST_CASE("load: bad files give io_error naming the file and the byte", "[cooccurrence]") {
    const TempDir dir("embedkit_cooc_test_");
    const Vocab vocab = numbered_vocab(5);
    const auto m = CooccurrenceMatrix::from_entries(vocab, {{0, 1, 1.0f}, {2, 3, 0.5f}, {4, 4, 2.0f}}, 3);
    const std::string path = dir.file("m.bin");
    m.save(path);
    std::string bytes;
    {
        std::ifstream in(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    auto write = [&](const std::string& name, const std::string& content) {
        std::ofstream out(dir.file(name), std::ios::binary);
        out << content;
        return dir.file(name);
    };
    std::string wrong_magic = bytes;
    wrong_magic[0] = 'X';
    CHECK_THROWS_WITH(CooccurrenceMatrix::load(write("magic.bin", wrong_magic)),
                      Catch::Contains("magic.bin: at byte 8: not an embedkit co-occurrence matrix"));
    CHECK_THROWS_WITH(CooccurrenceMatrix::load(write("short.bin", bytes.substr(0, 30))), Catch::Contains("short.bin: at byte"));
    CHECK_THROWS_WITH(CooccurrenceMatrix::load(write("cut.bin", bytes.substr(0, bytes.size() - 5))),
                      Catch::Contains("cut.bin: at byte"));
    std::string flipped = bytes;
    flipped[bytes.size() - 20] ^= 0x40;  // inside the last cell's value
    CHECK_THROWS_AS(CooccurrenceMatrix::load(write("flipped.bin", flipped)), io_error);
    CHECK_THROWS_WITH(CooccurrenceMatrix::load(write("tail.bin", bytes + std::string(12, '\0'))),
                      Catch::Contains("tail.bin"));
    CHECK_THROWS_WITH(CooccurrenceMatrix::load(dir.file("missing.bin")), Catch::Contains("missing.bin: cannot open"));
}

TEST_CASE("cancelling the count removes the spill files", "[cooccurrence]") {
    const TempDir dir("embedkit_cooc_test_");
    const Vocab vocab = numbered_vocab(300);
    const Corpus corpus = random_corpus(300, 12000, 3);  // ~250k tokens: several progress syncs
    CooccurrenceOptions o;
    o.threads = 2;
    o.memory_mb = 0.01;
    o.temp_dir = dir.path().string();
    o.progress_interval = 0;
    int calls = 0;
    o.progress = [&](const TrainingProgress& p) {
        CHECK(p.fraction >= 0);
        CHECK(p.fraction <= 1);
        return ++calls < 2;
    };
    CHECK_THROWS_AS(count_cooccurrences(vocab, corpus.view(), o), cancelled);
    CHECK(calls == 2);
    CHECK(dir.entries().empty());
}

TEST_CASE("counting reports progress: counting up to 0.9, merging the rest, the end once", "[cooccurrence]") {
    const TempDir dir("embedkit_cooc_test_");
    const Vocab vocab = numbered_vocab(300);
    const Corpus corpus = random_corpus(300, 12000, 3);
    CooccurrenceOptions o;
    o.threads = 2;
    o.memory_mb = 0.01;  // spills, so that merging reads records from disk
    o.temp_dir = dir.path().string();
    o.progress_interval = 0;
    std::vector<TrainingProgress> reports;
    o.progress = [&](const TrainingProgress& p) {
        reports.push_back(p);
        return true;
    };
    const CooccurrenceMatrix m = count_cooccurrences(vocab, corpus.view(), o);
    REQUIRE(reports.size() >= 2);
    CHECK(reports.front().fraction <= 0.9);
    CHECK(reports.back().fraction == 1.0);
    CHECK(reports.back().tokens_processed == corpus.view().token_count());
    CHECK(reports.back().learning_rate == 0.0);
    CHECK(m.stats().tokens == corpus.view().token_count());
    for (std::size_t i = 1; i < reports.size(); ++i) CHECK(reports[i].fraction >= reports[i - 1].fraction);
    for (std::size_t i = 0; i + 1 < reports.size(); ++i) CHECK(reports[i].fraction < 1.0);
}
