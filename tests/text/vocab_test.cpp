#include <embedkit/text/vocab.hpp>

#include <catch2/catch.hpp>

#include "text/text_test_helpers.hpp"
#include "support/skip.hpp"
#include "support/write_failures.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

using namespace embedkit;
using embedkit_test::TempDir;
using embedkit_test::write_file;

namespace {

Vocab build(const std::string& text, std::int64_t min_count = 1, std::size_t max_size = 0) {
    std::istringstream in(text);
    VocabOptions opts;
    opts.min_count = min_count;
    opts.max_size = max_size;
    return Vocab::build(in, opts);
}

std::string load_error(const std::string& path) {
    try {
        (void)Vocab::load(path);
    } catch (const io_error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("Vocab counts words and orders ids by descending count", "[vocab]") {
    const Vocab v = build("a b a c a b\nd a\n");
    REQUIRE(v.size() == 4);
    CHECK(v.words() == std::vector<std::string>{"a", "b", "c", "d"});
    CHECK(v.counts() == std::vector<std::int64_t>{4, 2, 1, 1});
    CHECK(v.at("a") == 0);
    CHECK(v.at("b") == 1);
    CHECK(v.find("c") == std::optional<TokenId>(2));
    CHECK(v.find("zzz") == std::nullopt);
    CHECK(v.contains("d"));
    CHECK_FALSE(v.contains("e"));
    CHECK(v.word(1) == "b");
    CHECK(v.count(0) == 4);
    CHECK(v.total_count() == 8);
    CHECK(v.total_tokens_seen() == 8);
}

TEST_CASE("min_count and max_size drop words, total_tokens_seen still counts them", "[vocab]") {
    const std::string text = "a a a a b b b c c d e\nf";
    const Vocab v2 = build(text, 2);
    CHECK(v2.words() == std::vector<std::string>{"a", "b", "c"});
    CHECK(v2.total_count() == 9);
    CHECK(v2.total_tokens_seen() == 12);
    const Vocab v_max = build(text, 1, 2);
    CHECK(v_max.words() == std::vector<std::string>{"a", "b"});
    CHECK(v_max.total_count() == 7);
    CHECK(v_max.total_tokens_seen() == 12);
    // max_size cuts inside a tie by the same word order.
    const Vocab v_tie = build("z y x w", 1, 2);
    CHECK(v_tie.words() == std::vector<std::string>{"w", "x"});
    CHECK(build(text, 100).empty());
    CHECK(build("").empty());
}

TEST_CASE("ties are broken by byte-wise ascending word", "[vocab]") {
    // 'B' (0x42) < 'a' < 'z' (0x7A) < "\xC3\xA9" (é); a prefix sorts first.
    const Vocab v = build("z \xC3\xA9 a B ab a ab z \xC3\xA9 B");
    CHECK(v.words() == std::vector<std::string>{"B", "a", "ab", "z", "\xC3\xA9"});
    // Counts first: the tie-break only orders words with equal counts.
    const Vocab w = build("b c c a");
    CHECK(w.words() == std::vector<std::string>{"c", "a", "b"});
}

TEST_CASE("lookups by id are checked", "[vocab]") {
    const Vocab v = build("x y");
    CHECK_THROWS_AS(v.word(-1), invalid_argument);
    CHECK_THROWS_AS(v.word(2), invalid_argument);
    CHECK_THROWS_AS(v.count(2), invalid_argument);
    try {
        (void)v.at("missing-word");
        FAIL("no exception");
    } catch (const invalid_argument& e) {
        CHECK_THAT(e.what(), Catch::Contains("missing-word"));
    }
}

TEST_CASE("pruning drops words at or below a growing threshold, as word2vec does", "[vocab]") {
    VocabOptions opts;
    opts.min_count = 1;
    opts.prune_at = 3;
    VocabCounter counter(opts);
    for (const char* w : {"a", "a", "b", "c"}) counter.add(w);
    CHECK(counter.prunes() == 0);
    CHECK(counter.distinct_words() == 3);
    counter.add("d");  // 4 distinct > 3: drop count <= 1
    CHECK(counter.prunes() == 1);
    CHECK(counter.prune_threshold() == 1);
    CHECK(counter.distinct_words() == 1);
    CHECK(counter.count("a") == 2);
    CHECK(counter.count("b") == 0);
    for (const char* w : {"b", "b", "c", "c", "e"}) counter.add(w);  // a2 b2 c2 e1: drop <= 2
    CHECK(counter.prunes() == 2);
    CHECK(counter.prune_threshold() == 2);
    CHECK(counter.distinct_words() == 0);
    for (const char* w : {"a", "a", "a", "b"}) counter.add(w);
    CHECK(counter.tokens_seen() == 14);
    const Vocab v = std::move(counter).finish();
    CHECK(v.words() == std::vector<std::string>{"a", "b"});
    CHECK(v.counts() == std::vector<std::int64_t>{3, 1});  // lower bounds of the true 5 and 4
    CHECK(v.total_tokens_seen() == 14);
}

TEST_CASE("pruning bounds the counting table and keeps frequent words exact", "[vocab]") {
    VocabOptions opts;
    opts.min_count = 1;
    opts.prune_at = 200;
    VocabCounter counter(opts);
    std::size_t max_distinct = 0;
    std::int64_t the = 0;
    std::int64_t of = 0;
    for (int i = 0; i < 60'000; ++i) {
        if (i % 3 == 0) {
            counter.add("the");
            ++the;
        } else if (i % 7 == 0) {
            counter.add("of");
            ++of;
        } else {
            counter.add("rare" + std::to_string(i));
        }
        max_distinct = std::max(max_distinct, counter.distinct_words());
    }
    CHECK(max_distinct <= 200);
    CHECK(counter.prunes() >= 100);
    CHECK(counter.prune_threshold() == static_cast<std::int64_t>(counter.prunes()));
    CHECK(counter.count("the") == the);
    CHECK(counter.count("of") == of);
    CHECK(counter.tokens_seen() == 60'000);
    VocabOptions finish_opts;
    finish_opts.min_count = 2;
    const Vocab v = std::move(counter).finish(finish_opts);
    CHECK(v.words() == std::vector<std::string>{"the", "of"});
    CHECK(v.total_tokens_seen() == 60'000);
}

TEST_CASE("prune_at = 0 never prunes", "[vocab]") {
    VocabOptions opts;
    opts.prune_at = 0;
    VocabCounter counter(opts);
    for (int i = 0; i < 5'000; ++i) counter.add("w" + std::to_string(i));
    CHECK(counter.distinct_words() == 5'000);
    CHECK(counter.prunes() == 0);
    CHECK_THROWS_AS(counter.add(""), invalid_argument);
}

TEST_CASE("from_counts applies options and validates its input", "[vocab]") {
    VocabOptions opts;
    opts.min_count = 2;
    const Vocab v = Vocab::from_counts({{"x", 5}, {"y", 1}, {"w", 5}, {"z", 9}}, opts);
    CHECK(v.words() == std::vector<std::string>{"z", "w", "x"});
    CHECK(v.counts() == std::vector<std::int64_t>{9, 5, 5});
    CHECK(v.total_count() == 19);
    CHECK(v.total_tokens_seen() == 20);
    CHECK_THROWS_AS(Vocab::from_counts({{"a", 1}, {"a", 2}}), invalid_argument);
    CHECK_THROWS_AS(Vocab::from_counts({{"a", -1}}), invalid_argument);
    CHECK_THROWS_AS(Vocab::from_counts({{"", 1}}), invalid_argument);
    CHECK_THROWS_AS(Vocab::from_counts({{"two words", 1}}), invalid_argument);
    CHECK_THROWS_AS(Vocab::from_counts({{"line\nbreak", 1}}), invalid_argument);
    VocabOptions bad;
    bad.min_count = -1;
    try {
        (void)Vocab::from_counts({}, bad);
        FAIL("no exception");
    } catch (const invalid_options& e) {
        CHECK_THAT(e.what(), Catch::Contains("min_count"));
    }
}

TEST_CASE("save and load round-trip words, counts and ids", "[vocab]") {
    TempDir dir;
    const Vocab v = build("le caf\xC3\xA9 le \xE6\x9D\xB1\xE4\xBA\xAC le caf\xC3\xA9 z\n");
    const std::string path = dir.file("vocab.txt");
    v.save(path);
    CHECK(dir.entries() == 1);  // no temporary file left behind
    std::ifstream in(path, std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(content == "le 3\ncaf\xC3\xA9 2\nz 1\n\xE6\x9D\xB1\xE4\xBA\xAC 1\n");
    const Vocab back = Vocab::load(path);
    CHECK(back.words() == v.words());
    CHECK(back.counts() == v.counts());
    CHECK(back.total_count() == v.total_count());
    CHECK(back.total_tokens_seen() == v.total_count());
    for (std::size_t i = 0; i < v.size(); ++i) CHECK(back.at(v.word(static_cast<TokenId>(i))) == static_cast<TokenId>(i));

    // An empty vocabulary round-trips through an empty file.
    const std::string empty_path = dir.file("empty.txt");
    Vocab().save(empty_path);
    CHECK(std::filesystem::file_size(empty_path) == 0);
    CHECK(Vocab::load(empty_path).empty());
}

TEST_CASE("load keeps the file order, accepts CRLF and tabs", "[vocab]") {
    TempDir dir;
    const std::string path = dir.file("v.txt");
    write_file(path, "b 1\r\na\t7\r\n");
    const Vocab v = Vocab::load(path);
    CHECK(v.words() == std::vector<std::string>{"b", "a"});
    CHECK(v.counts() == std::vector<std::int64_t>{1, 7});
}

TEST_CASE("load reports each malformed line with file and line", "[vocab]") {
    TempDir dir;
    const std::string path = dir.file("bad.txt");
    const struct {
        std::string content;
        std::string message;
    } cases[] = {
        {"a 1\nb\n", ":2: missing count"},
        {"a 1\nb \n", ":2: missing count"},
        {"a 1\nb 2\nc x1\n", ":3: count is not a non-negative integer: 'x1'"},
        {"a 1x\n", ":1: count is not a non-negative integer"},
        {"a 1 2\n", ":1: count is not a non-negative integer: '1 2'"},
        {"a -3\n", ":1: negative count '-3'"},
        {"a 1\nb 2\na 3\n", ":3: duplicate word 'a' (first on line 1)"},
        {"a 1\n\nb 2\n", ":2: empty line"},
        {" 5\n", ":1: empty word"},
        {"a 99999999999999999999\n", ":1: count out of range"},
    };
    for (const auto& c : cases) {
        write_file(path, c.content);
        INFO(c.content);
        const std::string message = load_error(path);
        CHECK_THAT(message, Catch::StartsWith(path + ":"));
        CHECK_THAT(message, Catch::Contains(c.message));
    }
    try {
        write_file(path, "a 1\nb 2\nc\n");
        (void)Vocab::load(path);
        FAIL("no exception");
    } catch (const io_error& e) {
        CHECK(e.path() == path);
        CHECK(e.line() == 3);
    }
    CHECK_THAT(load_error(dir.file("missing.txt")), Catch::StartsWith(dir.file("missing.txt") + ": cannot open"));
}

TEST_CASE("save into a missing directory fails with io_error and leaves nothing", "[vocab]") {
    TempDir dir;
    const Vocab v = build("a b");
    CHECK_THROWS_AS(v.save(dir.file("no/such/dir/vocab.txt")), io_error);
    CHECK(dir.entries() == 0);
}

TEST_CASE("build_file names the file in its errors", "[vocab]") {
    TempDir dir;
    CHECK_THROWS_WITH(Vocab::build_file(dir.file("absent.txt")), Catch::StartsWith(dir.file("absent.txt")));
    const std::string path = dir.file("bad-utf8.txt");
    write_file(path, "fine words\nthen \xFF");
    TokenizerOptions strict;
    strict.invalid_utf8 = InvalidUtf8::error;
    CHECK_THROWS_WITH(Vocab::build_file(path, {}, strict), path + ": invalid UTF-8 at byte offset 16");
    VocabOptions opts;
    opts.min_count = 1;
    const Vocab v = Vocab::build_file(path, opts);  // replaced by default
    CHECK(v.contains("\xEF\xBF\xBD"));
    CHECK(v.size() == 4);
}

TEST_CASE("counts on text8-prefix match a plain std::map count", "[vocab][data]") {
    const std::string path = std::string(EMBEDKIT_SHARED_DATA_DIR) + "/text8-prefix";
    std::ifstream probe(path);
    if (!probe) EMBEDKIT_SKIP(path << " not found (the shared data sits beside the project)");
    std::unordered_map<std::string, std::int64_t> reference;
    std::int64_t tokens = 0;
    for (std::string w; probe >> w;) {
        ++reference[w];
        ++tokens;
    }
    CHECK(tokens == 2'139'748);  // as documented in ../shared/data/README.md

    const Vocab v = Vocab::build_file(path);  // min_count 5
    CHECK(v.total_tokens_seen() == tokens);
    std::vector<std::pair<std::string, std::int64_t>> kept;
    for (const auto& [w, c] : reference) {
        if (c >= 5) kept.emplace_back(w, c);
    }
    std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    REQUIRE(v.size() == kept.size());
    std::int64_t total = 0;
    for (std::size_t i = 0; i < kept.size(); ++i) {
        REQUIRE(v.word(static_cast<TokenId>(i)) == kept[i].first);
        REQUIRE(v.count(static_cast<TokenId>(i)) == kept[i].second);
        total += kept[i].second;
    }
    CHECK(v.total_count() == total);
    CHECK(v.word(0) == "the");
}

TEST_CASE("Vocab::save reports unwritable targets and keeps the previous file", "[vocab][write_failure]") {
    const Vocab v = build("the cat sat on the mat and the dog sat on the log");
    embedkit::testing::check_unwritable_targets([&](const std::string& path) { v.save(path); });
}

TEST_CASE("Vocab::load reads streams and rejects whitespace inside words", "[vocab]") {
    std::istringstream good("the 3\ncat 1\n");
    const Vocab v = Vocab::load(good, "<mem>");
    CHECK(v.words() == std::vector<std::string>{"the", "cat"});
    for (const char* bad : {"a\vb 1\n", "ok 1\na\fb 2\n", "a\rb 1\n"}) {
        std::istringstream in(bad);
        try {
            (void)Vocab::load(in, "<mem>");
            FAIL("expected io_error for " << bad);
        } catch (const io_error& e) {
            CHECK(e.path() == "<mem>");
            CHECK_THAT(e.what(), Catch::Contains("ASCII whitespace"));
        }
    }
}

TEST_CASE("counting 10 million distinct tokens stays within the documented memory cap", "[vocab][memory]") {
    // A stream no table could hold whole without pruning: every token is new. The counting table
    // must never hold more than prune_at + 1 words nor more bytes than VocabCounter::memory_cap.
    constexpr std::size_t kTokens = 10'000'000;
    VocabOptions opts;
    opts.min_count = 1;
    opts.prune_at = std::size_t{1} << 18;
    embedkit_test::DistinctTokens tokens(20240601, kTokens);
    std::istream in(&tokens);
    VocabCounter counter(opts);
    counter.add_stream(in);

    CHECK(counter.tokens_seen() == static_cast<std::int64_t>(kTokens));
    CHECK(counter.peak_distinct_words() == opts.prune_at + 1);
    CHECK(counter.distinct_words() <= opts.prune_at);
    CHECK(counter.prunes() == kTokens / (opts.prune_at + 1));  // each pruning empties a table of count-1 words
    const std::size_t cap = VocabCounter::memory_cap(opts.prune_at, embedkit_test::DistinctTokens::kTokenBytes);
    INFO("peak " << counter.peak_memory_bytes() << " bytes, cap " << cap);
    CHECK(counter.peak_memory_bytes() <= cap);
    // The peak is real: the table did hold prune_at + 1 entries and their bytes.
    CHECK(counter.peak_memory_bytes() >= (opts.prune_at + 1) * (24 + embedkit_test::DistinctTokens::kTokenBytes));
    VocabOptions twice;
    twice.min_count = 2;
    CHECK(std::move(counter).finish(twice).empty());  // every token was seen once
}

TEST_CASE("VocabOptions: min_count and max_size are validated by name", "[vocab]") {
    VocabOptions o;
    o.min_count = -1;
    CHECK_THROWS_WITH(validate(o), Catch::Contains("VocabOptions.min_count"));
    o = {};
    o.max_size = std::size_t{1} << 31;
    CHECK_THROWS_AS(VocabCounter(o), invalid_options);
    CHECK_THROWS_WITH(validate(o), Catch::Contains("VocabOptions.max_size"));
}
