#include <embedkit/text/pair_set.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

using embedkit::PairKeys;
using embedkit::PairSet;
using embedkit::PairsFileOptions;
using embedkit::TokenId;
using embedkit::WindowPairsOptions;
using embedkit::parse_pairs;
using embedkit::window_pairs;

namespace {

PairSet parse(const std::string& text, PairKeys keys = PairKeys::automatic, bool separate = false) {
    std::istringstream in(text);
    PairsFileOptions o;
    o.keys = keys;
    o.separate_key_spaces = separate;
    return parse_pairs(in, "pairs.txt", o);
}

std::vector<std::pair<std::string, std::string>> named(const PairSet& s) {
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        out.emplace_back(s.anchor_keys[static_cast<std::size_t>(s.anchors[i])],
                         s.positive_keys()[static_cast<std::size_t>(s.positives[i])]);
    }
    return out;
}

}  // namespace

TEST_CASE("parse_pairs: integer ids become rows of the same number", "[text][pair_set]") {
    const PairSet s = parse("0 1\n2\t3\n\n  \t \n 1  0 \r\n5 1");
    CHECK(s.anchors == std::vector<TokenId>{0, 2, 1, 5});
    CHECK(s.positives == std::vector<TokenId>{1, 3, 0, 1});
    REQUIRE(s.anchor_rows() == 6);  // row 4 has no pair but exists
    CHECK(s.anchor_keys[4] == "4");
    CHECK(!s.separate_key_spaces);
    CHECK(&s.positive_keys() == &s.anchor_keys);
}

TEST_CASE("parse_pairs: tokens are ordered by frequency, ties by first appearance", "[text][pair_set]") {
    const PairSet s = parse("apple banana\ncherry apple\nbanana apple\n7 apple\n");
    CHECK(s.anchor_keys == std::vector<std::string>{"apple", "banana", "cherry", "7"});
    CHECK(named(s) == std::vector<std::pair<std::string, std::string>>{
                          {"apple", "banana"}, {"cherry", "apple"}, {"banana", "apple"}, {"7", "apple"}});
    // Forcing tokens on numbers keeps the numbers as names, ordered by frequency.
    const PairSet t = parse("5 9\n9 2\n", PairKeys::tokens);
    CHECK(t.anchor_keys == std::vector<std::string>{"9", "5", "2"});
    CHECK(named(t) == std::vector<std::pair<std::string, std::string>>{{"5", "9"}, {"9", "2"}});
}

TEST_CASE("parse_pairs: sparse large ids fall back to tokens in automatic mode", "[text][pair_set]") {
    const PairSet s = parse("1000000 2000000\n2000000 3\n");
    CHECK(s.anchor_rows() == 3);
    CHECK(s.anchor_keys[0] == "2000000");
    const PairSet ids = parse("1000000 2000000\n", PairKeys::ids);
    CHECK(ids.anchor_rows() == 2000001);
    CHECK(ids.anchors == std::vector<TokenId>{1000000});
}

TEST_CASE("parse_pairs: forced ids may not ask for far more rows than the file has ids", "[text][pair_set]") {
    // Found by fuzzing (tests/fuzz/corpus/pairs/seed-sparse-ids.txt): one line made the reader
    // name 2,000,000,001 rows, a 64 GB vector of strings.
    try {
        (void)parse("0 1\n1 2\n0 2000000000\n", PairKeys::ids);
        FAIL("no exception");
    } catch (const embedkit::io_error& e) {
        CHECK(e.line() == 3);
        CHECK_THAT(e.what(), Catch::Contains("id 2000000000 would make 2000000001 rows for 4 distinct ids"));
    }
    // In separate key spaces each column is judged on its own.
    CHECK_THROWS_AS(parse("0 0\n1 99999999\n", PairKeys::ids, true), embedkit::io_error);
    // Up to the allowance, dense or not, ids are fine.
    const std::int64_t largest = embedkit::kMaxPairIdSlack + 16 * 2;
    CHECK(parse("0 " + std::to_string(largest) + "\n", PairKeys::ids).anchor_rows() ==
          static_cast<std::size_t>(largest + 1));
    CHECK_THROWS_AS(parse("0 " + std::to_string(largest + 1) + "\n", PairKeys::ids), embedkit::io_error);
}

