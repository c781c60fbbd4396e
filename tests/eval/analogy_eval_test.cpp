#include <embedkit/eval/analogy_eval.hpp>

#include <embedkit/io/word2vec_format.hpp>

#include <catch2/catch.hpp>

#include "support/test_files.hpp"

#include <sstream>
#include <string>
#include <vector>

using embedkit::AnalogyEvalOptions;
using embedkit::AnalogyMethod;
using embedkit::AnalogyScore;
using embedkit::RowMatrix;
using embedkit::WordVectors;

namespace {

using embedkit::testing::kEvalDataDir;

// Expected counts of one section: correct, answered, skipped.
void check_score(const AnalogyScore& s, std::size_t correct, std::size_t answered, std::size_t skipped) {
    INFO("section '" << s.name << "'");
    CHECK(s.correct == correct);
    CHECK(s.answered == answered);
    CHECK(s.skipped == skipped);
}

}  // namespace

TEST_CASE("Analogy files parse into sections", "[eval][analogy]") {
    std::istringstream in(": capital\r\nathens greece baghdad iraq\n\n  \n:   family  \nboy girl brother sister\n"
                          "Man Woman King Queen\n: empty\n");
    const auto sections = embedkit::parse_analogy_questions(in, "mem");
    REQUIRE(sections.size() == 3);
    CHECK(sections[0].name == "capital");
    REQUIRE(sections[0].questions.size() == 1);
    CHECK(sections[0].questions[0][3] == "iraq");  // the \r is gone
    CHECK(sections[1].name == "family");
    REQUIRE(sections[1].questions.size() == 2);
    CHECK(sections[1].questions[1][0] == "Man");
    CHECK(sections[2].questions.empty());
}

TEST_CASE("Malformed analogy files raise io_error naming file and line", "[eval][analogy]") {
    using Catch::Matchers::Contains;
    std::istringstream three(": s\na b c d\na b c\n");
    CHECK_THROWS_WITH(embedkit::parse_analogy_questions(three, "q.txt"), Contains("q.txt:3:") && Contains("got 3"));
    std::istringstream five(": s\na b c d e\n");
    CHECK_THROWS_AS(embedkit::parse_analogy_questions(five, "q.txt"), embedkit::io_error);
    std::istringstream headless("a b c d\n");
    CHECK_THROWS_WITH(embedkit::parse_analogy_questions(headless, "q.txt"),
                      Contains("q.txt:1:") && Contains("before the first"));
    CHECK_THROWS_WITH(embedkit::read_analogy_questions(kEvalDataDir + "no-such-file.txt"), Contains("no-such-file.txt"));
}

TEST_CASE("Analogy accuracy on the hand-made vectors", "[eval][analogy]") {
    // tiny_vectors.txt: each word is the sum of two basis vectors (girl has a little extra), so
    // every answer below follows by hand; see the comments in tiny_questions.txt's expectations.
    const auto vectors = embedkit::read_word2vec<float>(kEvalDataDir + "tiny_vectors.txt");
    REQUIRE(vectors.size() == 19);
    AnalogyEvalOptions opts;
    opts.threads = 1;

    SECTION("restricted to the first 16 words") {
        opts.restrict_vocab = 16;  // rome, italy, prince are out
        const auto r = embedkit::evaluate_analogies(vectors, kEvalDataDir + "tiny_questions.txt", opts);
        REQUIRE(r.sections.size() == 7);
        CHECK(r.sections[0].name == "capital-common-countries");
        check_score(r.sections[0], 2, 2, 1);  // the upper-case question counts; rome/italy skipped
        check_score(r.sections[1], 1, 1, 1);  // moscow is unknown
        check_score(r.sections[2], 2, 3, 0);  // man : king :: woman : girl is wrong (queen)
        check_score(r.sections[3], 0, 0, 1);
        check_score(r.sections[4], 0, 0, 1);
        check_score(r.sections[5], 2, 3, 0);  // apple : apples :: car : dogs is wrong (cars)
        check_score(r.sections[6], 2, 2, 0);  // man : boy :: king : queen, prince being out of reach
        check_score(r.semantic, 5, 6, 4);
        check_score(r.syntactic, 4, 5, 0);
        check_score(r.overall, 9, 11, 4);
        CHECK(r.overall.accuracy() == Approx(9.0 / 11.0));
        CHECK(r.semantic.accuracy() == Approx(5.0 / 6.0));
        CHECK(r.sections[3].accuracy() == 0.0);
        CHECK(r.overall.questions() == 15);
    }
    SECTION("every word") {
        opts.restrict_vocab = 0;
        const auto r = embedkit::evaluate_analogies(vectors, kEvalDataDir + "tiny_questions.txt", opts);
        check_score(r.sections[0], 3, 3, 0);
        check_score(r.sections[4], 1, 1, 0);
        check_score(r.sections[6], 1, 2, 0);  // now prince beats queen
        check_score(r.semantic, 7, 8, 2);
        check_score(r.syntactic, 3, 5, 0);
        check_score(r.overall, 10, 13, 2);
    }
    SECTION("case-sensitive matching skips the capitalised question") {
        opts.restrict_vocab = 16;
        opts.case_insensitive = false;
        const auto r = embedkit::evaluate_analogies(vectors, kEvalDataDir + "tiny_questions.txt", opts);
        check_score(r.sections[0], 1, 1, 2);
    }
    SECTION("the semantic/syntactic split is configurable") {
        opts.restrict_vocab = 16;
        opts.semantic_sections = 3;
        const auto r = embedkit::evaluate_analogies(vectors, kEvalDataDir + "tiny_questions.txt", opts);
        check_score(r.semantic, 5, 6, 2);
        check_score(r.syntactic, 4, 5, 2);
    }
    SECTION("3CosMul agrees on the planted answers") {
        opts.restrict_vocab = 16;
        opts.method = AnalogyMethod::cos_mul;
        const auto r = embedkit::evaluate_analogies(vectors, kEvalDataDir + "tiny_questions.txt", opts);
        check_score(r.sections[0], 2, 2, 1);
        check_score(r.sections[2], 2, 3, 0);
        check_score(r.sections[5], 2, 3, 0);
    }
}

