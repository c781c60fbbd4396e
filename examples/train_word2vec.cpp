// Train skip-gram on a corpus through the library API, then query the vectors.
//   example_train_word2vec [FILE]      (default: ../shared/data/text8-prefix)

#include <embedkit/models/word2vec.hpp>
#include <embedkit/search/analogy.hpp>
#include <embedkit/search/topk_index.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    using namespace embedkit;
    const std::string path = argc > 1 ? argv[1] : std::string(EMBEDKIT_SHARED_DATA_DIR) + "/text8-prefix";
    try {
        VocabOptions vocab_options;
        vocab_options.min_count = 5;
        const Vocab vocab = Vocab::build_file(path, vocab_options);
        const Corpus corpus = Corpus::encode_file(path, vocab);

        Word2VecOptions options;
        options.architecture = Word2VecArchitecture::skipgram;
        options.sample = 1e-4;
        options.progress_interval = 5.0;
        options.progress = [](const TrainingProgress& p) {
            std::printf("  %5.1f%%  %.0f words/s/thread  loss %.3f\n", 100 * p.fraction, p.words_per_sec_per_thread,
                        p.loss);
            return true;
        };
        const Word2VecModel<float> model = train_word2vec(vocab, corpus.view(), options);
        const WordVectors<float> vectors = model.vectors();

        const TopKIndex<float> index(vectors.matrix(), Metric::cosine);
        for (const char* word : {"king", "paris", "computer", "three"}) {
            const auto id = vectors.find(word);
            if (!id) continue;
            SearchOptions search;
            search.exclude = {*id};
            std::printf("%s:", word);
            for (const auto& n : index.topk(vectors.matrix().row(*id), 5, search)) {
                std::printf(" %s %.2f", vectors.word(n.id).c_str(), static_cast<double>(n.score));
            }
            std::printf("\n");
        }
        const AnalogySolver<float> solver(vectors);
        const auto answer = solver.solve("man", "king", "woman", 3);
        std::printf("man : king :: woman :");
        for (const auto& n : answer) std::printf(" %s", vectors.word(n.id).c_str());
        std::printf("\n");
    } catch (const error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
