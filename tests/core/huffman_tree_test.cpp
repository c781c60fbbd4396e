#include <embedkit/core/huffman_tree.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <string>
#include <vector>

using embedkit::HuffmanTree;
using embedkit::TokenId;

namespace {
std::string code_string(const HuffmanTree& tree, TokenId w) {
    std::string s;
    for (std::size_t i = 0; i < tree.code_length(w); ++i) s += static_cast<char>('0' + tree.code(w)[i]);
    return s;
}
}  // namespace

TEST_CASE("HuffmanTree gives the optimal code lengths for dyadic counts", "[huffman]") {
    const HuffmanTree tree({8, 4, 2, 1, 1});
    REQUIRE(tree.size() == 5);
    REQUIRE(tree.inner_nodes() == 4);
    CHECK(tree.code_length(0) == 1);
    CHECK(tree.code_length(1) == 2);
    CHECK(tree.code_length(2) == 3);
    CHECK(tree.code_length(3) == 4);
    CHECK(tree.code_length(4) == 4);
}

TEST_CASE("HuffmanTree codes are prefix-free and paths start at the root", "[huffman]") {
    std::vector<std::int64_t> counts;
    for (int i = 0; i < 300; ++i) counts.push_back(static_cast<std::int64_t>(100000.0 / (i + 1)) + 1);
    const HuffmanTree tree(counts);
    std::vector<std::string> codes;
    double expected_length = 0;
    double total = 0;
    for (TokenId w = 0; w < 300; ++w) {
        codes.push_back(code_string(tree, w));
        REQUIRE(tree.code_length(w) >= 1);
        CHECK(tree.path(w)[0] == tree.inner_nodes() - 1);  // the root is the last inner node created
        for (std::size_t d = 0; d < tree.code_length(w); ++d) CHECK(tree.path(w)[d] < tree.inner_nodes());
        expected_length += static_cast<double>(counts[static_cast<std::size_t>(w)] * static_cast<std::int64_t>(tree.code_length(w)));
        total += static_cast<double>(counts[static_cast<std::size_t>(w)]);
    }
    std::set<std::string> unique(codes.begin(), codes.end());
    CHECK(unique.size() == codes.size());
    for (std::size_t a = 0; a < codes.size(); ++a) {
        for (std::size_t b = 0; b < codes.size(); ++b) {
            if (a != b) CHECK_FALSE(codes[b].rfind(codes[a], 0) == 0);
        }
    }
    // Kraft equality holds for a full binary tree.
    double kraft = 0;
    for (const auto& c : codes) kraft += std::ldexp(1.0, -static_cast<int>(c.size()));
    CHECK(kraft == Approx(1.0));
    // Shannon: the mean code length is within one bit of the entropy.
    double entropy = 0;
    for (auto c : counts) entropy -= (static_cast<double>(c) / total) * std::log2(static_cast<double>(c) / total);
    CHECK(expected_length / total >= entropy - 1e-9);
    CHECK(expected_length / total < entropy + 1.0);
}

TEST_CASE("HuffmanTree handles one word and rejects unsorted counts", "[huffman]") {
    const HuffmanTree one({5});
    CHECK(one.inner_nodes() == 1);
    CHECK(one.code_length(0) == 1);
    CHECK_THROWS_AS(HuffmanTree({1, 5, 2}), embedkit::invalid_argument);
    const HuffmanTree none(std::vector<std::int64_t>{});
    CHECK(none.size() == 0);
}
