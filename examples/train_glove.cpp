// Count co-occurrences once, then train GloVe and PPMI-SVD on the same matrix through the
// library API, and compare their nearest neighbours.
//   example_train_glove [FILE]      (default: ../shared/data/text8-prefix)

#include <embedkit/models/cooccurrence.hpp>
#include <embedkit/models/glove.hpp>
#include <embedkit/models/ppmi_svd.hpp>
#include <embedkit/search/topk_index.hpp>

#include <cstdio>
#include <string>

namespace {

// The 4 nearest neighbours of `word` by cosine, or "(not in the vocabulary)".
std::string neighbours(const embedkit::WordVectors<float>& vectors, const char* word) {
    using namespace embedkit;
    const auto id = vectors.find(word);
    if (!id) return " (not in the vocabulary)";
    const TopKIndex<float> index(vectors.matrix(), Metric::cosine);
    SearchOptions search;
    search.exclude = {*id};
    std::string out;
    for (const auto& n : index.topk(vectors.matrix().row(*id), 4, search)) out += " " + vectors.word(n.id);
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace embedkit;
    const std::string path = argc > 1 ? argv[1] : std::string(EMBEDKIT_SHARED_DATA_DIR) + "/text8-prefix";
    try {
        VocabOptions vocab_options;
        vocab_options.min_count = 5;
        const Vocab vocab = Vocab::build_file(path, vocab_options);
        TokenizerOptions lines;
        lines.join_split_lines = true;  // count across the tokenizer's 1000-token cut, as glove.c
        const Corpus corpus = Corpus::encode_file(path, vocab, lines);

        // Window 10, 1/d weighting; at most 256 MiB of counting tables, spilling to /tmp past that.
        CooccurrenceOptions counting;
        counting.memory_mb = 256;
        const CooccurrenceMatrix matrix = count_cooccurrences(vocab, corpus.view(), counting);
        std::printf("%zu words, %zu stored cells, %llu spilled runs, %.1f s\n", matrix.rows(), matrix.entries().size(),
                    static_cast<unsigned long long>(matrix.stats().spilled_runs), matrix.stats().seconds);

        GloveOptions glove;
        glove.x_max = 10;  // small corpora learn faster with a small x_max (docs/glove.md)
        glove.progress_interval = 1e9;  // so: one report per epoch
        glove.progress = [](const TrainingProgress& p) {
            std::printf("  epoch %d  cost %.4f  %.0f cells/s/thread\n", p.epoch + 1, p.loss, p.words_per_sec_per_thread);
            return true;
        };
        const WordVectors<float> glove_vectors = train_glove(matrix, glove).vectors();  // W + W~

        // PPMI-SVD counts with a window of 5 by default; here it reuses the window-10 matrix.
        const WordVectors<float> svd_vectors = train_ppmi_svd(matrix).vectors();  // U Sigma^0.5

        for (const char* word : {"king", "paris", "computer", "three"}) {
            std::printf("%s\n  GloVe:   %s\n  PPMI-SVD:%s\n", word, neighbours(glove_vectors, word).c_str(),
                        neighbours(svd_vectors, word).c_str());
        }
    } catch (const error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
