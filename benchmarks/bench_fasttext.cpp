// fastText subwords: n-gram hashing, vectors of unseen words, and training throughput with and
// without n-grams (the end-to-end comparison with fastText and gensim is
// word2vec_vs_references.py --subwords).

#include <embedkit/detail/rng.hpp>
#include <embedkit/models/fasttext.hpp>
#include <embedkit/text/subwords.hpp>

#include <benchmark/benchmark.h>

#include <string>
#include <utility>
#include <vector>

using namespace embedkit;

namespace {

/// Pronounceable pseudo-words of 3..12 letters, deterministic.
std::vector<std::string> make_words(std::size_t n, std::uint64_t seed) {
    const std::string consonants = "bcdfghklmnprstvz";
    const std::string vowels = "aeiou";
    detail::Rng rng(seed);
    std::vector<std::string> words;
    words.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        std::string w;
        const auto len = 3 + rng.below(10);
        for (std::uint64_t k = 0; k < len; ++k) {
            w += k % 2 == 0 ? consonants[rng.below(consonants.size())] : vowels[rng.below(vowels.size())];
        }
        words.push_back(w + std::to_string(i));  // distinct
    }
    return words;
}

void BM_NgramBuckets(benchmark::State& state) {
    const auto words = make_words(10'000, 1);
    const SubwordOptions options{3, 6, 2'000'000};
    std::vector<std::int32_t> buckets;
    std::size_t grams = 0;
    for (auto _ : state) {
        for (const auto& w : words) {
            buckets.clear();
            append_ngram_buckets(w, options, buckets);
            grams += buckets.size();
            benchmark::DoNotOptimize(buckets.data());
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * words.size()));
    state.counters["ngrams/word"] = static_cast<double>(grams) / static_cast<double>(state.iterations() * words.size());
}
BENCHMARK(BM_NgramBuckets);

/// A model with random rows (training does not matter for lookup speed): 20k words, dim 100,
/// every bucket stored (as a model read from fastText's .bin).
const FastTextModel<float>& random_model() {
    static const FastTextModel<float> model = [] {
        const auto words = make_words(20'000, 2);
        std::vector<std::pair<std::string, std::int64_t>> counts;
        for (std::size_t i = 0; i < words.size(); ++i) counts.emplace_back(words[i], 100'000 - static_cast<std::int64_t>(i));
        VocabOptions vo;
        vo.min_count = 1;
        const SubwordOptions sub{3, 6, 200'000};
        RowMatrix<float> input(static_cast<Eigen::Index>(words.size() + 200'000), 100);
        detail::Rng rng(3);
        for (Eigen::Index i = 0; i < input.size(); ++i) input.data()[i] = rng.uniform<float>() - 0.5f;
        return FastTextModel<float>(Vocab::from_counts(counts, vo), sub, std::move(input), {}, /*dense=*/true);
    }();
    return model;
}

void BM_UnseenWordVector(benchmark::State& state) {
    const auto& model = random_model();
    const auto queries = make_words(1'000, 4);  // not in the vocabulary (different seed)
    std::vector<float> out(100);
    for (auto _ : state) {
        for (const auto& q : queries) {
            model.word_vector(q, out.data());
            benchmark::DoNotOptimize(out.data());
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * queries.size()));
}
BENCHMARK(BM_UnseenWordVector);

void BM_VocabularyVectors(benchmark::State& state) {
    const auto& model = random_model();
    for (auto _ : state) {
        const auto vectors = model.vectors(1);
        benchmark::DoNotOptimize(vectors.matrix().data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * model.vocab().size()));
}
BENCHMARK(BM_VocabularyVectors);

/// One epoch of skip-gram on 200k tokens of a Zipf-like stream over 5,000 words, one thread;
/// range(0) = maxn (0: plain Word2Vec on the same path).
void BM_TrainSkipgram(benchmark::State& state) {
    static const auto data = [] {
        const auto words = make_words(5'000, 5);
        detail::Rng rng(6);
        std::vector<TokenId> ids;
        std::vector<std::int64_t> freq(words.size(), 0);
        for (int i = 0; i < 200'000; ++i) {
            // Zipf-ish: the product of two uniforms favours small ids.
            const auto id = static_cast<TokenId>(static_cast<double>(words.size()) * rng.uniform<double>() * rng.uniform<double>());
            ids.push_back(id);
            ++freq[static_cast<std::size_t>(id)];
            if (i % 1000 == 999) ids.push_back(kSentenceEnd);
        }
        std::vector<std::pair<std::string, std::int64_t>> counts;
        for (std::size_t i = 0; i < words.size(); ++i) counts.emplace_back(words[i], freq[i] + 1);
        VocabOptions vo;
        vo.min_count = 1;
        Vocab vocab = Vocab::from_counts(counts, vo);
        for (auto& id : ids) {
            if (id != kSentenceEnd) id = vocab.at(words[static_cast<std::size_t>(id)]);
        }
        return std::make_pair(std::move(vocab), Corpus::from_ids(std::move(ids)));
    }();
    FastTextOptions o;
    o.word2vec.epochs = 1;
    o.word2vec.threads = 1;
    o.word2vec.sample = 1e-4;
    o.maxn = static_cast<int>(state.range(0));
    o.minn = o.maxn > 0 ? 3 : 0;
    o.buckets = 2'000'000;
    for (auto _ : state) {
        const auto model = train_fasttext(data.first, data.second.view(), o);
        benchmark::DoNotOptimize(model.input().data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * data.second.token_count()));
}
BENCHMARK(BM_TrainSkipgram)->Arg(0)->Arg(6)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
