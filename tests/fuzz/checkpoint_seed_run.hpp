// The tiny corpus behind the checkpoint target: make_checkpoint_seeds trains on it and stops the
// runs to write the seed checkpoints (tests/fuzz/corpus/checkpoint/), and fuzz_checkpoint resumes
// every checkpoint it reads on it. Both must see the same ids, so it is generated, never read.
#pragma once

#include <embedkit/detail/rng.hpp>
#include <embedkit/text/corpus.hpp>
#include <embedkit/text/vocab.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace embedkit::fuzz {

struct SeedCorpus {
    Vocab vocab;
    Corpus corpus;
};

/// 12,000 tokens over 40 words ("w0".."w39", Zipf-like counts) in sentences of 1..30 words: a
/// little more than one synchronisation interval of the engine (10,000 words), so a run stopped
/// at its first report is stopped in mid-corpus. Always the same ids.
[[nodiscard]] inline const SeedCorpus& checkpoint_seed_corpus() {
    static const SeedCorpus seed = [] {
        constexpr int kWords = 40;
        detail::Rng rng(2024);
        std::vector<TokenId> raw;
        std::vector<std::int64_t> freq(kWords, 0);
        while (raw.size() < 12'000) {
            const std::uint64_t length = 1 + rng.below(30);
            for (std::uint64_t k = 0; k < length; ++k) {
                const auto w = static_cast<TokenId>(kWords * rng.uniform<double>() * rng.uniform<double>());
                raw.push_back(w);
                ++freq[static_cast<std::size_t>(w)];
            }
            raw.push_back(kSentenceEnd);
        }
        std::vector<std::pair<std::string, std::int64_t>> counts;
        for (int w = 0; w < kWords; ++w) counts.emplace_back("w" + std::to_string(w), freq[static_cast<std::size_t>(w)] + 1);
        VocabOptions keep_all;
        keep_all.min_count = 1;
        SeedCorpus s;
        s.vocab = Vocab::from_counts(counts, keep_all);
        for (TokenId& id : raw) {
            if (id != kSentenceEnd) id = s.vocab.at("w" + std::to_string(id));
        }
        s.corpus = Corpus::from_ids(std::move(raw));
        return s;
    }();
    return seed;
}

}  // namespace embedkit::fuzz
