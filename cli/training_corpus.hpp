#pragma once

// The vocabulary and the encoded corpus of a training input, with the CLI's checks and summary
// line: used by the count-based trainers (train --model glove|ppmi-svd) and by `cooccur`.

#include "input_file.hpp"

#include <embedkit/errors.hpp>
#include <embedkit/text/corpus.hpp>
#include <embedkit/text/vocab.hpp>

#include <fmt/core.h>

#include <cstdint>
#include <string>

namespace embedkit::cli {

struct TrainingCorpus {
    Vocab vocab;
    Corpus corpus;
};

/// Reads `input` (a path, or - for standard input) twice: counts the words (keeping those seen
/// at least min_count times), then encodes it, each line one sentence however long.
/// invalid_argument for an empty input or when no word reaches min_count; io_error when it
/// cannot be read. Prints the summary unless quiet.
[[nodiscard]] inline TrainingCorpus read_training_corpus(const std::string& input, std::int64_t min_count, bool quiet) {
    const InputFile file(input);
    VocabOptions options;
    options.min_count = min_count;
    TrainingCorpus t;
    t.vocab = Vocab::build_file(file.path(), options);
    if (t.vocab.total_tokens_seen() == 0) throw invalid_argument(input + ": the corpus is empty");
    if (t.vocab.empty()) {
        throw invalid_argument(input + ": no word occurs at least --min-count " + std::to_string(min_count) + " times");
    }
    // A line longer than the tokenizer's sentence cap stays one sentence: the co-occurrence
    // window crosses the cap as glove.c's does (text8 is a single line).
    TokenizerOptions lines;
    lines.join_split_lines = true;
    t.corpus = Corpus::encode_file(file.path(), t.vocab, lines);
    if (!quiet) {
        fmt::print(stderr, "corpus: {} tokens ({} in the vocabulary); vocabulary: {} words with count >= {}\n",
                   t.vocab.total_tokens_seen(), t.corpus.token_count(), t.vocab.size(), min_count);
    }
    return t;
}

}  // namespace embedkit::cli
