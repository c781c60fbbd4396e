// embedkit train --model skipgram|cbow: Word2Vec.

#include "input_file.hpp"
#include "progress_printer.hpp"
#include "train_command.hpp"

#include <embedkit/io/word2vec_format.hpp>
#include <embedkit/models/word2vec.hpp>
#include <embedkit/text/corpus.hpp>
#include <embedkit/text/vocab.hpp>

#include <fmt/core.h>

#include <chrono>
#include <memory>
#include <string>

namespace embedkit::cli {
namespace {

struct Word2VecArgs {
    int negative = 5;
    bool hs = false;
    double sample = 1e-3;
    bool cbow_sum = false;
    bool shared_negatives = true;
};

Word2VecArgs& word2vec_args() {
    static Word2VecArgs args;
    return args;
}

void run_word2vec(const TrainArgs& a) {
    const Word2VecArgs& w = word2vec_args();
    Word2VecOptions o;
    o.architecture = a.model == "cbow" ? Word2VecArchitecture::cbow
                                                                    : Word2VecArchitecture::skipgram;
    if (a.dim) o.dim = *a.dim;
    if (a.window) o.window = *a.window;
    if (a.epochs) o.epochs = *a.epochs;
    if (a.min_count) o.min_count = *a.min_count;
    o.lr = a.lr;
    o.negative = w.negative;
    o.hierarchical_softmax = w.hs;
    o.sample = w.sample;
    o.threads = a.threads;
    o.seed = a.seed;
    o.cbow_mean = !w.cbow_sum;
    o.shared_negatives = w.shared_negatives;
    validate(o);
    check_writable(a.output);
    check_writable(a.save_vocab);

    const auto start = std::chrono::steady_clock::now();
    const InputFile input(a.input);
    VocabOptions vocab_options;
    vocab_options.min_count = o.min_count;
    const Vocab vocab = Vocab::build_file(input.path(), vocab_options);
    if (vocab.total_tokens_seen() == 0) throw invalid_argument(a.input + ": the corpus is empty");
    if (vocab.size() == 0) {
        throw invalid_argument(a.input + ": no word occurs at least --min-count " + std::to_string(o.min_count) +
                               " times");
    }
    const Corpus corpus = Corpus::encode_file(input.path(), vocab);
    if (!a.quiet) {
        fmt::print(stderr, "corpus: {} tokens ({} in the vocabulary); vocabulary: {} words with count >= {}\n",
                   vocab.total_tokens_seen(), corpus.token_count(), vocab.size(), o.min_count);
    }
    auto printer = std::make_shared<ProgressPrinter>(a.model, a.quiet);
    o.progress = [printer](const TrainingProgress& p) { return (*printer)(p); };
    o.progress_interval = printer->interval();
    const VectorFormat format = a.format == "bin" ? VectorFormat::binary : VectorFormat::text;
    {
        const Word2VecModel<float> model = train_word2vec<float>(vocab, corpus.view(), o);
        write_word2vec(a.output, model.vectors(), format);
    }
    if (!a.save_vocab.empty()) vocab.save(a.save_vocab);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!a.quiet) {
        fmt::print(stderr, "done: {} tokens x {} epochs, {} words x {} dims in {:.1f} s; wrote {}\n",
                   corpus.token_count(), o.epochs, vocab.size(), o.dim, seconds, a.output);
    }
}

const RegisterTrainModel registration{TrainModel{
    {"skipgram", "cbow"},
    "Word2Vec skip-gram or CBOW",
    [](CLI::App& cmd) {
        Word2VecArgs& w = word2vec_args();
        cmd.add_option("--negative", w.negative, "Word2Vec: negative samples per prediction (0: none)")
            ->capture_default_str();
        cmd.add_flag("--hs", w.hs, "Word2Vec: hierarchical softmax (alone with --negative 0, or with it)");
        cmd.add_option("--sample", w.sample, "Word2Vec: subsampling threshold for frequent words (0: off)")
            ->capture_default_str();
        cmd.add_flag("--cbow-sum", w.cbow_sum, "Word2Vec CBOW: sum the context vectors instead of averaging");
        cmd.add_flag("--shared-negatives,!--no-shared-negatives", w.shared_negatives,
                     "Skip-gram: one set of negatives per centre word, shared by its context words (default; "
                     "--no-shared-negatives draws a set per pair as word2vec.c does)");
    },
    run_word2vec,
}};

}  // namespace
}  // namespace embedkit::cli
