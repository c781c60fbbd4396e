// libFuzzer target: the vocabulary file reader (Vocab::load) and, on the same bytes as a corpus,
// vocabulary counting with a tiny pruning threshold (Vocab::build with prune_at = 8).
#include "fuzz_support.hpp"

#include <embedkit/text/vocab.hpp>

#include <cstdint>
#include <sstream>
#include <string>

using embedkit::Vocab;

namespace {

// Ids are dense, lookups agree with them, counts are ordered as documented (`sorted`), and the
// totals add up.
void check_vocab(const Vocab& vocab, bool sorted) {
    std::int64_t total = 0;
    for (std::size_t i = 0; i < vocab.size(); ++i) {
        const auto id = static_cast<embedkit::TokenId>(i);
        const std::string& word = vocab.word(id);
        EMBEDKIT_FUZZ_CHECK(!word.empty());
        EMBEDKIT_FUZZ_CHECK(word.find_first_of(" \t\n\v\f\r") == std::string::npos);
        EMBEDKIT_FUZZ_CHECK(vocab.find(word) == id);
        EMBEDKIT_FUZZ_CHECK(vocab.count(id) >= 0);
        if (sorted && i > 0) {
            const auto before = static_cast<embedkit::TokenId>(i - 1);
            EMBEDKIT_FUZZ_CHECK(vocab.count(before) > vocab.count(id) ||
                                (vocab.count(before) == vocab.count(id) && vocab.word(before) < word));
        }
        total += vocab.count(id);
    }
    EMBEDKIT_FUZZ_CHECK(total == vocab.total_count());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string bytes = embedkit::fuzz::as_string(data, size);
    std::istringstream file(bytes);
    Vocab loaded;
    if (embedkit::fuzz::accepts([&] { loaded = Vocab::load(file, "<fuzz>"); })) {
        check_vocab(loaded, false);
        EMBEDKIT_FUZZ_CHECK(loaded.total_tokens_seen() == loaded.total_count());
    }

    std::istringstream corpus(bytes);
    embedkit::VocabOptions options;
    options.min_count = 1;
    options.prune_at = 8;
    const Vocab built = Vocab::build(corpus, options);  // the tokenizer replaces bad UTF-8: never throws
    check_vocab(built, true);
    EMBEDKIT_FUZZ_CHECK(built.size() <= 8);
    EMBEDKIT_FUZZ_CHECK(built.total_tokens_seen() >= built.total_count());
    return 0;
}
