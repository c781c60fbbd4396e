// Quality on real text: GloVe and PPMI-SVD on ../shared/data/text8-prefix (2.1M tokens) must reach
// analogy and word-similarity scores near those measured with the same settings (docs/glove.md),
// less a margin for run-to-run noise. GloVe runs 5 epochs with x_max 10 here to stay well under a
// minute; the full 15-epoch runs are in benchmarks/glove_vs_references.py.

#include <embedkit/eval/analogy_eval.hpp>
#include <embedkit/eval/similarity_eval.hpp>
#include <embedkit/models/glove.hpp>
#include <embedkit/models/ppmi_svd.hpp>

#include <catch2/catch.hpp>

#include "support/skip.hpp"

#include <filesystem>
#include <string>

using namespace embedkit;

namespace {

struct Text8 {
    Vocab vocab;
    Corpus corpus;
};

// The corpus, or nullptr when the shared data is missing (the test then skips).
const char* const kText8Missing = "text8-prefix not found (the shared data sits beside the project)";

const Text8* text8() {
    static const Text8 data = [] {
        Text8 t;
        const std::string path = std::string(EMBEDKIT_SHARED_DATA_DIR) + "/text8-prefix";
        if (!std::filesystem::exists(path)) return t;
        VocabOptions v;
        v.min_count = 5;
        t.vocab = Vocab::build_file(path, v);
        TokenizerOptions lines;
        lines.join_split_lines = true;  // text8 is one line: count it whole, as the CLI does
        t.corpus = Corpus::encode_file(path, t.vocab, lines);
        return t;
    }();
    return data.vocab.empty() ? nullptr : &data;
}

void score(const WordVectors<float>& vectors, double min_analogy, double min_ws353) {
    const std::string data = EMBEDKIT_SHARED_DATA_DIR;
    const AnalogyEvalResult analogies = evaluate_analogies(vectors, data + "/eval/questions-words.txt");
    const SimilarityEvalResult ws353 = evaluate_word_pairs(vectors, data + "/eval/ws353.txt");
    INFO("analogy accuracy " << analogies.overall.accuracy() << " over " << analogies.overall.answered
                             << " questions; WS353 Spearman " << ws353.spearman << " over " << ws353.found << " pairs");
    CHECK(analogies.overall.answered > 9000);
    CHECK(analogies.overall.accuracy() > min_analogy);
    CHECK(ws353.found > 300);
    CHECK(ws353.spearman > min_ws353);
}

}  // namespace

TEST_CASE("glove quality: 5 epochs on text8-prefix learn analogies and similarities", "[glove][quality]") {
    const Text8* t = text8();
    if (t == nullptr) EMBEDKIT_SKIP(kText8Missing);
    GloveOptions o;
    o.epochs = 5;
    o.x_max = 10;
    o.threads = 2;
    o.cooccurrence.threads = 2;
    const GloveModel<float> model = train_glove(t->vocab, t->corpus.view(), o);
    score(model.vectors(), 0.028, 0.26);  // measured 3.60%, 0.302
    CHECK(model.epoch_cost.back() < model.epoch_cost.front());
}

TEST_CASE("ppmi-svd quality: text8-prefix, window 5", "[ppmi][quality]") {
    const Text8* t = text8();
    if (t == nullptr) EMBEDKIT_SKIP(kText8Missing);
    PpmiSvdOptions o;
    o.threads = 2;
    o.cooccurrence.threads = 2;
    const PpmiSvdModel<float> model = train_ppmi_svd(t->vocab, t->corpus.view(), o);
    score(model.vectors(), 0.14, 0.55);  // measured 15.71%, 0.585
}
