// embedkit train --model skipgram|cbow: Word2Vec; --model fasttext|fasttext-cbow: fastText (Word2Vec
// with character n-gram subwords), which shares Word2Vec's flags and adds --minn --maxn --buckets
// --save-model.

#include "input_file.hpp"
#include "mpi_world.hpp"
#include "progress_printer.hpp"
#include "setting_flags.hpp"
#include "stop_signals.hpp"
#include "train_command.hpp"
#include "training_corpus.hpp"

#include <embedkit/train/checkpoint.hpp>
#include <embedkit/io/word2vec_format.hpp>
#include <embedkit/models/fasttext.hpp>
#include <embedkit/models/word2vec.hpp>
#include <embedkit/text/corpus.hpp>
#include <embedkit/text/vocab.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace embedkit::cli {
namespace {

struct Word2VecArgs {
    int negative = 5;
    bool hs = false;
    double sample = 1e-3;
    bool cbow_sum = false;
    bool shared_negatives = true;
    std::optional<double> negative_power;
    SyncFlags sync;
};

Word2VecArgs& word2vec_args() {
    static Word2VecArgs args;
    return args;
}

struct FastTextArgs {
    std::optional<int> minn;
    std::optional<int> maxn;
    std::optional<std::int64_t> buckets;
    std::string save_model;
    std::optional<bool> gensim_input_scale;
    bool update_per_prediction = false;
};

FastTextArgs& fasttext_args() {
    static FastTextArgs args;
    return args;
}

bool is_fasttext(const std::string& model) { return model == "fasttext" || model == "fasttext-cbow"; }

CorpusStorage corpus_storage(const TrainArgs& a) {
    return a.stream ? CorpusStorage::stream : a.in_memory ? CorpusStorage::memory : CorpusStorage::automatic;
}

/// Where the run writes checkpoints: --checkpoint (or, when resuming without it, the checkpoint
/// it resumed from), every --checkpoint-every seconds (default 600).
CheckpointOptions checkpoint_options(const TrainArgs& a) {
    CheckpointOptions c;
    c.path = !a.checkpoint.empty() ? a.checkpoint : a.resume;
    if (!c.path.empty()) c.every_seconds = a.checkpoint_every.value_or(600.0);
    return c;
}

/// Trains (or resumes) with the stop flag of SIGINT/SIGTERM (a StopOnSignals must be alive). A
/// run stopped by a signal writes no output, says where its checkpoint is, and exits with 128 +
/// the signal number; so does one stopped before its training began.
template <class Train>
auto run_stoppable(const TrainArgs& a, const CheckpointOptions& checkpoint, Train&& train) {
    const bool leader = MpiWorld::instance().leader();
    if (StopOnSignals::stopped()) {
        if (leader) fmt::print(stderr, "embedkit: interrupted before training began\n");
        throw Exit{StopOnSignals::exit_status()};
    }
    try {
        return train(StopOnSignals::flag());
    } catch (const cancelled&) {
        if (!StopOnSignals::stopped()) throw;
        if (!leader) {
            // Rank 0 says it for the job.
        } else if (!checkpoint.path.empty()) {
            fmt::print(stderr,
                       "embedkit: interrupted; the training state is saved in {}\n"
                       "continue with: embedkit train --resume {} --input {} --output {}\n",
                       checkpoint.path, checkpoint.path, a.input, a.output);
        } else {
            fmt::print(stderr, "embedkit: interrupted (no --checkpoint: nothing saved)\n");
        }
        throw Exit{StopOnSignals::exit_status()};
    }
}

/// Writes the vectors (and the model, for fastText) and the summary. A Word2Vec model's input
/// vectors are moved into the written vectors, not copied.
template <class Model>
void write_leader_outputs(const TrainArgs& a, Model& model, const Vocab& vocab, std::size_t tokens, int epochs, int dim,
                          std::chrono::steady_clock::time_point start) {
    const VectorFormat format = a.format == "bin" ? VectorFormat::binary : VectorFormat::text;
    if constexpr (std::is_same_v<Model, FastTextModel<float>>) {
        write_word2vec(a.output, model.vectors(a.threads), format);
        const std::string& save_model = fasttext_args().save_model;
        if (!save_model.empty()) model.save(save_model);
        if (!a.quiet) {
            fmt::print(stderr, "n-grams: {}..{} characters, {} of {} buckets used\n", model.subwords().minn,
                       model.subwords().maxn, model.stored_buckets().size(), model.subwords().buckets);
        }
    } else {
        write_word2vec(a.output, std::move(model).vectors(), format);
    }
    if (!a.save_vocab.empty()) vocab.save(a.save_vocab);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!a.quiet) {
        fmt::print(stderr, "done: {} tokens x {} epochs, {} words x {} dims in {:.1f} s; wrote {}\n", tokens,
                   epochs, vocab.size(), dim, seconds, a.output);
    }
}

