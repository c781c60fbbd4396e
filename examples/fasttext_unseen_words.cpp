// Train fastText's subword skip-gram through the library API, then ask for words it never saw:
// their vectors come from their character n-grams alone.
//   example_fasttext_unseen_words [FILE] [EPOCHS]   (default: ../shared/data/text8-prefix, 5)

#include <embedkit/models/fasttext.hpp>
#include <embedkit/search/topk_index.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
    using namespace embedkit;
    const std::string path = argc > 1 ? argv[1] : std::string(EMBEDKIT_SHARED_DATA_DIR) + "/text8-prefix";
    try {
        FastTextOptions options;
        options.word2vec.sample = 1e-4;
        options.word2vec.epochs = argc > 2 ? std::atoi(argv[2]) : 5;
        options.word2vec.progress_interval = 5.0;
        options.word2vec.progress = [](const TrainingProgress& p) {
            std::printf("  %5.1f%%  %.0f words/s/thread  loss %.3f\n", 100 * p.fraction, p.words_per_sec_per_thread,
                        p.loss);
            return true;
        };
        const FastTextModel<float> model = train_fasttext_file<float>(path, options);
        std::printf("%zu words, %zu of %lld n-gram buckets trained\n", model.vocab().size(),
                    model.stored_buckets().size(), static_cast<long long>(model.subwords().buckets));

        const WordVectors<float> vectors = model.vectors();
        const TopKIndex<float> index(vectors.matrix(), Metric::cosine);
        // Misspellings and inflections that are (most likely) not in the vocabulary.
        for (const char* word : {"computerized", "kingdoms", "goverment", "philosophically", "unfrenchlike"}) {
            const bool seen = model.vocab().find(word).has_value();
            if (!model.knows(word)) {
                std::printf("%s: no trained n-gram, no vector\n", word);
                continue;
            }
            std::printf("%s (%s):", word, seen ? "in the vocabulary" : "unseen");
            for (const auto& n : index.topk(model.word_vector(word), 5)) {
                std::printf(" %s %.2f", vectors.word(n.id).c_str(), static_cast<double>(n.score));
            }
            std::printf("\n");
        }
    } catch (const error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