TEST_CASE("parse_pairs: separate key spaces", "[text][pair_set]") {
    const PairSet s = parse("u1 book\nu2 book\nu1 pen\nu1 u2\n", PairKeys::automatic, true);
    REQUIRE(s.separate_key_spaces);
    CHECK(s.anchor_keys == std::vector<std::string>{"u1", "u2"});
    CHECK(s.positive_keys() == std::vector<std::string>{"book", "pen", "u2"});
    CHECK(s.positive_rows() == 3);
    CHECK(named(s)[3] == std::make_pair(std::string("u1"), std::string("u2")));
    // Each column decides ids or tokens on its own.
    const PairSet mixed = parse("u1 3\nu2 0\n", PairKeys::automatic, true);
    CHECK(mixed.positive_keys() == std::vector<std::string>{"0", "1", "2", "3"});
    CHECK(mixed.positives == std::vector<TokenId>{3, 0});
}

TEST_CASE("parse_pairs: malformed lines name the file and line", "[text][pair_set]") {
    using Catch::Matchers::Contains;
    CHECK_THROWS_WITH(parse("a b\n\nc d e\n"), Contains("pairs.txt:3: expected 2 fields 'anchor positive', got 3"));
    CHECK_THROWS_WITH(parse("a\n"), Contains("pairs.txt:1: expected 2 fields"));
    try {
        (void)parse("1 2\n3 x\n", PairKeys::ids);
        FAIL("no exception");
    } catch (const embedkit::io_error& e) {
        CHECK(e.line() == 2);
        CHECK(e.path() == "pairs.txt");
        CHECK(std::string(e.what()).find("'x' is not an id") != std::string::npos);
    }
    CHECK_THROWS_AS(parse("1 -2\n", PairKeys::ids), embedkit::io_error);
    CHECK_THROWS_AS(parse("1 2147483647\n", PairKeys::ids), embedkit::io_error);
    CHECK(parse("").empty());
}

TEST_CASE("read_pairs: reads a file, a missing file is an io_error", "[text][pair_set]") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("embedkit_pair_set_test_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string path = (dir / "pairs.txt").string();
    {
        std::ofstream out(path);
        out << "x y\ny z\n";
    }
    const PairSet s = embedkit::read_pairs(path);
    CHECK(s.size() == 2);
    CHECK(s.anchor_keys.front() == "y");
    CHECK_THROWS_WITH(embedkit::read_pairs((dir / "missing.txt").string()), Catch::Matchers::Contains("missing.txt"));
    fs::remove_all(dir);
}

TEST_CASE("PairSet::from_ids and check", "[text][pair_set]") {
    using Catch::Matchers::Contains;
    const PairSet s = PairSet::from_ids({0, 3}, {2, 1});
    CHECK(s.anchor_rows() == 4);
    CHECK(s.anchor_keys[3] == "3");
    CHECK(PairSet::from_ids({0}, {1}, 10).anchor_rows() == 10);
    CHECK_THROWS_WITH(PairSet::from_ids({0, 1}, {1}), Contains("2 anchors but 1 positives"));
    CHECK_THROWS_WITH(PairSet::from_ids({0, -1}, {1, 1}), Contains("anchors[1] = -1"));
    CHECK_THROWS_WITH(PairSet::from_ids({0, 5}, {1, 1}, 4), Contains("anchors[1] = 5 is not a row of the 4 keys"));
}