template <class Model>
void write_outputs(const TrainArgs& a, Model& model, const Vocab& vocab, std::size_t tokens, int epochs, int dim,
                   std::chrono::steady_clock::time_point start) {
    // Under mpirun every rank ends with the same model; rank 0 writes it, and when that fails
    // every rank ends with its message.
    MpiWorld& world = MpiWorld::instance();
    world.together([&] {
        if (world.leader()) write_leader_outputs(a, model, vocab, tokens, epochs, dim, start);
    });
}

/// The options a run of `a` trains with, built from the flags as a fresh run builds them (`fasttext`
/// only for --model fasttext|fasttext-cbow). A resumed run compares them with its checkpoint's.
struct RunOptions {
    Word2VecOptions word2vec;
    FastTextOptions fasttext;
};

RunOptions run_options(const TrainArgs& a) {
    const Word2VecArgs& w = word2vec_args();
    RunOptions r;
    Word2VecOptions& o = r.word2vec;
    o.architecture = a.model == "cbow" || a.model == "fasttext-cbow" ? Word2VecArchitecture::cbow
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
    o.negative_power = w.negative_power;
    o.checkpoint = checkpoint_options(a);
    validate(o);
    const FastTextArgs& f = fasttext_args();
    if (is_fasttext(a.model)) {
        FastTextOptions& ft = r.fasttext;
        ft.word2vec = o;
        if (f.minn) ft.minn = *f.minn;
        if (f.maxn) ft.maxn = *f.maxn;
        if (f.buckets) ft.buckets = *f.buckets;
        if (f.gensim_input_scale) ft.gensim_input_scale = *f.gensim_input_scale;
        ft.update_per_prediction = f.update_per_prediction;
        validate(ft);
    } else if (f.minn || f.maxn || f.buckets || !f.save_model.empty() || f.gensim_input_scale ||
               f.update_per_prediction) {
        throw invalid_options(
            "--minn, --maxn, --buckets, --save-model, --gensim-input-scale and --update-per-prediction apply only to "
            "--model fasttext|fasttext-cbow");
    }
    return r;
}

/// The settings a checkpoint of a run with these options holds (the library's own lists).
Settings checkpoint_settings(const RunOptions& r, bool fasttext) {
    return fasttext ? detail::fasttext_settings(r.fasttext) : detail::word2vec_settings(r.word2vec);
}

/// A setting's value as the flag would say it: reals in decimal (checkpoints hold them in hex).
std::string flag_value(const SettingFlag& f, const std::string& setting) {
    switch (f.kind) {
    case SettingFlag::real: {
        char* end = nullptr;
        const double x = std::strtod(setting.c_str(), &end);
        return setting.empty() || *end != '\0' ? setting : fmt::format("{}", x);
    }
    case SettingFlag::on:
    case SettingFlag::off:
        return (setting == "1") == (f.kind == SettingFlag::on) ? f.flag : f.absent;
    case SettingFlag::integer:
        break;
    }
    return setting;
}

/// The --model name of the run a checkpoint holds.
std::string checkpoint_model(const Checkpoint<float>& header, const std::string& path) {
    const bool cbow = header.setting("architecture", path) == "cbow";
    if (header.model == "fasttext") return cbow ? "fasttext-cbow" : "fasttext";
    return cbow ? "cbow" : "skipgram";
}

