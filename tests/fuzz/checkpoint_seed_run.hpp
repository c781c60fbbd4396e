// The tiny corpus behind the checkpoint target: make_checkpoint_seeds trains on it and stops the
// runs to write the seed checkpoints (tests/fuzz/corpus/checkpoint/), and fuzz_checkpoint resumes
// every checkpoint it reads on it. Both must see the same ids, so it is generated, never read.
#pragma once

#include "support/zipf_corpus.hpp"

#include <embedkit/text/corpus.hpp>
#include <embedkit/text/vocab.hpp>

#include <utility>

namespace embedkit::fuzz {

struct SeedCorpus {
    Vocab vocab;
    Corpus corpus;
};

/// 12,000 tokens over 40 words in sentences of 1..30 words: a little more than one
/// synchronisation interval of the engine (10,000 words), so a run stopped at its first report
/// is stopped in mid-corpus. Always the same ids.
[[nodiscard]] inline const SeedCorpus& checkpoint_seed_corpus() {
    static const SeedCorpus seed = [] {
        auto [vocab, corpus] = testing::zipf_corpus(2024, 40, 12'000, 30);
        return SeedCorpus{std::move(vocab), std::move(corpus)};
    }();
    return seed;
}

}  // namespace embedkit::fuzz
