// PassageEmbedder against hand computations: SIF weights from counts, the common component and
// its removal, unseen words of a fastText model through their n-grams, the component file.

#include <embedkit/search/passage_embedder.hpp>

#include "support/temp_dir.hpp"
#include "support/test_files.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

using embedkit::PassageEmbedder;
using embedkit::PassageMethod;
using embedkit::PassageOptions;
using embedkit::RowMatrix;
using embedkit::RowVector;

namespace {

// Three words with easy vectors and counts 6, 3, 1 (total 10): p = 0.6, 0.3, 0.1.
struct PassageFixture {
    embedkit::WordVectors<double> vectors;
    embedkit::Vocab counts;
    PassageFixture() {
        RowMatrix<double> m(3, 2);
        m << 1, 0,  //
            0, 1,   //
            2, 2;
        vectors = embedkit::WordVectors<double>({"the", "cat", "sat"}, m);
        embedkit::VocabOptions vo;
        vo.min_count = 0;
        counts = embedkit::Vocab::from_counts({{"the", 6}, {"cat", 3}, {"sat", 1}}, vo);
    }
};

RowVector<double> row(double x, double y) {
    RowVector<double> v(2);
    v << x, y;
    return v;
}

}  // namespace

TEST_CASE("SIF weights are a / (a + p(w)) and the mean divides by the known words", "[search][passage]") {
    PassageFixture f;
    PassageOptions o;
    o.sif_a = 0.1;
    const PassageEmbedder<double> sif(embedkit::word_source(f.vectors, &f.counts), o);
    CHECK(sif.weight("the") == Approx(0.1 / 0.7));
    CHECK(sif.weight("cat") == Approx(0.1 / 0.4));
    CHECK(sif.weight("sat") == Approx(0.1 / 0.2));
    CHECK(sif.weight("dog") == Approx(1.0));  // no count: p = 0

    // "The" is found lower-cased; "dog" is unknown and neither weighed nor counted.
    RowVector<double> out(2);
    REQUIRE(sif.pool(embedkit::split_words("The  sat\tdog"), out) == 2);
    const RowVector<double> expected = ((0.1 / 0.7) * row(1, 0) + 0.5 * row(2, 2)) / 2.0;
    CHECK((out - expected).norm() < 1e-12);
    REQUIRE(sif.pool(embedkit::split_words("dog  "), out) == 0);
    CHECK(out.isZero(0));

    o.method = PassageMethod::mean;
    const PassageEmbedder<double> mean(embedkit::word_source(f.vectors, nullptr), o);
    REQUIRE(mean.pool(embedkit::split_words("the cat sat"), out) == 3);
    CHECK((out - row(1, 1)).norm() < 1e-12);
}

TEST_CASE("SIF removes the collection's first principal component, fitted once and reused", "[search][passage]") {
    PassageFixture f;
    PassageOptions o;
    o.sif_a = 0.1;
    PassageEmbedder<double> sif(embedkit::word_source(f.vectors, &f.counts), o);
    // Pooled rows: "sat" = 0.5 (2, 2) = (1, 1); "cat" = 0.25 (0, 1); "the" = (1/7, 0); an empty line.
    const std::vector<std::string> lines = {"sat", "cat", "the", ""};
    std::size_t unknown = 0;
    const RowMatrix<double> pooled = sif.pool(lines, &unknown);
    CHECK(unknown == 1);
    // X^T X = [[1 + 1/49, 1], [1, 1 + 1/16]]: its top eigenvector by hand.
    const double a = 1 + 1.0 / 49, c = 1 + 1.0 / 16, b = 1;
    const double lambda = (a + c) / 2 + std::sqrt((a - c) * (a - c) / 4 + b * b);
    RowVector<double> u = row(b, lambda - a);
    u.normalize();
    sif.fit_component(pooled);
    REQUIRE(sif.has_component());
    CHECK((sif.component() - u).norm() < 1e-9);

    const RowMatrix<double> embedded = PassageEmbedder<double>(sif).embed(lines);  // copy keeps the component
    for (Eigen::Index i = 0; i < 4; ++i) {
        const RowVector<double> want = pooled.row(i) - pooled.row(i).dot(u) * u;
        CHECK((embedded.row(i) - want).norm() < 1e-9);
        CHECK(std::abs(embedded.row(i).dot(u)) < 1e-9);
    }
    CHECK(embedded.row(3).isZero(0));

    // A query embedded later uses the saved component, not one fitted on the query.
    embedkit::testing::TempDir dir;
    const std::string path = dir.file("c.sif");
    sif.save_component(path);
    PassageEmbedder<double> queries(embedkit::word_source(f.vectors, &f.counts), PassageOptions{});
    queries.load_component(path);
    CHECK(queries.options().sif_a == 0.1);  // the file's a
    CHECK((queries.component() - u).norm() < 1e-12);
    const RowMatrix<double> q = queries.embed({"cat"});
    CHECK((q.row(0) - embedded.row(1)).norm() < 1e-12);

    // The mean method never removes anything.
    o.method = PassageMethod::mean;
    PassageEmbedder<double> mean(embedkit::word_source(f.vectors, nullptr), o);
    CHECK((mean.embed({"sat cat"}).row(0) - row(1, 1.5)).norm() < 1e-12);
}