/// A resumed run keeps the options of its checkpoint: the flags that set one may be given (the
/// same command line again) but only with the checkpoint's values; invalid_options names every
/// flag that differs, with both values. The thread count is one of them: a resumed run uses the
/// checkpoint's.
void check_resume_flags(const TrainArgs& a, const Checkpoint<float>& header) {
    // What a checkpoint does not hold, and so may be given anew (--model is compared below).
    static const std::set<std::string> not_saved = {
        "--model",  "--input",  "--output", "--format", "--save-vocab", "--save-model", "--checkpoint",
        "--checkpoint-every", "--resume", "--quiet", "-q", "--stream", "--in-memory", "--temp-dir", "--sync-words", "--full-sync-words", "--sync-rows", "--sync-merge", "--sync-settling",
        "--sync-precision"};
    const std::string model = checkpoint_model(header, a.resume);
    std::vector<std::string> differences;
    if (a.given.count("--model") > 0 && a.model != model) {
        differences.push_back("--model: the checkpoint was trained with " + model + ", the command line says " +
                              a.model);
    }
    const auto refuse = [&a, &differences] {
        std::string message = a.resume + ": a resumed run keeps the checkpoint's options; leave these out or give its values:";
        for (const std::string& d : differences) message += "\n  " + d;
        return invalid_options(message);
    };
    // The flags of fastText against a Word2Vec run (or back) compare nothing.
    if (!differences.empty() && is_fasttext(a.model) != is_fasttext(model)) throw refuse();
    if (!is_fasttext(model) && !fasttext_args().save_model.empty()) {
        throw invalid_options("--save-model: " + a.resume + " is a checkpoint of a word2vec run, not fastText");
    }
    for (const std::string& flag : a.given) {
        const bool sets_a_setting = std::any_of(std::begin(kSettingFlags), std::end(kSettingFlags),
                                                [&flag](const SettingFlag& f) { return flag == f.flag; });
        if (!sets_a_setting && not_saved.count(flag) == 0) {
            throw invalid_options(flag + " does not apply to --model " + model + ", the model of the checkpoint " +
                                  a.resume);
        }
    }
    TrainArgs fresh = a;
    fresh.model = model;
    const Settings given = checkpoint_settings(run_options(fresh), is_fasttext(model));
    for (const SettingFlag& f : kSettingFlags) {
        if (a.given.count(f.flag) == 0) continue;
        const std::string& saved = header.setting(f.key, a.resume);
        const auto it = std::find_if(given.begin(), given.end(), [&f](const auto& s) { return s.first == f.key; });
        if (it == given.end() || it->second == saved) continue;
        std::string says = flag_value(f, it->second);
        if (f.key == std::string("threads") && a.threads == 0) says = "0 (all " + says + " cores)";
        differences.push_back(std::string(f.flag) + ": the checkpoint was trained with " + flag_value(f, saved) +
                              ", the command line says " + says);
    }
    if (!differences.empty()) throw refuse();
}

/// Under mpirun every rank reads its own part of --input: it must be a file.
void check_splittable(const TrainArgs& a) {
    if (a.input == "-") {
        throw invalid_options("--input -: standard input cannot be split across MPI ranks; give a file every rank can read");
    }
}

/// This rank's part of --input, encoded with `vocab` (a distributed run; every rank fails when
/// one cannot read its part).
EncodedCorpus encode_part(const TrainArgs& a, const Vocab& vocab) {
    MpiWorld& world = MpiWorld::instance();
    check_splittable(a);
    return world.together([&] {
        return EncodedCorpus(a.input, vocab, corpus_storage(a), a.temp_dir, {}, world.part(a.input), world.size());
    });
}

/// Fails now if an output cannot be written later; under mpirun rank 0 writes them and checks,
/// and every rank stops with its message.
void check_outputs_writable(const TrainArgs& a, const std::string& save_model, const std::string& checkpoint) {
    MpiWorld& world = MpiWorld::instance();
    world.together([&] {
        if (!world.leader()) return;
        check_writable(a.output);
        check_writable(a.save_vocab);
        check_writable(save_model);
        check_writable(checkpoint);
    });
}

