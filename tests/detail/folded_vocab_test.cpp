#include <embedkit/detail/folded_vocab.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using embedkit::TokenId;
using embedkit::detail::FoldedVocab;

TEST_CASE("ascii_lower folds A-Z only", "[detail][vocab]") {
    CHECK(embedkit::detail::ascii_lower("Paris-ÉTÉ 42 XyZ") == "paris-ÉtÉ 42 xyz");  // the bytes of É are left alone
    CHECK(embedkit::detail::ascii_lower("") == "");
}

TEST_CASE("FoldedVocab: first case variant stands for all, within the limit", "[detail][vocab]") {
    const std::vector<std::string> words = {"the", "Paris", "paris", "of", "PARIS", "Rome", "rome"};
    const FoldedVocab folded(words, 5, true);
    CHECK(folded.size() == 5);
    CHECK(folded.find("paris") == TokenId{1});
    CHECK(folded.find("PaRiS") == TokenId{1});
    CHECK_FALSE(folded.find("rome").has_value());  // beyond the first 5 words
    CHECK(folded.canonical(4) == 1);
    CHECK(folded.canonical(3) == 3);
    CHECK(folded.variants(1) == std::vector<TokenId>{1, 2, 4});
    CHECK(folded.variants(0).empty());

    const FoldedVocab exact(words, 0, false);
    CHECK(exact.size() == 7);
    CHECK(exact.find("paris") == TokenId{2});
    CHECK_FALSE(exact.find("PaRiS").has_value());
    CHECK(exact.find("rome") == TokenId{6});
    CHECK(exact.variants(1).empty());
    CHECK_THROWS(exact.canonical(7));
}
