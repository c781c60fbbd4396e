// Our analogy and word-similarity figures against gensim's evaluate_word_analogies and
// evaluate_word_pairs on the same vector files, to 4 decimals. Runs where /usr/bin/python3 has
// gensim (Debian python3-gensim; .ci/run installs it); elsewhere it only warns.

#include <embedkit/eval/analogy_eval.hpp>
#include <embedkit/eval/similarity_eval.hpp>
#include <embedkit/io/word2vec_format.hpp>

#include <catch2/catch.hpp>

#include "support/skip.hpp"
#include "support/temp_dir.hpp"
#include "support/test_files.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;

namespace {

using embedkit::testing::kEvalDataDir;
const std::string kSharedEval = std::string(EMBEDKIT_SHARED_DATA_DIR) + "/eval/";
const std::string kScript = std::string(EMBEDKIT_TEST_DATA_DIR) + "/../../benchmarks/eval_vs_gensim.py";
const std::string kPython = "/usr/bin/python3";

bool have_gensim() {
    static const bool ok =
        fs::exists(kPython) && std::system((kPython + " -c 'import gensim' >/dev/null 2>&1").c_str()) == 0;
    return ok;
}

using embedkit::testing::TempDir;

std::string quote(const std::string& s) { return "'" + s + "'"; }

struct GensimFigures {
    struct Section {
        std::string name;
        std::size_t correct = 0, answered = 0;
    };
    std::vector<Section> sections;
    std::size_t correct = 0, answered = 0, skipped = 0;
    double spearman = 0, pearson = 0, oov_percent = 0;
};

GensimFigures run_gensim(const TempDir& dir, const std::string& vectors, const std::string& analogies,
                         const std::string& pairs, long restrict, long pairs_restrict) {
    const fs::path out = dir.path() / "gensim.tsv";
    const std::string cmd = kPython + " " + quote(kScript) + " gensim " + quote(vectors) + " --analogies " +
                            quote(analogies) + " --similarity " + quote(pairs) + " --restrict " +
                            std::to_string(restrict) + " --similarity-restrict " + std::to_string(pairs_restrict) +
                            " > " + quote(out.string());
    REQUIRE(std::system(cmd.c_str()) == 0);
    GensimFigures g;
    std::ifstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string kind;
        std::getline(fields, kind, '\t');
        if (kind == "section") {
            GensimFigures::Section s;
            std::getline(fields, s.name, '\t');
            fields >> s.correct >> s.answered;
            g.sections.push_back(s);
        } else if (kind == "analogy") {
            fields >> g.correct >> g.answered >> g.skipped;
        } else if (kind == "similarity") {
            fields >> g.spearman >> g.pearson >> g.oov_percent;
        }
    }
    return g;
}

void check_agreement(const std::string& vectors_path, const std::string& analogies, const std::string& pairs,
                     long restrict, long pairs_restrict) {
    TempDir dir;
    const GensimFigures g = run_gensim(dir, vectors_path, analogies, pairs, restrict, pairs_restrict);
    const auto vectors = embedkit::read_word2vec<float>(vectors_path);

    embedkit::AnalogyEvalOptions aopts;
    aopts.restrict_vocab = restrict;
    aopts.threads = 2;
    const auto ours = embedkit::evaluate_analogies(vectors, analogies, aopts);
    REQUIRE(ours.sections.size() == g.sections.size());
    for (std::size_t i = 0; i < g.sections.size(); ++i) {
        INFO("section " << g.sections[i].name);
        CHECK(ours.sections[i].name == g.sections[i].name);
        CHECK(ours.sections[i].answered == g.sections[i].answered);
        CHECK(ours.sections[i].correct == g.sections[i].correct);
        const double theirs = g.sections[i].answered ? double(g.sections[i].correct) / double(g.sections[i].answered) : 0.0;
        CHECK(std::abs(ours.sections[i].accuracy() - theirs) < 0.5e-4);
    }
    CHECK(ours.overall.correct == g.correct);
    CHECK(ours.overall.answered == g.answered);
    CHECK(ours.overall.skipped == g.skipped);
    CHECK(std::abs(ours.overall.accuracy() - (g.answered ? double(g.correct) / double(g.answered) : 0.0)) < 0.5e-4);

    embedkit::SimilarityEvalOptions sopts;
    sopts.restrict_vocab = pairs_restrict;
    const auto sim = embedkit::evaluate_word_pairs(vectors, pairs, sopts);
    CHECK(std::abs(sim.spearman - g.spearman) < 0.5e-4);
    CHECK(std::abs(sim.pearson - g.pearson) < 0.5e-4);
    CHECK(std::abs(100.0 * (1.0 - sim.coverage()) - g.oov_percent) < 0.5e-4);
}

}  // namespace

TEST_CASE("Evaluation agrees with gensim on the hand-made vectors", "[eval][gensim]") {
    if (!have_gensim()) EMBEDKIT_SKIP("gensim is not installed for " << kPython);
    for (long restrict : {16L, 30000L}) {
        INFO("restrict " << restrict);
        check_agreement(kEvalDataDir + "tiny_vectors.txt", kEvalDataDir + "tiny_questions.txt", kEvalDataDir + "tiny_pairs.txt",
                        restrict, restrict);
    }
}

TEST_CASE("Evaluation agrees with gensim on questions-words and WordSim-353", "[eval][gensim]") {
    if (!have_gensim()) EMBEDKIT_SKIP("gensim is not installed for " << kPython);
    if (!fs::exists(kSharedEval + "questions-words.txt")) EMBEDKIT_SKIP("no shared evaluation data at " << kSharedEval);
    TempDir dir;
    // Vectors with planted analogies (about 60% accuracy), capitalised variants and rare words.
    const std::string vectors = (dir.path() / "planted.vec").string();
    REQUIRE(std::system((kPython + " " + quote(kScript) + " make-vectors " + quote(vectors) + " --seed 11").c_str()) == 0);
    check_agreement(vectors, kSharedEval + "questions-words.txt", kSharedEval + "ws353.txt", 2000, 300000);
    check_agreement(vectors, kSharedEval + "questions-words.txt", kSharedEval + "ws353.txt", 30000, 1000);
}