/// The corpus of a fresh run: the whole input alone; under mpirun the vocabulary counted by all
/// ranks and this rank's part of the input (rank 0 prints the summary).
TrainingCorpus read_corpus(const TrainArgs& a, std::int64_t min_count) {
    MpiWorld& world = MpiWorld::instance();
    if (!world.distributed()) return read_training_corpus(a.input, min_count, a.quiet, corpus_storage(a), a.temp_dir);
    check_splittable(a);
    TrainingCorpus t;
    VocabOptions options;
    options.min_count = min_count;
    t.vocab = world.vocab(a.input, options);
    if (t.vocab.total_tokens_seen() == 0) throw invalid_argument(a.input + ": the corpus is empty");
    if (t.vocab.empty()) {
        throw invalid_argument(a.input + ": no word occurs at least --min-count " + std::to_string(min_count) + " times");
    }
    t.corpus = encode_part(a, t.vocab);
    if (!a.quiet && world.leader()) {
        fmt::print(stderr, "corpus: {} tokens ({} in the vocabulary) split across {} ranks, {} on rank 0; vocabulary: {} words with count >= {}\n",
                   t.vocab.total_tokens_seen(), t.vocab.total_count(), world.size(), t.corpus.token_count(), t.vocab.size(), min_count);
        print_corpus_storage(t.corpus);
    }
    return t;
}

/// --resume FILE: the options, vocabulary and state come from the checkpoint; the corpus is
/// --input again, encoded with the checkpoint's vocabulary (in memory or streamed: the ids, and
/// so the corpus fingerprint, are the same).
void resume_run(const TrainArgs& a) {
    MpiWorld& world = MpiWorld::instance();
    const StopOnSignals signals;
    const Checkpoint<float> header = read_checkpoint<float>(a.resume, /*header_only=*/true);
    check_resume_flags(a, header);
    const bool fasttext = header.model == "fasttext";
    check_outputs_writable(a, fasttext_args().save_model, a.checkpoint);
    const auto start = std::chrono::steady_clock::now();
    const Vocab vocab = read_checkpoint_vocab(a.resume);
    const EncodedCorpus corpus = world.distributed() ? encode_part(a, vocab) : [&] {
        const InputFile input(a.input);
        return EncodedCorpus(input.path(), vocab, corpus_storage(a), a.temp_dir);
    }();
    const std::unique_ptr<Peers> peers = world.peers(word2vec_args().sync);
    const int epochs = std::stoi(header.setting("epochs", a.resume));
    const bool quiet = a.quiet || !world.leader();
    if (!quiet) {
        print_corpus_storage(corpus);
        fmt::print(stderr, "resuming {} from {}: {} tokens done ({} epochs){}\n", header.model, a.resume,
                   header.state.processed, epochs,
                   world.distributed() ? fmt::format(" on {} ranks", world.size()) : "");
    }
    auto printer = std::make_shared<ProgressPrinter>(fasttext ? "fasttext" : "word2vec", quiet);
    ResumeOptions r;
    r.progress = [printer](const TrainingProgress& p) { return (*printer)(p); };
    r.progress_interval = printer->interval();
    r.checkpoint = checkpoint_options(a);
    r.peers = peers.get();
    run_stoppable(a, r.checkpoint, [&](const std::atomic<bool>* stop) {
        r.stop_requested = stop;
        if (fasttext) {
            auto model = resume_fasttext<float>(a.resume, corpus.view(), r);
            write_outputs(a, model, vocab, corpus.token_count(), epochs, static_cast<int>(model.dim()), start);
        } else {
            auto model = resume_word2vec<float>(a.resume, corpus.view(), r);
            const Word2VecOptions options = model.options;
            write_outputs(a, model, vocab, corpus.token_count(), options.epochs, options.dim, start);
        }
        print_peer_traffic(peers.get(), quiet);
        return 0;
    });
}

/// "1.2M tokens", "850k tokens".
std::string token_count_text(std::int64_t tokens) {
    if (tokens >= 1'000'000) return fmt::format("{:.1f}M tokens", static_cast<double>(tokens) / 1e6);
    return fmt::format("{}k tokens", (tokens + 500) / 1000);
}

