// A cheap corpus that trains like text: ids with Zipf-like frequencies in sentences of random
// length, and its vocabulary ("word0", "word1", ... counted once more than they occur, so every
// word is kept and ids follow the vocabulary's frequency order). Deterministic for a seed.
#pragma once

#include <embedkit/detail/rng.hpp>
#include <embedkit/text/corpus.hpp>
#include <embedkit/text/vocab.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace embedkit::testing {

/// At least `tokens` tokens over `words` words, in sentences of 1..`max_sentence` words.
inline std::pair<Vocab, Corpus> zipf_corpus(std::uint64_t seed, int words, std::size_t tokens,
                                            std::uint64_t max_sentence) {
    detail::Rng rng(seed);
    std::vector<TokenId> ids;
    std::vector<std::int64_t> freq(static_cast<std::size_t>(words), 0);
    while (ids.size() < tokens) {
        const std::uint64_t length = 1 + rng.below(max_sentence);
        for (std::uint64_t k = 0; k < length; ++k) {
            const auto w = static_cast<TokenId>(words * rng.uniform<double>() * rng.uniform<double>());
            ids.push_back(w);
            ++freq[static_cast<std::size_t>(w)];
        }
        ids.push_back(kSentenceEnd);
    }
    std::vector<std::pair<std::string, std::int64_t>> counts;
    for (int w = 0; w < words; ++w) counts.emplace_back("word" + std::to_string(w), freq[static_cast<std::size_t>(w)] + 1);
    VocabOptions keep_all;
    keep_all.min_count = 1;
    Vocab vocab = Vocab::from_counts(counts, keep_all);
    for (TokenId& id : ids) {
        if (id != kSentenceEnd) id = vocab.at("word" + std::to_string(id));
    }
    return {std::move(vocab), Corpus::from_ids(std::move(ids))};
}

}  // namespace embedkit::testing
