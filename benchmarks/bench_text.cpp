// Throughput of the text pipeline: tokenizer, vocabulary counting, corpus encoding.
// Real text: ../shared/data/text8-prefix (12.5 MB, one line), held in memory and read through
// a zero-copy streambuf so the numbers are the pipeline's, not a stream copy's.

#include <embedkit/detail/rng.hpp>
#include <embedkit/text/corpus.hpp>
#include <embedkit/text/subsampling.hpp>
#include <embedkit/text/tokenizer.hpp>
#include <embedkit/text/vocab.hpp>

#include <benchmark/benchmark.h>

#include <fstream>
#include <istream>
#include <streambuf>
#include <string>
#include <vector>

using namespace embedkit;

namespace {

// Reads a string in place: istream::read copies straight from it into the tokenizer's buffer.
class MemoryBuf : public std::streambuf {
public:
    explicit MemoryBuf(const std::string& s) {
        char* p = const_cast<char*>(s.data());  // the get area is never written
        setg(p, p, p + s.size());
    }
};

const std::string* text8() {
    static const std::string data = [] {
        std::ifstream in(std::string(EMBEDKIT_SHARED_DATA_DIR) + "/text8-prefix", std::ios::binary);
        if (!in) return std::string();
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }();
    return data.empty() ? nullptr : &data;
}

// ~8 MB of lines of random words; `non_ascii` of them are made of 2- and 3-byte characters.
std::string generated_text(double non_ascii) {
    detail::Rng rng(42);
    const char* const multi[] = {"\xC3\xA9", "\xC3\xB6", "\xD0\xB4", "\xE6\x9D\xB1", "\xE4\xBA\xAC", "\xE3\x81\x82"};
    std::string text;
    text.reserve(8u << 20);
    while (text.size() < (8u << 20)) {
        const std::size_t words = 5 + rng.below(30);
        for (std::size_t w = 0; w < words; ++w) {
            const std::size_t len = 1 + rng.below(10);
            const bool wide = rng.uniform() < non_ascii;
            for (std::size_t i = 0; i < len; ++i) {
                if (wide) text += multi[rng.below(6)];
                else text += static_cast<char>('a' + rng.below(26));
            }
            text += ' ';
        }
        text += '\n';
    }
    return text;
}

void run_tokenizer(benchmark::State& state, const std::string& data) {
    std::size_t tokens = 0;
    for (auto _ : state) {
        MemoryBuf buf(data);
        std::istream in(&buf);
        Tokenizer tok(in);
        std::vector<std::string_view> sentence;
        while (tok.next_sentence(sentence)) {
            tokens += sentence.size();
            benchmark::DoNotOptimize(sentence.data());
        }
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(tokens));
}

void BM_Tokenize_Text8(benchmark::State& state) {
    const std::string* data = text8();
    if (data == nullptr) {
        state.SkipWithError("../shared/data/text8-prefix not found");
        return;
    }
    run_tokenizer(state, *data);
}
BENCHMARK(BM_Tokenize_Text8)->Unit(benchmark::kMillisecond);

void BM_Tokenize_GeneratedAscii(benchmark::State& state) {
    static const std::string data = generated_text(0.0);
    run_tokenizer(state, data);
}
BENCHMARK(BM_Tokenize_GeneratedAscii)->Unit(benchmark::kMillisecond);

void BM_Tokenize_GeneratedUtf8(benchmark::State& state) {
    static const std::string data = generated_text(0.3);
    run_tokenizer(state, data);
}
BENCHMARK(BM_Tokenize_GeneratedUtf8)->Unit(benchmark::kMillisecond);

void BM_VocabCount_Text8(benchmark::State& state) {
    const std::string* data = text8();
    if (data == nullptr) {
        state.SkipWithError("../shared/data/text8-prefix not found");
        return;
    }
    std::size_t words = 0;
    for (auto _ : state) {
        MemoryBuf buf(*data);
        std::istream in(&buf);
        const Vocab vocab = Vocab::build(in);
        words = vocab.size();
        benchmark::DoNotOptimize(words);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data->size()));
    state.counters["vocab"] = static_cast<double>(words);
}
BENCHMARK(BM_VocabCount_Text8)->Unit(benchmark::kMillisecond);

void BM_CorpusEncode_Text8(benchmark::State& state) {
    const std::string* data = text8();
    if (data == nullptr) {
        state.SkipWithError("../shared/data/text8-prefix not found");
        return;
    }
    MemoryBuf vbuf(*data);
    std::istream vin(&vbuf);
    const Vocab vocab = Vocab::build(vin);
    std::size_t ids = 0;
    for (auto _ : state) {
        MemoryBuf buf(*data);
        std::istream in(&buf);
        const Corpus corpus = Corpus::encode(in, vocab);
        ids += corpus.size();
        benchmark::DoNotOptimize(corpus.ids().data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data->size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(ids));
}
BENCHMARK(BM_CorpusEncode_Text8)->Unit(benchmark::kMillisecond);

void BM_Subsample(benchmark::State& state) {
    std::vector<std::int64_t> counts(50'000);
    for (std::size_t i = 0; i < counts.size(); ++i) counts[i] = static_cast<std::int64_t>(1'000'000 / (i + 1));
    const Subsampler sub(counts, 1e-4);
    detail::Rng rng(1);
    TokenId id = 0;
    std::size_t kept = 0;
    for (auto _ : state) {
        kept += sub.keep(id, rng);
        id = id + 1 == 50'000 ? 0 : id + 1;
    }
    benchmark::DoNotOptimize(kept);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Subsample);

}  // namespace

BENCHMARK_MAIN();
