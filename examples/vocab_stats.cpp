// Tokenise a corpus, count its vocabulary and print statistics and throughput.
//   example_vocab_stats [FILE] [MIN_COUNT]      (default: ../shared/data/text8-prefix, 5)

#include <embedkit/text/corpus.hpp>
#include <embedkit/text/vocab.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

int main(int argc, char** argv) {
    using namespace embedkit;
    const std::string path = argc > 1 ? argv[1] : std::string(EMBEDKIT_SHARED_DATA_DIR) + "/text8-prefix";
    VocabOptions options;
    options.min_count = argc > 2 ? std::atoll(argv[2]) : 5;
    try {
        const auto start = std::chrono::steady_clock::now();
        const Vocab vocab = Vocab::build_file(path, options);
        const auto counted = std::chrono::steady_clock::now();
        const Corpus corpus = Corpus::encode_file(path, vocab);
        const auto encoded = std::chrono::steady_clock::now();
        const double mb = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
        const double count_s = std::chrono::duration<double>(counted - start).count();
        const double encode_s = std::chrono::duration<double>(encoded - counted).count();
        std::printf("%s: %.1f MB, %lld tokens\n", path.c_str(), mb, static_cast<long long>(vocab.total_tokens_seen()));
        std::printf("vocabulary: %zu words with count >= %lld, covering %.2f%% of the tokens\n", vocab.size(),
                    static_cast<long long>(options.min_count),
                    100.0 * static_cast<double>(vocab.total_count()) / static_cast<double>(vocab.total_tokens_seen()));
        std::printf("corpus: %zu ids in %zu sentences\n", corpus.token_count(), corpus.sentence_count());
        std::printf("counting: %.2f s (%.0f MB/s); encoding: %.2f s (%.0f MB/s)\n", count_s, mb / count_s, encode_s,
                    mb / encode_s);
        std::printf("most frequent:");
        for (TokenId id = 0; id < 10 && static_cast<std::size_t>(id) < vocab.size(); ++id) {
            std::printf(" %s (%lld)", vocab.word(id).c_str(), static_cast<long long>(vocab.count(id)));
        }
        std::printf("\n");
    } catch (const error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