TEST_CASE("a fastText model embeds unseen words through their n-grams with SIF weight 1", "[search][passage]") {
    embedkit::SubwordOptions sub;
    sub.minn = 3;
    sub.maxn = 3;
    sub.buckets = 16;
    // Two vocabulary words, then one row per bucket: bucket b holds (b, 1).
    RowMatrix<float> input(2 + 16, 2);
    input.row(0) << 4, 0;
    input.row(1) << 0, 4;
    for (int b = 0; b < 16; ++b) input.row(2 + b) << static_cast<float>(b), 1;
    const auto model = embedkit::detail::FastTextAccess::assemble<float>({{"aa", 30}, {"bb", 10}}, sub, input, {}, true);

    // "xyz": n-grams "<xy", "xyz", "yz>"; its vector is their rows' mean, by hand.
    RowVector<float> unseen = RowVector<float>::Zero(2);
    for (const char* g : {"<xy", "xyz", "yz>"}) unseen += input.row(2 + embedkit::ngram_bucket(g, 16));
    unseen /= 3.0f;
    PassageOptions o;
    o.sif_a = 0.25;  // p(aa) = 0.75 -> weight 0.25, p(bb) = 0.25 -> weight 0.5, unseen -> 1
    const PassageEmbedder<float> sif(embedkit::word_source(model), o);
    CHECK(sif.weight("aa") == Approx(0.25));
    CHECK(sif.weight("bb") == Approx(0.5));
    RowVector<float> out(2);
    REQUIRE(sif.pool(embedkit::split_words("aa xyz"), out) == 2);
    const RowVector<float> want = (0.25f * model.word_vector("aa") + unseen) / 2.0f;
    CHECK((out - want).norm() < 1e-5f);
}

TEST_CASE("PassageEmbedder rejects bad options and bad component files", "[search][passage]") {
    PassageFixture f;
    PassageOptions o;
    o.sif_a = 0;
    CHECK_THROWS_AS(PassageEmbedder<double>(embedkit::word_source(f.vectors, &f.counts), o), embedkit::invalid_options);
    CHECK_THROWS_AS(PassageEmbedder<double>(embedkit::word_source(f.vectors, nullptr), PassageOptions{}),
                    embedkit::invalid_argument);

    PassageEmbedder<double> sif(embedkit::word_source(f.vectors, &f.counts), PassageOptions{});
    embedkit::testing::TempDir dir;
    const auto message = [&](const std::string& text) {
        return embedkit::testing::read_error(dir.file("bad.sif"), text, [&](const std::string& p) { sif.load_component(p); });
    };
    CHECK_THAT(message("hello 1\n"), Catch::Contains("line 1: not an embedkit SIF component file"));
    CHECK_THAT(message("embedkit-sif-component 2\n"), Catch::Contains("version 2 is not supported"));
    CHECK_THAT(message("embedkit-sif-component 1\na 0.001\n"), Catch::Contains("truncated file"));
    CHECK_THAT(message("embedkit-sif-component 1\na -1\ndim 2\n1 0\n"), Catch::Contains("line 2"));
    CHECK_THAT(message("embedkit-sif-component 1\na 0.001\ndim 3\n1 0 0\n"), Catch::Contains("line 3: expected 'dim 2'"));
    CHECK_THAT(message("embedkit-sif-component 1\na 0.001\ndim 2\n1 nan\n"), Catch::Contains("line 4: value 2"));
    CHECK_THAT(message("embedkit-sif-component 1\na 0.001\ndim 2\n1\n"), Catch::Contains("line 4: value 2"));
    CHECK_THAT(message("embedkit-sif-component 1\na 0.001\ndim 2\n1 0 5\n"), Catch::Contains("more than 2 values"));
    CHECK_THAT(message("embedkit-sif-component 1\na 0.001\ndim 2\n1 0\nextra\n"), Catch::Contains("line 5"));
    CHECK(message("embedkit-sif-component 1\na 0.001\ndim 2\n0 3\n") == "accepted");
    CHECK((sif.component() - row(0, 1)).norm() < 1e-12);  // normalised
    CHECK_THROWS_WITH(sif.load_component(dir.file("none.sif")), Catch::Contains("cannot open"));
}
