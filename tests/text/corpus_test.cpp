#include <embedkit/detail/rng.hpp>
#include <embedkit/text/corpus.hpp>

#include <catch2/catch.hpp>

#include "text/text_test_helpers.hpp"
#include "support/resident_memory.hpp"
#include "support/write_failures.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace embedkit;
using embedkit_test::TempDir;
using embedkit_test::write_file;
using embedkit::testing::resident_bytes_of_mapping;
using Ids = std::vector<TokenId>;

namespace {

constexpr TokenId E = kSentenceEnd;

Vocab small_vocab() {
    // ids: the 0, cat 1, dog 2, sat 3
    VocabOptions opts;
    opts.min_count = 1;
    return Vocab::from_counts({{"the", 10}, {"cat", 5}, {"dog", 4}, {"sat", 3}}, opts);
}

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string mapped_error(const std::string& path) {
    try {
        const MappedCorpus m(path);
    } catch (const io_error& e) {
        return e.what();
    }
    return "no error";
}

// A random corpus: sentences of 1..max_len ids in [0, 50).
Ids random_ids(detail::Rng& rng, std::size_t sentences, std::size_t max_len) {
    Ids ids;
    for (std::size_t s = 0; s < sentences; ++s) {
        const std::size_t len = 1 + rng.below(max_len);
        for (std::size_t i = 0; i < len; ++i) ids.push_back(static_cast<TokenId>(rng.below(50)));
        ids.push_back(E);
    }
    return ids;
}

}  // namespace

TEST_CASE("encode maps words to ids, drops unknown words and empty sentences", "[corpus]") {
    const Vocab vocab = small_vocab();
    std::istringstream in("the cat sat\n\nthe unknown dog\nonly unknown words\ncat");
    const Corpus c = Corpus::encode(in, vocab);
    CHECK(c.ids() == Ids{0, 1, 3, E, 0, 2, E, 1, E});
    CHECK(c.size() == 9);
    CHECK(c.token_count() == 6);
    CHECK(c.sentence_count() == 3);
    CHECK(c.view().token_count() == 6);
    CHECK(c.view().sentence_count() == 3);

    std::istringstream empty("   \n unknown \n");
    const Corpus none = Corpus::encode(empty, vocab);
    CHECK(none.ids().empty());
    CHECK(none.view().empty());
    CHECK(none.token_count() == 0);
}

TEST_CASE("the tokenizer's sentence cap applies before unknown words are dropped", "[corpus]") {
    const Vocab vocab = small_vocab();
    TokenizerOptions opts;
    opts.max_sentence_tokens = 2;
    std::istringstream in("the cat xx dog sat the");
    CHECK(Corpus::encode(in, vocab, opts).ids() == Ids{0, 1, E, 2, E, 3, 0, E});
}

TEST_CASE("join_split_lines keeps a line split at the cap one sentence", "[corpus]") {
    const Vocab vocab = small_vocab();
    TokenizerOptions opts;
    opts.max_sentence_tokens = 2;
    opts.join_split_lines = true;
    // The second piece of the first line is all unknown words: the line still stays whole.
    std::istringstream in("the cat xx yy dog sat the\nxx\ncat dog\n");
    const Corpus c = Corpus::encode(in, vocab, opts);
    CHECK(c.ids() == Ids{0, 1, 2, 3, 0, E, 1, 2, E});
    CHECK(c.sentence_count() == 2);
    CHECK(c.token_count() == 7);
    // The same through the file writer.
    TempDir dir;
    std::istringstream again("the cat xx yy dog sat the\nxx\ncat dog\n");
    const CorpusStats stats = encode_corpus_file(again, vocab, dir.file("c.bin"), opts);
    CHECK(stats.sentences == 2);
    CHECK(stats.ids == 9);
    CHECK(stats.dropped_tokens == 3);
    const MappedCorpus mapped(dir.file("c.bin"));
    CHECK(Ids(mapped.view().begin(), mapped.view().end()) == c.ids());
}

