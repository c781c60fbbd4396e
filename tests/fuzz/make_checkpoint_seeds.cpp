// Writes the seed inputs of the checkpoint fuzz target: real checkpoints of tiny training runs on
// checkpoint_seed_corpus(), each stopped at its first progress report (10,000 words in).
//   cmake --build build-fuzz --target make_checkpoint_seeds
//   build-fuzz/bin/make_checkpoint_seeds tests/fuzz/corpus/checkpoint
// The files are committed; run it again after changing the runs or the checkpoint format.
#include "checkpoint_seed_run.hpp"

#include <embedkit/train/checkpoint.hpp>
#include <embedkit/models/fasttext.hpp>
#include <embedkit/models/word2vec.hpp>

#include <atomic>
#include <cstdio>
#include <exception>
#include <string>

using namespace embedkit;

namespace {

/// Options of a tiny run that stops (writing its checkpoint to `path`) at its first report.
Word2VecOptions tiny(const std::string& path, std::atomic<bool>& stop) {
    Word2VecOptions o;
    o.dim = 4;
    o.window = 3;
    o.negative = 3;
    o.epochs = 2;
    o.threads = 1;
    o.seed = 7;
    o.checkpoint.path = path;
    o.stop_requested = &stop;
    o.progress_interval = 0;
    o.progress = [&stop](const TrainingProgress&) {
        stop.store(true);
        return true;
    };
    return o;
}

/// Runs `train`, which must stop with `cancelled` after writing its checkpoint.
template <class Train>
void write_seed(const std::string& path, Train&& train) {
    try {
        train();
    } catch (const cancelled&) {
        std::printf("wrote %s\n", path.c_str());
        return;
    }
    throw std::runtime_error(path + ": the run finished without stopping");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    const fuzz::SeedCorpus& seed = fuzz::checkpoint_seed_corpus();
    const CorpusView corpus = seed.corpus.view();
    try {
        std::atomic<bool> stop{false};
        const std::string skipgram = dir + "/seed-skipgram.ckpt";
        write_seed(skipgram, [&] { (void)train_word2vec<float>(seed.vocab, corpus, tiny(skipgram, stop)); });

        stop = false;
        const std::string cbow_hs = dir + "/seed-cbow-hs.ckpt";
        Word2VecOptions o = tiny(cbow_hs, stop);
        o.architecture = Word2VecArchitecture::cbow;
        o.hierarchical_softmax = true;
        o.negative = 0;
        write_seed(cbow_hs, [&] { (void)train_word2vec<float>(seed.vocab, corpus, o); });

        stop = false;
        const std::string two_threads = dir + "/seed-two-threads.ckpt";
        o = tiny(two_threads, stop);
        o.threads = 2;
        o.shared_negatives = false;
        write_seed(two_threads, [&] { (void)train_word2vec<float>(seed.vocab, corpus, o); });

        stop = false;
        const std::string as_double = dir + "/seed-double.ckpt";
        o = tiny(as_double, stop);
        o.hierarchical_softmax = true;
        write_seed(as_double, [&] { (void)train_word2vec<double>(seed.vocab, corpus, o); });

        stop = false;
        const std::string fasttext = dir + "/seed-fasttext.ckpt";
        FastTextOptions ft;
        ft.word2vec = tiny(fasttext, stop);
        ft.minn = 2;
        ft.maxn = 3;
        ft.buckets = 64;
        write_seed(fasttext, [&] { (void)train_fasttext<float>(seed.vocab, corpus, ft); });
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_checkpoint_seeds: %s\n", e.what());
        return 1;
    }
    return 0;
}