/// Says which of the run's settings the corpus size chose, since the flags left them unset
/// (docs/word2vec.md, "Defaults by corpus size").
void print_size_defaults(const RunOptions& r, bool fasttext, std::int64_t tokens) {
    const std::string size = token_count_text(tokens);
    if (!r.word2vec.lr) {
        fmt::print(stderr, "lr {:g} chosen for a corpus of {} (--lr sets it)\n", r.word2vec.initial_lr(tokens), size);
    }
    if (!fasttext) return;
    const FastTextOptions ft = detail::fasttext_resolved(r.fasttext, tokens);
    const bool small = tokens < kFastTextSmallCorpusTokens;
    if (!r.fasttext.word2vec.negative_power) {
        fmt::print(stderr, "negatives from unigram^{:g} chosen for a corpus of {} ({} {}; --negative-power sets it)\n",
                   *ft.word2vec.negative_power, size, small ? "below" : "at least",
                   token_count_text(kFastTextSmallCorpusTokens));
    }
    if (!r.fasttext.gensim_input_scale && ft.word2vec.architecture == Word2VecArchitecture::skipgram) {
        fmt::print(stderr, "{} chosen for a corpus of {} (--gensim-input-scale / --no-gensim-input-scale set it)\n",
                   *ft.gensim_input_scale ? "gensim's input scale" : "the mean of the rows as input", size);
    }
}

void run_word2vec(const TrainArgs& a) {
    if (!a.resume.empty()) return resume_run(a);
    const StopOnSignals signals;
    RunOptions options = run_options(a);
    Word2VecOptions& o = options.word2vec;
    FastTextOptions& ft = options.fasttext;
    const FastTextArgs& f = fasttext_args();
    check_outputs_writable(a, f.save_model, o.checkpoint.path);

    const auto start = std::chrono::steady_clock::now();
    const TrainingCorpus training = read_corpus(a, o.min_count);
    const Vocab& vocab = training.vocab;
    const EncodedCorpus& corpus = training.corpus;
    if (!a.quiet && MpiWorld::instance().leader()) print_size_defaults(options, is_fasttext(a.model), vocab.total_count());
    const std::unique_ptr<Peers> peers = MpiWorld::instance().peers(word2vec_args().sync);
    o.peers = peers.get();
    ft.word2vec.peers = peers.get();
    auto printer = std::make_shared<ProgressPrinter>(a.model, a.quiet || !MpiWorld::instance().leader());
    o.progress = [printer](const TrainingProgress& p) { return (*printer)(p); };
    o.progress_interval = printer->interval();
    run_stoppable(a, o.checkpoint, [&](const std::atomic<bool>* stop) {
        o.stop_requested = stop;
        if (is_fasttext(a.model)) {
            ft.word2vec.progress = o.progress;
            ft.word2vec.progress_interval = o.progress_interval;
            ft.word2vec.stop_requested = stop;
            FastTextModel<float> model = train_fasttext<float>(vocab, corpus.view(), ft);
            write_outputs(a, model, vocab, corpus.token_count(), o.epochs, o.dim, start);
        } else {
            Word2VecModel<float> model = train_word2vec<float>(vocab, corpus.view(), o);
            write_outputs(a, model, vocab, corpus.token_count(), o.epochs, o.dim, start);
        }
        print_peer_traffic(peers.get(), a.quiet);
        return 0;
    });
}