TEST_CASE("item sequences: integer ids per line go through the same path", "[corpus]") {
    const std::string sessions = "101 202 303\n202 404\n\n303 101 202\n7\n";
    std::istringstream vin(sessions);
    VocabOptions opts;
    opts.min_count = 2;
    const Vocab vocab = Vocab::build(vin, opts);
    // 202 x3; 101 and 303 x2 (tie: "101" < "303"); 404 and 7 seen once are dropped.
    CHECK(vocab.words() == std::vector<std::string>{"202", "101", "303"});
    std::istringstream in(sessions);
    const Corpus c = Corpus::encode(in, vocab);
    CHECK(c.ids() == Ids{1, 0, 2, E, 0, E, 2, 1, 0, E});
    CHECK(c.sentence_count() == 3);
    CHECK(vocab.word(c.ids()[0]) == "101");
}

TEST_CASE("from_ids validates and normalises", "[corpus]") {
    CHECK(Corpus::from_ids({}).ids().empty());
    CHECK(Corpus::from_ids({E, E}).ids().empty());
    CHECK(Corpus::from_ids({E, 3, 4, E, E, 5}).ids() == Ids{3, 4, E, 5, E});
    const Corpus c = Corpus::from_ids({1, 2, E, 3, E});
    CHECK(c.ids() == Ids{1, 2, E, 3, E});
    CHECK(c.token_count() == 3);
    CHECK(c.sentence_count() == 2);
    try {
        (void)Corpus::from_ids({1, 2, -2});
        FAIL("no exception");
    } catch (const invalid_argument& e) {
        CHECK_THAT(e.what(), Catch::Contains("position 2"));
    }
}

TEST_CASE("shards cover the view exactly and start after sentence ends", "[corpus]") {
    detail::Rng rng(3);
    const Corpus c = Corpus::from_ids(random_ids(rng, 500, 30));
    const CorpusView v = c.view();
    for (std::size_t count = 1; count <= 12; ++count) {
        std::size_t next = 0;
        std::size_t tokens = 0;
        for (std::size_t i = 0; i < count; ++i) {
            const CorpusView s = v.shard(i, count);
            REQUIRE(s.data == v.data + next);  // contiguous, no gap or overlap
            next += s.size;
            tokens += s.token_count();
            if (s.size > 0) {
                CHECK(s.data[s.size - 1] == E);  // whole sentences only
                if (i > 0) CHECK(s.data[-1] == E);
            }
            // Split points move forward by less than one sentence.
            const std::size_t nominal = v.size * i / count;
            CHECK(static_cast<std::size_t>(s.data - v.data) >= nominal);
            CHECK(static_cast<std::size_t>(s.data - v.data) <= nominal + 30);
        }
        CHECK(next == v.size);
        CHECK(tokens == c.token_count());
    }
    CHECK_THROWS_AS(v.shard(0, 0), invalid_argument);
    CHECK_THROWS_AS(v.shard(3, 3), invalid_argument);
}

