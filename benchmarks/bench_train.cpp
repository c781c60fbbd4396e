// The inner training step of the Word2Vec engine: one epoch over the first 500,000 tokens of
// text8-prefix (real word frequencies, so the memory traffic is realistic), one thread, words per
// second. Each variant names the algorithm, so the older ones stay measurable next to the newer
// ones in the same run:
//   skipgram/per_pair         word2vec.c: a set of negatives for every (context, centre) pair
//   skipgram/shared           the context words of a centre word share its negatives (default)
//   cbow                      mean of the context, negatives per centre word
//   fasttext/per_prediction   subwords; the centre word's rows composed and updated per prediction
//   fasttext/per_centre       composed once per centre word, updated once with the summed gradient
// The end-to-end comparison with gensim and fastText is benchmarks/word2vec_vs_references.py.

#include <embedkit/models/fasttext.hpp>
#include <embedkit/models/word2vec.hpp>

#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>

using namespace embedkit;

namespace {

constexpr std::size_t kTokens = 500'000;

/// The first kTokens tokens of text8-prefix, their vocabulary (min count 5) and ids.
const std::pair<Vocab, Corpus>& data() {
    static const std::pair<Vocab, Corpus> d = [] {
        const std::string path = std::string(EMBEDKIT_SHARED_DATA_DIR) + "/text8-prefix";
        std::ifstream in(path);
        if (!in) throw io_error(path + ": cannot open (bench_train needs ../shared/data)");
        std::string text;
        std::string word;
        for (std::size_t i = 0; i < kTokens && in >> word; ++i) (text += word) += ' ';
        std::istringstream for_vocab(text);
        VocabOptions vo;
        vo.min_count = 5;
        Vocab vocab = Vocab::build(for_vocab, vo);
        std::istringstream for_corpus(text);
        Corpus corpus = Corpus::encode(for_corpus, vocab);
        return std::make_pair(std::move(vocab), std::move(corpus));
    }();
    return d;
}

Word2VecOptions base_options(Word2VecArchitecture architecture) {
    Word2VecOptions o;
    o.architecture = architecture;
    o.epochs = 1;
    o.threads = 1;
    o.sample = 1e-4;
    return o;
}

template <class Train>
void run(benchmark::State& state, Train&& train) {
    const auto& [vocab, corpus] = data();
    for (auto _ : state) {
        auto model = train(vocab, corpus.view());
        benchmark::DoNotOptimize(&model);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * corpus.token_count()));
}

void BM_Skipgram_PerPair(benchmark::State& state) {
    Word2VecOptions o = base_options(Word2VecArchitecture::skipgram);
    o.shared_negatives = false;
    run(state, [&](const Vocab& v, CorpusView c) { return train_word2vec(v, c, o); });
}
BENCHMARK(BM_Skipgram_PerPair)->Name("skipgram/per_pair")->Unit(benchmark::kMillisecond);

void BM_Skipgram_Shared(benchmark::State& state) {
    const Word2VecOptions o = base_options(Word2VecArchitecture::skipgram);
    run(state, [&](const Vocab& v, CorpusView c) { return train_word2vec(v, c, o); });
}
BENCHMARK(BM_Skipgram_Shared)->Name("skipgram/shared")->Unit(benchmark::kMillisecond);

void BM_Cbow(benchmark::State& state) {
    const Word2VecOptions o = base_options(Word2VecArchitecture::cbow);
    run(state, [&](const Vocab& v, CorpusView c) { return train_word2vec(v, c, o); });
}
BENCHMARK(BM_Cbow)->Name("cbow")->Unit(benchmark::kMillisecond);

FastTextOptions fasttext_options(bool per_prediction) {
    FastTextOptions o;
    o.word2vec = base_options(Word2VecArchitecture::skipgram);
    o.update_per_prediction = per_prediction;
    return o;
}

void BM_FastText_PerPrediction(benchmark::State& state) {
    const FastTextOptions o = fasttext_options(true);
    run(state, [&](const Vocab& v, CorpusView c) { return train_fasttext(v, c, o); });
}
BENCHMARK(BM_FastText_PerPrediction)->Name("fasttext/per_prediction")->Unit(benchmark::kMillisecond);

void BM_FastText_PerCentre(benchmark::State& state) {
    const FastTextOptions o = fasttext_options(false);
    run(state, [&](const Vocab& v, CorpusView c) { return train_fasttext(v, c, o); });
}
BENCHMARK(BM_FastText_PerCentre)->Name("fasttext/per_centre")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