const RegisterTrainModel registration{TrainModel{
    {"skipgram", "cbow", "fasttext", "fasttext-cbow"},
    "Word2Vec skip-gram or CBOW; fastText (the same with character n-grams)",
    [](CLI::App& cmd) {
        Word2VecArgs& w = word2vec_args();
        cmd.add_option("--negative", w.negative, "Word2Vec: negative samples per prediction (0: none)")
            ->capture_default_str();
        cmd.add_flag("--hs", w.hs, "Word2Vec: hierarchical softmax (alone with --negative 0, or with it)");
        cmd.add_option("--sample", w.sample, "Word2Vec: subsampling threshold for frequent words (0: off)")
            ->capture_default_str();
        applies_to(cmd.add_flag("--cbow-sum", w.cbow_sum, "Word2Vec CBOW: sum the context vectors instead of averaging"),
                   {"cbow", "fasttext-cbow"});
        // fastText's composed inputs never share negatives; with --maxn 0 its inputs are plain words and do.
        applies_to(cmd.add_flag("--shared-negatives,!--no-shared-negatives", w.shared_negatives,
                                "Skip-gram: one set of negatives per centre word, shared by its context words (default; "
                                "--no-shared-negatives draws a set per pair as word2vec.c does)"),
                   {"skipgram", "fasttext"});
        cmd.add_option("--sync-words", w.sync.sync_words,
                       "Under mpirun: words all ranks train between two meetings, where they merge the --sync-rows "
                       "most frequent rows of each matrix (a resumed run needs the same value)")
            ->capture_default_str();
        cmd.add_option("--full-sync-words", w.sync.full_sync_words,
                       "Under mpirun: words all ranks train between two merges of every row (0: every meeting)")
            ->capture_default_str();
        cmd.add_option("--sync-rows", w.sync.frequent_rows,
                       "Under mpirun: the frequent rows merged at every meeting (0: every row at every meeting)")
            ->capture_default_str();
        cmd.add_option("--sync-merge", w.sync.merge,
                       "Under mpirun: how the ranks' changes to a row merge: mixed (summed where the ranks' copies of "
                       "the row were still learning, averaged where they settled: docs/distributed.md), sum (as "
                       "Hogwild threads) or mean")
            ->check(CLI::IsMember({"mixed", "mean", "sum"}))
            ->capture_default_str();
        cmd.add_option("--sync-settling", w.sync.settling,
                       "Under mpirun, with --sync-merge mixed: how fast the copies of the most frequent row settle "
                       "over 62,500 words a rank reads (larger: more rows averaged; smaller: more summed)")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        cmd.add_option("--sync-precision", w.sync.precision,
                       "Under mpirun: the precision of the changes the ranks send: bf16 (2 bytes a value) or float")
            ->check(CLI::IsMember({"bf16", "float"}))
            ->capture_default_str();
        cmd.add_option("--negative-power", w.negative_power,
                       "Word2Vec: draw negatives in proportion to count^this (default 0.75 as word2vec.c and gensim; "
                       "fasttext models: 0.75 below 10M tokens, 0.5 as fastText from there)");
        FastTextArgs& f = fasttext_args();
        const std::vector<std::string> fasttext = {"fasttext", "fasttext-cbow"};
        applies_to(cmd.add_option("--minn", f.minn, "fastText: shortest character n-gram (default 3)"), fasttext);
        applies_to(cmd.add_option("--maxn", f.maxn, "fastText: longest character n-gram (default 6; 0: no n-grams)"),
                   fasttext);
        applies_to(cmd.add_option("--buckets", f.buckets, "fastText: rows the n-grams hash into (default 2000000)"),
                   fasttext);
        applies_to(cmd.add_option("--save-model", f.save_model,
                                  "fastText: also save the model (n-gram rows included) for `embedkit vectors` and "
                                  "`nn --model`"),
                   fasttext);
        applies_to(cmd.add_flag_function(
                       "--gensim-input-scale,!--no-gensim-input-scale",
                       [&f](std::int64_t n) { f.gensim_input_scale = n > 0; },
                       "fastText skip-gram: train on the sum of the centre word's rows divided by its n-gram count, "
                       "as gensim (default below 10M tokens); --no-gensim-input-scale trains on their mean, as "
                       "fastText (default from 10M tokens)"),
                   {"fasttext"});
        applies_to(cmd.add_flag("--update-per-prediction", f.update_per_prediction,
                                "fastText skip-gram: compose the centre word's input and update its rows for every "
                                "prediction (as fastText and gensim) instead of once per centre word"),
                   {"fasttext"});
    },
    run_word2vec,
    /*checkpoints=*/true,
}};

}  // namespace
}  // namespace embedkit::cli