TEST_CASE("shards of views without usable sentence ends still cover exactly", "[corpus]") {
    // One sentence of 200,000 ids: split points cannot move to a sentence end within the scan.
    Ids ids(200'000);
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<TokenId>(i % 1000);
    const Corpus c = Corpus::from_ids(ids);
    for (const std::size_t count : {2, 3, 7}) {
        std::size_t covered = 0;
        for (std::size_t i = 0; i < count; ++i) {
            const CorpusView s = c.view().shard(i, count);
            CHECK(s.data == c.view().data + covered);
            covered += s.size;
            // The view's end counts as a sentence end when it is within the scan distance.
            const auto split = [&](std::size_t k) {
                const std::size_t nominal = c.size() * k / count;
                return k == count || nominal + 65'536 >= c.size() ? c.size() : nominal;
            };
            CHECK(s.size == split(i + 1) - (i == 0 ? 0 : split(i)));
        }
        CHECK(covered == c.size());
    }
    // An empty view gives empty shards; more shards than ids is fine.
    const CorpusView empty;
    CHECK(empty.shard(1, 4).size == 0);
    const Corpus tiny = Corpus::from_ids({5, E});
    std::size_t covered = 0;
    for (std::size_t i = 0; i < 8; ++i) covered += tiny.view().shard(i, 8).size;
    CHECK(covered == 2);
}

TEST_CASE("encode_corpus_file streams to a file that MappedCorpus reads back", "[corpus]") {
    TempDir dir;
    const Vocab vocab = small_vocab();
    const std::string text = "the cat\nsat on the dog\n\nnothing known\nthe";
    std::istringstream in1(text);
    const Corpus expected = Corpus::encode(in1, vocab);

    const std::string path = dir.file("corpus.ekc");
    std::istringstream in2(text);
    const CorpusStats stats = encode_corpus_file(in2, vocab, path);
    CHECK(stats.ids == expected.size());
    CHECK(stats.tokens == expected.token_count());
    CHECK(stats.sentences == expected.sentence_count());
    CHECK(stats.dropped_tokens == 3);
    CHECK(dir.entries() == 1);

    const std::string bytes = read_bytes(path);
    REQUIRE(bytes.size() == 32 + 4 * expected.size());
    CHECK(bytes.substr(0, 8) == "EKCORPUS");
    CHECK(bytes[8] == 1);
    CHECK(static_cast<unsigned char>(bytes[32 + 4 * 2]) == 0xFF);  // third id is a marker: -1 LE

    MappedCorpus m(path);
    const CorpusView v = m.view();
    CHECK(Ids(v.begin(), v.end()) == expected.ids());
    CHECK(m.size() == expected.size());
    CHECK(m.token_count() == expected.token_count());
    CHECK(m.max_id() == 3);
    CHECK(m.path() == path);

    // Movable: the moved-from object is empty, the view stays valid with the new owner.
    MappedCorpus moved(std::move(m));
    CHECK(moved.view().data == v.data);
    CHECK(m.view().size == 0);  // NOLINT(bugprone-use-after-move): documented moved-from state
    MappedCorpus assigned;
    assigned = std::move(moved);
    CHECK(Ids(assigned.view().begin(), assigned.view().end()) == expected.ids());
}

TEST_CASE("passes over a mapped corpus give its pages back", "[corpus]") {
    // 8 million ids (32 MB): every pass reads them all, and what stays resident of the file is a
    // block or two of CorpusView::kPassBlock ids (4 MiB), where a plain read keeps all of it.
    TempDir dir;
    const std::string path = dir.file("big.ekc");
    embedkit::testing::write_cycling_corpus_file(path, 80'000, 99);
    constexpr std::uint64_t kFile = 32'000'000;
    constexpr std::uint64_t kBound = std::uint64_t{12} << 20;
    const MappedCorpus mapped(path);  // checks every id
    REQUIRE(mapped.size() == 8'000'000);
    const CorpusView view = mapped.view();
    CHECK(resident_bytes_of_mapping(view.data) < kBound);
    CHECK(view.file_backed);
    CHECK(view.shard(1, 2).file_backed);
    CHECK(view.token_count() == 7'920'000);
    CHECK(resident_bytes_of_mapping(view.data) < kBound);
    CHECK(detail::checked_token_count(view, 10, "test") == 7'920'000);
    CHECK(resident_bytes_of_mapping(view.data) < kBound);

    // The measurement sees a pass that keeps its pages; released, they come back with the same ids.
    const std::int64_t sum = std::accumulate(view.begin(), view.end(), std::int64_t{0});
    CHECK(resident_bytes_of_mapping(view.data) > kFile * 3 / 4);
    view.release(view.begin(), view.end());
    CHECK(resident_bytes_of_mapping(view.data) < kBound);
    CHECK(std::accumulate(view.begin(), view.end(), std::int64_t{0}) == sum);
}

TEST_CASE("views of ids in memory are never released", "[corpus]") {
    // Giving back pages of ordinary memory would zero them: release() must do nothing there.
    std::vector<TokenId> ids(1 << 20);
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<TokenId>(i % 1000);
    const Corpus corpus = Corpus::from_ids(ids);
    const CorpusView view = corpus.view();
    CHECK_FALSE(view.file_backed);
    view.release(view.begin(), view.end());
    CHECK(view.token_count() == ids.size());
    CHECK(std::equal(ids.begin(), ids.end(), view.begin()));
}

TEST_CASE("Corpus::save, CorpusWriter and file-to-file encoding agree", "[corpus]") {
    TempDir dir;
    detail::Rng rng(11);
    const Corpus c = Corpus::from_ids(random_ids(rng, 20'000, 12));  // > the writer's 64k-id buffer
    c.save(dir.file("a.ekc"));
    const MappedCorpus a(dir.file("a.ekc"));
    CHECK(Ids(a.view().begin(), a.view().end()) == c.ids());
    CHECK(a.token_count() == c.token_count());

    CorpusWriter writer(dir.file("b.ekc"));
    writer.add_sentence(Ids{4, 5});
    writer.add_sentence(Ids{});
    writer.add_sentence(Ids{6});
    CHECK_THROWS_AS(writer.add_sentence(Ids{1, -1}), invalid_argument);
    CHECK(writer.size() == 5);
    CHECK_FALSE(std::filesystem::exists(dir.file("b.ekc")));  // nothing before commit
    writer.commit();
    const MappedCorpus b(dir.file("b.ekc"));
    CHECK(Ids(b.view().begin(), b.view().end()) == Ids{4, 5, E, 6, E});

    const Vocab vocab = small_vocab();
    write_file(dir.file("text.txt"), "dog dog cat\nthe");
    const CorpusStats stats = encode_corpus_file(dir.file("text.txt"), vocab, dir.file("c.ekc"));
    CHECK(stats.tokens == 4);
    const MappedCorpus m(dir.file("c.ekc"));
    CHECK(Ids(m.view().begin(), m.view().end()) == Ids{2, 2, 1, E, 0, E});
    CHECK_THROWS_WITH(encode_corpus_file(dir.file("none.txt"), vocab, dir.file("d.ekc")),
                      Catch::StartsWith(dir.file("none.txt")));

    // Empty corpora are valid files too.
    Corpus().save(dir.file("empty.ekc"));
    const MappedCorpus e(dir.file("empty.ekc"));
    CHECK(e.size() == 0);
    CHECK(e.max_id() == E);
}

TEST_CASE("a failed encoding leaves no file behind", "[corpus]") {
    TempDir dir;
    const std::string path = dir.file("out.ekc");
    TokenizerOptions strict;
    strict.invalid_utf8 = InvalidUtf8::error;
    std::istringstream in("the cat\nthe \xFF");
    CHECK_THROWS_AS(encode_corpus_file(in, small_vocab(), path, strict), io_error);
    CHECK(dir.entries() == 0);
}

TEST_CASE("MappedCorpus rejects bad files with io_error naming them", "[corpus]") {
    TempDir dir;
    const std::string good = dir.file("good.ekc");
    Corpus::from_ids({1, 2, E, 3, E}).save(good);
    const std::string bytes = read_bytes(good);
    REQUIRE(bytes.size() == 32 + 20);
    const std::string path = dir.file("bad.ekc");

    const auto error_for = [&](const std::string& content) {
        write_file(path, content);
        return mapped_error(path);
    };
    CHECK_THAT(mapped_error(dir.file("absent.ekc")), Catch::StartsWith(dir.file("absent.ekc") + ": cannot open"));
    CHECK_THAT(error_for(""), Catch::Contains("too small"));
    CHECK_THAT(error_for(bytes.substr(0, 31)), Catch::Contains("too small"));
    std::string bad_magic = bytes;
    bad_magic[0] = 'X';
    CHECK_THAT(error_for(bad_magic), Catch::Contains("bad magic"));
    std::string bad_version = bytes;
    bad_version[8] = 2;
    CHECK_THAT(error_for(bad_version), Catch::Contains("unsupported corpus file version 2"));
    CHECK_THAT(error_for(bytes.substr(0, bytes.size() - 4)), Catch::Contains("size mismatch"));
    CHECK_THAT(error_for(bytes.substr(0, bytes.size() - 1)), Catch::Contains("size mismatch"));
    CHECK_THAT(error_for(bytes + std::string(4, '\0')), Catch::Contains("size mismatch"));
    std::string huge_count = bytes;
    huge_count[23] = '\x40';  // count ~ 2^62: must not overflow the size check
    CHECK_THAT(error_for(huge_count), Catch::Contains("size mismatch"));
    std::string bad_id = bytes;
    const TokenId minus_five = -5;
    std::memcpy(&bad_id[32 + 4], &minus_five, 4);
    CHECK_THAT(error_for(bad_id), Catch::StartsWith(path + ":2: invalid token id -5"));
    std::string bad_tokens = bytes;
    bad_tokens[24] = 9;
    CHECK_THAT(error_for(bad_tokens), Catch::Contains("header says 9 tokens"));
    CHECK_THAT(error_for(bytes), Catch::Equals("no error"));
}

TEST_CASE("encode_file reads files and reports missing ones", "[corpus]") {
    TempDir dir;
    write_file(dir.file("t.txt"), "cat sat\r\nthe\r\n");
    CHECK(Corpus::encode_file(dir.file("t.txt"), small_vocab()).ids() == Ids{1, 3, E, 0, E});
    CHECK_THROWS_AS(Corpus::encode_file(dir.file("missing.txt"), small_vocab()), io_error);
}

TEST_CASE("encoding a long generated line in bounded chunks", "[corpus]") {
    // 4 MB of random words on one line; the vocabulary is every 1- and 2-letter word.
    std::vector<std::pair<std::string, std::int64_t>> counts;
    for (char a = 'a'; a <= 'z'; ++a) {
        counts.emplace_back(std::string(1, a), 1);
        for (char b = 'a'; b <= 'z'; ++b) counts.emplace_back(std::string{a, b}, 1);
    }
    VocabOptions opts;
    opts.min_count = 0;
    const Vocab vocab = Vocab::from_counts(counts, opts);
    TempDir dir;
    embedkit_test::GeneratedLine line(5, 4u << 20);
    std::istream in(&line);
    TokenizerOptions topts;
    topts.buffer_bytes = 1 << 16;
    const CorpusStats stats = encode_corpus_file(in, vocab, dir.file("big.ekc"), topts);
    CHECK(stats.tokens + stats.dropped_tokens == line.words());
    CHECK(stats.tokens > line.words() / 8);  // lengths 1..12 uniform: 1/6 are kept
    CHECK(stats.tokens < line.words() / 4);
    CHECK(line.max_request() <= (1 << 16));
    const MappedCorpus m(dir.file("big.ekc"));
    CHECK(m.token_count() == stats.tokens);
    CHECK(m.max_id() < static_cast<TokenId>(vocab.size()));
    CHECK(m.view().sentence_count() == stats.sentences);
}

TEST_CASE("corpus writers report unwritable targets and keep the previous file", "[corpus][write_failure]") {
    const Vocab vocab = small_vocab();
    const Corpus corpus = Corpus::from_ids({0, 1, 2, E, 3, 0, E, 1, 1, 2, 3, E});
    SECTION("Corpus::save") {
        embedkit::testing::check_unwritable_targets([&](const std::string& path) { corpus.save(path); });
    }
    SECTION("encode_corpus_file") {
        embedkit::testing::check_unwritable_targets([&](const std::string& path) {
            std::istringstream text("the cat dog\nsat the cat\n");
            (void)encode_corpus_file(text, vocab, path);
        });
    }
}
