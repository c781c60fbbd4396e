// A downstream program: uses embedkit the way a user would after find_package(embedkit).
// It trains Word2Vec on a tiny planted corpus, writes and reads the vectors, and searches them.

#include <embedkit/embedkit.hpp>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>

int main() {
    using namespace embedkit;
    // Two topics: sentences use either fruit or vehicle words, never both.
    std::ostringstream text;
    detail::Rng rng(3);
    const char* fruit[] = {"apple", "pear", "plum", "fig"};
    const char* vehicle[] = {"car", "bus", "train", "bike"};
    for (int s = 0; s < 600; ++s) {
        const bool is_fruit = rng.below(2) == 0;
        for (int k = 0; k < 12; ++k) text << (is_fruit ? fruit : vehicle)[rng.below(4)] << ' ';
        text << '\n';
    }
    std::istringstream in(text.str());
    VocabOptions vocab_options;
    vocab_options.min_count = 1;
    const Vocab vocab = Vocab::build(in, vocab_options);
    std::istringstream again(text.str());
    const Corpus corpus = Corpus::encode(again, vocab);

    Word2VecOptions options;
    options.dim = 16;
    options.window = 3;
    options.sample = 0;
    options.threads = 1;
    const auto model = train_word2vec(vocab, corpus.view(), options);

    const auto path = (std::filesystem::temp_directory_path() / "embedkit_consumer.vec").string();
    write_word2vec(path, model.vectors());
    const WordVectors<float> vectors = read_word2vec(path);
    std::filesystem::remove(path);

    const TopKIndex<float> index(vectors.matrix(), Metric::cosine, 1);
    SearchOptions search;
    search.exclude = {vectors.at("apple")};
    const auto best = index.topk(vectors.matrix().row(vectors.at("apple")), 3, search);
    int fruit_hits = 0;
    for (const auto& n : best) {
        const std::string& w = vectors.word(n.id);
        fruit_hits += (w == "pear" || w == "plum" || w == "fig");
        std::printf("%s %.3f\n", w.c_str(), static_cast<double>(n.score));
    }
    if (fruit_hits != 3) {
        std::printf("embedkit consumer FAILED: the neighbours of apple are not the other fruit\n");
        return 1;
    }
    std::printf("embedkit consumer OK (embedkit %s)\n", EMBEDKIT_VERSION_STRING);
    return 0;
}
