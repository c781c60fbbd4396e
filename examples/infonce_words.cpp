// Word vectors learned with InfoNCE from (word, context) pairs drawn from text8-prefix windows,
// next to skip-gram with negative sampling trained on the same corpus in the same run, both
// evaluated on WordSim-353 (Spearman) and the Google analogy set (3CosAdd, 30,000 most frequent
// words). Skips (exit 0) when ../shared/data is missing.
// Run: build/bin/example_infonce_words [infonce epochs, default 3]

#include <embedkit/eval/analogy_eval.hpp>
#include <embedkit/eval/similarity_eval.hpp>
#include <embedkit/models/pair_trainer.hpp>
#include <embedkit/models/word2vec.hpp>
#include <embedkit/text/corpus.hpp>
#include <embedkit/text/pair_set.hpp>
#include <embedkit/text/vocab.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Process CPU time (all threads): comparable between runs on a busy machine, unlike wall time.
double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

struct Scores {
    double seconds = 0;
    double cpu = 0;
    embedkit::SimilarityEvalResult ws353;
    embedkit::AnalogyEvalResult analogies;
};

Scores evaluate(const embedkit::WordVectors<float>& vectors, const std::string& eval_dir, double seconds, double cpu) {
    Scores s;
    s.seconds = seconds;
    s.cpu = cpu;
    s.ws353 = embedkit::evaluate_word_pairs(vectors, eval_dir + "/ws353.txt");
    s.analogies = embedkit::evaluate_analogies(vectors, eval_dir + "/questions-words.txt");
    return s;
}

void print_row(const char* name, const Scores& s) {
    std::printf("| %-34s | %6.1f s | %6.1f s | %.3f (%zu/%zu) | %5.1f%% | %5.1f%% | %5.1f%% | %zu |\n", name, s.seconds, s.cpu,
                s.ws353.spearman, s.ws353.found, s.ws353.total, 100 * s.analogies.overall.accuracy(),
                100 * s.analogies.semantic.accuracy(), 100 * s.analogies.syntactic.accuracy(),
                s.analogies.overall.answered);
}

}  // namespace

int main(int argc, char** argv) try {
    using namespace embedkit;
    const std::string data = EMBEDKIT_SHARED_DATA_DIR;
    const std::string text = data + "/text8-prefix";
    const std::string eval_dir = data + "/eval";
    if (!std::filesystem::exists(text) || !std::filesystem::exists(eval_dir + "/ws353.txt") ||
        !std::filesystem::exists(eval_dir + "/questions-words.txt")) {
        std::printf("skipped: %s or the evaluation sets are missing\n", text.c_str());
        return 0;
    }
    const int infonce_epochs = argc > 1 ? std::stoi(argv[1]) : 3;

    VocabOptions vocab_options;
    vocab_options.min_count = 5;
    const Vocab vocab = Vocab::build_file(text, vocab_options);
    const Corpus corpus = Corpus::encode_file(text, vocab);
    std::printf("text8-prefix: %zu tokens, %zu words with count >= 5\n", corpus.token_count(), vocab.size());

    // Skip-gram with negative sampling, the data README's reference settings.
    Word2VecOptions sg;
    sg.dim = 100;
    sg.window = 5;
    sg.negative = 5;
    sg.sample = 1e-4;
    sg.epochs = 5;
    auto start = Clock::now();
    double cpu_start = cpu_seconds();
    const Word2VecModel<float> skipgram = train_word2vec<float>(vocab, corpus.view(), sg);
    const double sg_seconds = seconds_since(start);
    const double sg_cpu = cpu_seconds() - cpu_start;
    const Scores sg_scores = evaluate(skipgram.vectors(), eval_dir, sg_seconds, sg_cpu);

    // InfoNCE: the same windows as pairs (dynamic window 5, subsampling 1e-4), two towers (word
    // and context vectors, like word2vec's input and output vectors), each pair scored against the
    // other 63 contexts of its mini-batch (a 64 x 64 product) with the dot product.
    start = Clock::now();
    cpu_start = cpu_seconds();
    WindowPairsOptions windows;
    windows.window = 5;
    windows.sample = 1e-4;
    const PairSet pairs = window_pairs(vocab, corpus.view(), windows);
    PairTrainerOptions o;
    o.loss = PairLoss::infonce;
    o.infonce.similarity = Similarity::dot;
    o.infonce.temperature = 1.0;
    o.dim = 100;
    o.batch_size = 64;
    o.epochs = infonce_epochs;
    o.two_tower = true;
    o.optimizer = PairOptimizer::sgd;
    o.lr = 0.025;
    const PairModel<float> infonce = train_pairs<float>(pairs, o);
    const double infonce_seconds = seconds_since(start);
    const double infonce_cpu = cpu_seconds() - cpu_start;
    const Scores infonce_scores = evaluate(infonce.vectors(), eval_dir, infonce_seconds, infonce_cpu);
    std::printf("InfoNCE: %zu pairs per epoch; mean loss per pair by epoch:", pairs.size());
    for (const double l : infonce.epoch_loss) std::printf(" %.3f", l);
    std::printf("\n\n");

    std::printf("| model (dim 100, window 5, sample 1e-4) | train (wall) | train (CPU) | WS353 Spearman (found) | analogy | "
                "semantic | syntactic | answered |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    print_row("skip-gram, 5 negatives, 5 epochs", sg_scores);
    const std::string name = "InfoNCE in-batch (64), " + std::to_string(infonce_epochs) + " epochs";
    print_row(name.c_str(), infonce_scores);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
}