TEST_CASE("Case variants: the first stands for all and none is an answer to itself", "[eval][analogy]") {
    // "Queen" (id 1) comes before "queen": it is the vector used for QUEEN, and an answer "queen"
    // counts for a question expecting "Queen". "KING" is a variant of the question word "king".
    std::vector<std::string> words = {"man", "Queen", "woman", "king", "queen", "KING"};
    RowMatrix<float> m = RowMatrix<float>::Zero(6, 4);
    m.row(0) << 1, 0, 1, 0;  // man   = male + person
    m.row(1) << 0, 1, 0, 1;  // Queen = female + royal
    m.row(2) << 0, 1, 1, 0;  // woman = female + person
    m.row(3) << 1, 0, 0, 1;  // king  = male + royal
    m.row(4) << 0, 1, 0, 1;  // queen = same as Queen
    m.row(5) << 0, 1, 0, 1;  // KING: a variant of king that points at queen
    const WordVectors<float> vectors(words, m);
    const std::vector<embedkit::AnalogySection> sections = {
        {"s", {{"man", "king", "woman", "queen"}, {"MAN", "KING", "WOMAN", "QUEEN"}}}};
    AnalogyEvalOptions opts;
    opts.restrict_vocab = 0;
    const auto r = embedkit::evaluate_analogies(vectors, sections, opts);
    // Best answer: Queen (id 1) or queen (id 4), tied; KING (id 5) is excluded as a variant of king.
    check_score(r.sections[0], 2, 2, 0);

    opts.case_insensitive = false;
    const auto exact = embedkit::evaluate_analogies(vectors, sections, opts);
    // Only the lower-case question is answerable; without folding, KING is an ordinary candidate
    // tied with Queen and queen, and the lowest id (Queen, id 1) is not "queen".
    check_score(exact.sections[0], 0, 1, 1);
}

TEST_CASE("AnalogyEvalOptions are validated", "[eval][analogy]") {
    AnalogyEvalOptions opts;
    opts.restrict_vocab = -5;
    CHECK_THROWS_WITH(embedkit::validate(opts), Catch::Matchers::Contains("restrict_vocab"));
    const WordVectors<float> vectors({"a"}, RowMatrix<float>::Ones(1, 2));
    CHECK_THROWS_AS(embedkit::evaluate_analogies(vectors, std::vector<embedkit::AnalogySection>{}, opts),
                    embedkit::invalid_options);
    const auto empty = embedkit::evaluate_analogies(vectors, std::vector<embedkit::AnalogySection>{});
    CHECK(empty.overall.answered == 0);
    CHECK(empty.overall.accuracy() == 0.0);
}
