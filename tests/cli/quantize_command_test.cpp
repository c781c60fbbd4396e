// embedkit quantize on the hand-made vectors of tests/data/eval: the files it writes load with
// their labels and decode close to the vectors; bad options fail with clear errors.

#include <embedkit/io/word2vec_format.hpp>
#include <embedkit/search/int8_vectors.hpp>
#include <embedkit/search/pq_vectors.hpp>

#include <catch2/catch.hpp>

#include "support/run_command.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"
#include "support/test_files.hpp"

#include <string>

TEST_CASE("embedkit quantize writes int8 and PQ files that load with their words", "[cli][quantization]") {
    using embedkit::testing::shell_quote;
    if (embedkit::testing::cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    embedkit::testing::TempDir dir;
    const std::string vectors = embedkit::testing::kEvalDataDir + "tiny_vectors.txt";
    const auto words = embedkit::read_word2vec<float>(vectors);
    auto r = embedkit::testing::run_cli("quantize --vectors " + shell_quote(vectors) + " --output " +
                                        shell_quote(dir.file("v.int8")) + " --method int8 --metric dot");
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("16 bytes per vector (float: 64)"));
    const auto int8 = embedkit::Int8Vectors::load(dir.file("v.int8"));
    CHECK(int8.labels() == words.words());
    // The tiny vectors are 0/1 (and a few 0.5): every value sits on the grid of its column.
    for (embedkit::TokenId i = 0; i < 19; ++i) CHECK((int8.decode(i) - words.matrix().row(i)).cwiseAbs().maxCoeff() < 0.002f);

    r = embedkit::testing::run_cli("quantize --vectors " + shell_quote(vectors) + " --output " +
                                   shell_quote(dir.file("v.pq")) + " --method pq --subvectors 4");
    REQUIRE(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("4 subvectors of 19 centroids): 4 bytes per vector"));
    const auto pq = embedkit::PqVectors::load(dir.file("v.pq"));
    CHECK(pq.bytes_per_vector() == 4);
    CHECK(pq.labels() == words.words());

    r = embedkit::testing::run_cli("quantize --vectors " + shell_quote(vectors) + " --output " +
                                   shell_quote(dir.file("x.pq")) + " --method pq --subvectors 5");
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("must divide the dimension 16, got 5"));
    r = embedkit::testing::run_cli("quantize --vectors " + shell_quote(vectors) + " --output " +
                                   shell_quote(dir.file("x.pq")) + " --method int4");
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("--method must be int8 or pq"));
}
