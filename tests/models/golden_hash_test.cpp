// Every trainer, one thread, a fixed seed, a small corpus: the SHA-256 of all the parameters it
// trains must stay what it was. Refactoring the training runtime (or anything under it) must not
// change a single bit of the arithmetic; a change that does so on purpose records new hashes here
// and says why in its commit.
//
// The bits depend on the floating-point kernels the build compiles (fused multiply-add in the AVX2
// kernels, plain SSE2 arithmetic in the portable ones) and on the compiler, so the hashes are kept
// per build flavour: the two that CI builds. Another flavour still checks that two runs agree.

#include <embedkit/models/cooccurrence.hpp>
#include <embedkit/models/fasttext.hpp>
#include <embedkit/models/glove.hpp>
#include <embedkit/models/pair_trainer.hpp>
#include <embedkit/models/ppmi_svd.hpp>
#include <embedkit/models/word2vec.hpp>
#include <embedkit/text/pair_set.hpp>

#include <catch2/catch.hpp>

#include "support/build_flavour.hpp"
#include "support/sha256.hpp"
#include "support/zipf_corpus.hpp"

#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

using namespace embedkit;

namespace {

using testing::build_flavour;

const std::pair<Vocab, Corpus>& golden_corpus() {
    static const std::pair<Vocab, Corpus> data = testing::zipf_corpus(/*seed=*/17, /*words=*/300, /*tokens=*/30000,
                                                                      /*max_sentence=*/30);
    return data;
}

Word2VecOptions golden_word2vec_options() {
    Word2VecOptions o;
    o.dim = 16;
    o.window = 3;
    o.epochs = 2;
    o.threads = 1;
    o.seed = 11;
    return o;
}

template <class Model>
std::string word2vec_hash(const Model& m) {
    testing::Sha256 h;
    h.update(m.input);
    h.update(m.output);
    h.update(m.output_hs);
    return h.hex();
}

std::string fasttext_hash(const FastTextModel<float>& m) {
    testing::Sha256 h;
    h.update(m.input());
    h.update(m.output());
    h.update(m.output_hs());
    return h.hex();
}

std::string word2vec_run(Word2VecArchitecture architecture, int negative, bool hs, bool shared_negatives) {
    const auto& [vocab, corpus] = golden_corpus();
    Word2VecOptions o = golden_word2vec_options();
    o.architecture = architecture;
    o.negative = negative;
    o.hierarchical_softmax = hs;
    o.shared_negatives = shared_negatives;
    // The recorded rates (the defaults' on large corpora), not the rule of corpus size.
    o.lr = architecture == Word2VecArchitecture::skipgram ? 0.025 : 0.05;
    return word2vec_hash(train_word2vec<float>(vocab, corpus.view(), o));
}

std::string fasttext_run(Word2VecArchitecture architecture, bool update_per_prediction) {
    const auto& [vocab, corpus] = golden_corpus();
    FastTextOptions o;
    o.word2vec = golden_word2vec_options();
    o.word2vec.architecture = architecture;
    o.minn = 3;
    o.maxn = 5;
    o.buckets = 3000;
    o.update_per_prediction = update_per_prediction;
    // The recorded designs (the defaults' on large corpora), not the rule of corpus size.
    o.word2vec.lr = architecture == Word2VecArchitecture::skipgram ? 0.025 : 0.05;
    o.word2vec.negative_power = 0.5;
    o.gensim_input_scale = false;
    return fasttext_hash(train_fasttext<float>(vocab, corpus.view(), o));
}

CooccurrenceOptions golden_cooccurrence_options() {
    CooccurrenceOptions o;
    o.window = 4;
    o.threads = 1;
    return o;
}

std::string cooccurrence_run() {
    const auto& [vocab, corpus] = golden_corpus();
    const CooccurrenceMatrix m = count_cooccurrences(vocab, corpus.view(), golden_cooccurrence_options());
    testing::Sha256 h;
    for (const CooccurrenceEntry& e : m.entries()) {
        h.update(&e.row, sizeof e.row);
        h.update(&e.col, sizeof e.col);
        h.update(&e.value, sizeof e.value);
    }
    return h.hex();
}

std::string glove_run() {
    const auto& [vocab, corpus] = golden_corpus();
    GloveOptions o;
    o.dim = 16;
    o.epochs = 3;
    o.x_max = 10;
    o.threads = 1;
    o.seed = 5;
    o.cooccurrence = golden_cooccurrence_options();
    const GloveModel<float> m = train_glove<float>(vocab, corpus.view(), o);
    testing::Sha256 h;
    h.update(m.word);
    h.update(m.context);
    h.update(m.word_bias);
    h.update(m.context_bias);
    return h.hex();
}

std::string ppmi_svd_run() {
    const auto& [vocab, corpus] = golden_corpus();
    PpmiSvdOptions o;
    o.dim = 16;
    o.threads = 1;
    o.seed = 5;
    o.cooccurrence = golden_cooccurrence_options();
    const PpmiSvdModel<float> m = train_ppmi_svd<float>(vocab, corpus.view(), o);
    testing::Sha256 h;
    h.update(m.embedding);
    h.update(m.singular_values);
    return h.hex();
}

std::string pairs_run(PairLoss loss, PairOptimizer optimizer) {
    const auto& [vocab, corpus] = golden_corpus();
    WindowPairsOptions wo;
    wo.window = 2;
    wo.seed = 3;
    const PairSet pairs = window_pairs(vocab, corpus.view(), wo);
    PairTrainerOptions o;
    o.loss = loss;
    o.optimizer = optimizer;
    o.dim = 16;
    o.epochs = 2;
    o.batch_size = 64;
    o.threads = 1;
    o.seed = 9;
    const PairModel<float> m = train_pairs<float>(pairs, o);
    testing::Sha256 h;
    h.update(m.anchor_vectors);
    h.update(m.positive_vectors);
    for (const double loss_value : m.epoch_loss) h.update(&loss_value, sizeof loss_value);
    return h.hex();
}

/// The runs, by name.
const std::vector<std::pair<std::string, std::function<std::string()>>>& golden_runs() {
    using A = Word2VecArchitecture;
    static const std::vector<std::pair<std::string, std::function<std::string()>>> runs = {
        {"skipgram", [] { return word2vec_run(A::skipgram, 5, false, true); }},
        {"skipgram-pair-negatives", [] { return word2vec_run(A::skipgram, 5, false, false); }},
        {"skipgram-hs", [] { return word2vec_run(A::skipgram, 0, true, true); }},
        {"skipgram-ns-hs", [] { return word2vec_run(A::skipgram, 3, true, true); }},
        {"cbow", [] { return word2vec_run(A::cbow, 5, false, true); }},
        {"cbow-hs", [] { return word2vec_run(A::cbow, 0, true, true); }},
        {"fasttext-skipgram", [] { return fasttext_run(A::skipgram, false); }},
        {"fasttext-skipgram-per-prediction", [] { return fasttext_run(A::skipgram, true); }},
        {"fasttext-cbow", [] { return fasttext_run(A::cbow, false); }},
        {"cooccurrence", [] { return cooccurrence_run(); }},
        {"glove", [] { return glove_run(); }},
        {"ppmi-svd", [] { return ppmi_svd_run(); }},
        {"pairs-infonce", [] { return pairs_run(PairLoss::infonce, PairOptimizer::adagrad); }},
        {"pairs-nt-xent", [] { return pairs_run(PairLoss::nt_xent, PairOptimizer::adagrad); }},
        {"pairs-mnrl", [] { return pairs_run(PairLoss::mnrl, PairOptimizer::adagrad); }},
        {"pairs-triplet", [] { return pairs_run(PairLoss::triplet, PairOptimizer::adagrad); }},
        {"pairs-logistic", [] { return pairs_run(PairLoss::logistic, PairOptimizer::sgd); }},
    };
    return runs;
}

/// Hashes recorded before the training runtime was split out of the trainers (commit b04c0f8's
/// arithmetic), per flavour.
const std::map<std::string, std::map<std::string, std::string>>& golden_hashes() {
    static const std::map<std::string, std::map<std::string, std::string>> hashes = {
        {"avx2-fma/gcc",
         {
        {"skipgram", "80fe3adcf87554a7af29b099875280b8331506bf7dd12ea421402d9b499459f5"},
                {"skipgram-pair-negatives", "df5ee8cb7d44a12af0e3a81fa4c0276fb3cbf452302361f16c90d76783b0b1fe"},
                {"skipgram-hs", "16a6b93d45b96129767a6556f3b3cceb7029fe12719f35007401d4643e3059bc"},
                {"skipgram-ns-hs", "14d568f0344c7c2bc3801f493f6579b15f323c6fed9ee8fb421f319e653ee5c4"},
                {"cbow", "3d8ce2933ee6efca0ca374bb8d915ea505ce588c7df4cee9c813ce796321fdc6"},
                {"cbow-hs", "894aa7cdd8a6b58b29be17024768b039436b0902f20cbe5e29ba8d94f961c10a"},
                {"fasttext-skipgram", "b6d306d3914a1b3309a5b494ce2796b71a55e7470c1d8e009fb52a9cce20c469"},
                {"fasttext-skipgram-per-prediction", "cc4422ac320d421852c696bd8e5ab7a1aefa54b61225a9e5cf8d185067fe0bde"},
                {"fasttext-cbow", "166d3422fd50a938136a2f31ad1e52a075f2bdf0560d6cf9cd0545f3b45fda4e"},
                {"cooccurrence", "c33109eb2c6ff0c7db8f1c65060bcec8ea5dba69ca45419bab7bf5f4fa936c55"},
                {"glove", "596977ffb516fcc6647890bb086ba8b3d57811a333b13eda1baa40734f790cee"},
                {"ppmi-svd", "9c351ba3e51d8274013bddbbc6f709cfd6b6ec3eb39bbeeaa1b82f88fa6871d5"},
                {"pairs-infonce", "bb7cdf09202f072b5afa1887b5a5da304adcd134ab1dfafe48c59e3a4ace236f"},
                {"pairs-nt-xent", "60693ad52a23c4df97410a36ab253e3a89116776a22f217f56cfb8eb979378dd"},
                {"pairs-mnrl", "25f48e3ab56a00b3f4be1a6acb6fa349b944cdfa8715bc71eb58339064c2a032"},
                {"pairs-triplet", "0106d7102089f630e8dc9afef37993e6f67620bf9df1e77d98fb90946c0f8b9f"},
                {"pairs-logistic", "f2abe61de897412a7c9e1db06881a00fad1201c75259248b726dd85819526ae2"},
         }},
        {"portable/clang",
         {
        {"skipgram", "23d30d5c31e70a25bd002a95692afcfc4847065fd5a5f0e30c6ec13c9cd4cdde"},
                {"skipgram-pair-negatives", "7c087de8a6e7ae3d24cf80fb3520f28c46d2182bafb6ae0d4adf41927fa78c3e"},
                {"skipgram-hs", "52dcbb39c22d54a4a5d37866d566407a433f871762e2b9506f8c9832c530b4ab"},
                {"skipgram-ns-hs", "ccd822ce6184e390b20d09b18f96291242e3c9a07d2c09469507ef15a6a278b3"},
                {"cbow", "30f0a497ad996c141ae5b9fe20b1d4baad90c0e688b6f3b0ac12cb4e90d99a24"},
                {"cbow-hs", "c4901edee5b54e7ce36d455e7f6629c07d0f871373d96f2c0c825b318c5509e1"},
                {"fasttext-skipgram", "010a93124787c87961c3889e2e619ba711d1c4296243dad33fb5f30a1482792f"},
                {"fasttext-skipgram-per-prediction", "15a29ff50cd291027441330d125e7394417d3f6670338ca0c4dc7f21b4cdb436"},
                {"fasttext-cbow", "fd2a79f264612e8d5f91d464fa96ccac646912afcac7af1db33e4ef3baffbfdd"},
                {"cooccurrence", "c33109eb2c6ff0c7db8f1c65060bcec8ea5dba69ca45419bab7bf5f4fa936c55"},
                {"glove", "ee89e284855e6bd9f57b1a193b288a7e6e473b7f558f2ef415920da5f0283c58"},
                {"ppmi-svd", "d4eca5fe9325cdaac226fc397129b1ccced083cb616a4dc9d6c391e83e8448c2"},
                {"pairs-infonce", "3b5838ee021f2b34b8deefefbccfd5c7a13ab91f556ce219d620232146e7a740"},
                {"pairs-nt-xent", "5c7c23fd0ca4278da5670db161699f28bf3c1ca742ee4b0cc5c2f59b5ae61bd4"},
                {"pairs-mnrl", "8388abba95b24a5101f868bc9117af32b4862bb2faeee46d67419e3eebe22f85"},
                {"pairs-triplet", "4fce6f5843e61c08170622ed41721f24a8d4fa6bb34c2d56e2b82c7354178ba1"},
                {"pairs-logistic", "9ee21c7fe6a8c9d1a727a70c204ae77a7251bb25b18e0dc12e37ba2e88e79910"},
         }},
    };
    return hashes;
}

}  // namespace

TEST_CASE("every trainer gives the recorded parameters bit for bit (one thread, fixed seed)", "[golden]") {
    const std::string flavour = build_flavour();
    const auto known = golden_hashes().find(flavour);
    const bool print = std::getenv("EMBEDKIT_PRINT_GOLDEN") != nullptr;
    for (const auto& [name, run] : golden_runs()) {
        DYNAMIC_SECTION(name) {
            const std::string hash = run();
            if (print) std::printf("        {\"%s\", \"%s\"},  // %s\n", name.c_str(), hash.c_str(), flavour.c_str());
            CAPTURE(flavour, name, hash);
            if (known != golden_hashes().end()) {
                const auto expected = known->second.find(name);
                REQUIRE(expected != known->second.end());
                CHECK(hash == expected->second);
            } else {
                // A flavour without recorded hashes: the run must at least repeat itself exactly.
                CHECK(run() == hash);
            }
        }
    }
}

TEST_CASE("the test's SHA-256 gives the FIPS 180-4 example digests", "[golden]") {
    testing::Sha256 abc;
    abc.update("abc", 3);
    CHECK(abc.hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    testing::Sha256 two_blocks;
    const std::string text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    two_blocks.update(text.data(), text.size());
    CHECK(two_blocks.hex() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