TEST_CASE("window_pairs: fixed window pairs every word with its neighbours in the sentence", "[text][pair_set]") {
    embedkit::VocabOptions keep_all;
    keep_all.min_count = 1;
    const embedkit::Vocab vocab =
        embedkit::Vocab::from_counts({{"a", 5}, {"b", 4}, {"c", 3}, {"d", 2}, {"e", 1}}, keep_all);
    // Sentences "a b c" and "d e".
    const std::vector<TokenId> ids{0, 1, 2, embedkit::kSentenceEnd, 3, 4, embedkit::kSentenceEnd};
    WindowPairsOptions o;
    o.window = 1;
    o.dynamic_window = false;
    o.sample = 0;
    const PairSet s = window_pairs(vocab, embedkit::CorpusView{ids.data(), ids.size()}, o);
    using P = std::pair<std::string, std::string>;
    CHECK(named(s) == std::vector<P>{{"a", "b"}, {"b", "a"}, {"b", "c"}, {"c", "b"}, {"d", "e"}, {"e", "d"}});
    CHECK(s.anchor_keys == vocab.words());
    o.window = 5;
    CHECK(window_pairs(vocab, embedkit::CorpusView{ids.data(), ids.size()}, o).size() == 6 + 2);
}

TEST_CASE("window_pairs: dynamic windows, subsampling, seeds", "[text][pair_set]") {
    // 200 sentences of 10 words; word 0 is very frequent.
    std::vector<std::pair<std::string, std::int64_t>> counts{{"the", 1000}};
    for (int i = 1; i < 10; ++i) counts.emplace_back("w" + std::to_string(i), 100);
    const embedkit::Vocab vocab = embedkit::Vocab::from_counts(counts);
    std::vector<TokenId> ids;
    embedkit::detail::Rng rng(9);
    for (int s = 0; s < 200; ++s) {
        for (int i = 0; i < 10; ++i) ids.push_back(rng.below(2) == 0 ? 0 : static_cast<TokenId>(1 + rng.below(9)));
        ids.push_back(embedkit::kSentenceEnd);
    }
    const embedkit::CorpusView view{ids.data(), ids.size()};
    WindowPairsOptions fixed;
    fixed.window = 3;
    fixed.dynamic_window = false;
    fixed.sample = 0;
    WindowPairsOptions dynamic = fixed;
    dynamic.dynamic_window = true;
    const PairSet f = window_pairs(vocab, view, fixed);
    const PairSet d = window_pairs(vocab, view, dynamic);
    // 10 words, window 3: 2 * (3 + 3 + 3 + ... ) = 2 * (3*7 + 2 + 1 + 0)... = 48 per sentence.
    CHECK(f.size() == 200 * 48);
    CHECK(d.size() < f.size());
    CHECK(d.size() > f.size() / 3);
    CHECK(window_pairs(vocab, view, dynamic).anchors == d.anchors);
    dynamic.seed = 2;
    CHECK(window_pairs(vocab, view, dynamic).anchors != d.anchors);

    // Subsampling drops mostly "the".
    WindowPairsOptions sub = fixed;
    sub.sample = 1e-3;
    const PairSet s = window_pairs(vocab, view, sub);
    auto share_of_the = [](const PairSet& p) {
        std::size_t n = 0;
        for (const TokenId a : p.anchors) n += a == 0;
        return static_cast<double>(n) / static_cast<double>(p.size());
    };
    CHECK(s.size() < f.size());
    CHECK(share_of_the(s) < share_of_the(f) - 0.1);

    using Catch::Matchers::Contains;
    WindowPairsOptions bad = fixed;
    bad.window = 0;
    CHECK_THROWS_WITH(window_pairs(vocab, view, bad), Contains("WindowPairsOptions.window"));
    bad = fixed;
    bad.sample = -1;
    CHECK_THROWS_WITH(window_pairs(vocab, view, bad), Contains("WindowPairsOptions.sample"));
    const std::vector<TokenId> out_of_range{0, 12, embedkit::kSentenceEnd};
    CHECK_THROWS_WITH(window_pairs(vocab, embedkit::CorpusView{out_of_range.data(), out_of_range.size()}, fixed),
                      Contains("corpus id 12 at position 1"));
}

TEST_CASE("PairsFileOptions: an unknown key mode is named", "[text][pair_set]") {
    PairsFileOptions o;
    o.keys = static_cast<PairKeys>(9);
    CHECK_THROWS_AS(embedkit::validate(o), embedkit::invalid_options);
    CHECK_THROWS_WITH(embedkit::validate(o), Catch::Matchers::Contains("PairsFileOptions.keys"));
}
