// embedkit train --model pairs: contrastive / metric learning of item embeddings from
// (anchor, positive) pairs, read from a pairs file or generated from a corpus window.

#include "input_file.hpp"
#include "progress_printer.hpp"
#include "train_command.hpp"

#include <embedkit/io/word2vec_format.hpp>
#include <embedkit/losses/similarity.hpp>
#include <embedkit/losses/triplet.hpp>
#include <embedkit/models/pair_trainer.hpp>
#include <embedkit/text/corpus.hpp>
#include <embedkit/text/pair_set.hpp>
#include <embedkit/text/vocab.hpp>

#include <fmt/core.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace embedkit::cli {
namespace {

struct PairArgs {
    std::string loss = "infonce";
    int batch_size = 256;
    std::optional<double> temperature;
    std::string similarity = "cosine";
    double scale = 20.0;
    double margin = 0.2;
    std::string distance = "cosine";
    std::string mining = "batch-hard";
    std::string optimizer = "adagrad";
    std::optional<int> negatives;
    bool two_tower = false;
    std::string keys = "auto";
    bool separate_keys = false;
    bool corpus_pairs = false;
    double sample = 1e-3;
    std::string output_positive;
};

PairArgs& pair_args() {
    static PairArgs args;
    return args;
}

PairKeys parse_keys(const std::string& text) {
    if (text == "auto") return PairKeys::automatic;
    if (text == "ids") return PairKeys::ids;
    if (text == "tokens") return PairKeys::tokens;
    throw invalid_options("--pair-keys: unknown value '" + text + "' (expected auto, ids or tokens)");
}

// Parses with `parse`, rethrowing its invalid_argument as invalid_options naming the flag.
template <class Parse>
auto parse_flag(const char* flag, const std::string& value, Parse parse) {
    try {
        return parse(value);
    } catch (const invalid_argument& e) {
        throw invalid_options(std::string(flag) + ": " + e.what());
    }
}

PairTrainerOptions trainer_options(const TrainArgs& a, const PairArgs& p) {
    PairTrainerOptions o;
    o.loss = parse_flag("--loss", p.loss, parse_pair_loss);
    if (a.dim) o.dim = *a.dim;
    if (a.epochs) o.epochs = *a.epochs;
    o.lr = a.lr;
    o.batch_size = p.batch_size;
    o.optimizer = parse_flag("--optimizer", p.optimizer, parse_pair_optimizer);
    o.negatives = p.negatives;
    o.two_tower = p.two_tower || p.separate_keys;
    const Similarity similarity = parse_flag("--similarity", p.similarity, parse_similarity);
    o.infonce.similarity = similarity;
    o.nt_xent.similarity = similarity;
    if (p.temperature) {
        o.infonce.temperature = *p.temperature;
        o.nt_xent.temperature = *p.temperature;
    }
    o.mnrl.scale = p.scale;
    o.triplet.margin = p.margin;
    o.triplet.distance = parse_flag("--distance", p.distance, parse_triplet_distance);
    if (p.mining == "none") {
        o.triplet_mining = false;
    } else {
        o.triplet.mining = parse_flag("--mining", p.mining, parse_triplet_mining);
    }
    o.threads = a.threads;
    o.seed = a.seed;
    validate(o);
    return o;
}

// "key count" for every row: how often it occurs in the pairs (both columns when they share keys).
void save_keys(const std::string& path, const PairSet& pairs) {
    std::vector<std::int64_t> counts(pairs.anchor_rows(), 0);
    for (const TokenId id : pairs.anchors) ++counts[static_cast<std::size_t>(id)];
    if (!pairs.separate_key_spaces) {
        for (const TokenId id : pairs.positives) ++counts[static_cast<std::size_t>(id)];
    }
    std::vector<std::pair<std::string, std::int64_t>> entries;
    entries.reserve(counts.size());
    for (std::size_t i = 0; i < counts.size(); ++i) entries.emplace_back(pairs.anchor_keys[i], counts[i]);
    VocabOptions keep_all;
    keep_all.min_count = 0;
    Vocab::from_counts(std::move(entries), keep_all).save(path);
}

void run_pairs(const TrainArgs& a) {
    const PairArgs& p = pair_args();
    PairTrainerOptions o = trainer_options(a, p);
    if (!p.output_positive.empty() && !o.two_tower) {
        throw invalid_options("--output-positive needs --two-tower (one shared table has no positive tower)");
    }
    if (p.corpus_pairs && p.separate_keys) {
        throw invalid_options("--separate-keys does not apply to --corpus-pairs (words and contexts share one vocabulary)");
    }
    check_writable(a.output);
    check_writable(a.save_vocab);
    check_writable(p.output_positive);

    const auto start = std::chrono::steady_clock::now();
    const InputFile input(a.input);
    PairSet pairs;
    std::optional<Vocab> vocab;
    if (p.corpus_pairs) {
        VocabOptions vocab_options;
        vocab_options.min_count = a.min_count.value_or(5);
        vocab = Vocab::build_file(input.path(), vocab_options);
        if (vocab->size() == 0) {
            throw invalid_argument(a.input + ": no word occurs at least --min-count " +
                                   std::to_string(vocab_options.min_count) + " times");
        }
        const Corpus corpus = Corpus::encode_file(input.path(), *vocab);
        WindowPairsOptions w;
        w.window = a.window.value_or(5);
        w.sample = p.sample;
        w.seed = a.seed;
        pairs = window_pairs(*vocab, corpus.view(), w);
    } else {
        PairsFileOptions f;
        f.keys = parse_keys(p.keys);
        f.separate_key_spaces = p.separate_keys;
        pairs = read_pairs(input.path(), f);
    }
    if (pairs.empty()) throw invalid_argument(a.input + ": no pairs");
    if (!a.quiet) {
        fmt::print(stderr, "pairs: {} ({} anchor keys, {} positive keys{}); loss {}, {} negatives per pair, {} table{}\n",
                   pairs.size(), pairs.anchor_rows(), pairs.positive_rows(),
                   pairs.separate_key_spaces ? ", separate key spaces" : "", to_string(o.loss), o.negatives_per_pair(),
                   o.two_tower ? "two" : "one", o.two_tower ? "s" : "");
    }
    auto printer = std::make_shared<ProgressPrinter>("pairs", a.quiet);
    o.progress = [printer](const TrainingProgress& t) { return (*printer)(t); };
    o.progress_interval = printer->interval();
    const PairModel<float> model = train_pairs<float>(pairs, o);

    const VectorFormat format = a.format == "bin" ? VectorFormat::binary : VectorFormat::text;
    write_word2vec(a.output, model.vectors(), format);
    if (!p.output_positive.empty()) write_word2vec(p.output_positive, model.positive_word_vectors(), format);
    if (!a.save_vocab.empty()) {
        if (vocab) {
            vocab->save(a.save_vocab);
        } else {
            save_keys(a.save_vocab, pairs);
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!a.quiet) {
        fmt::print(stderr, "done: {} pairs x {} epochs, {} keys x {} dims in {:.1f} s (last epoch loss {:.4f}); wrote {}\n",
                   pairs.size(), o.epochs, pairs.anchor_rows(), o.dim, seconds,
                   model.epoch_loss.empty() ? 0.0 : model.epoch_loss.back(), a.output);
    }
}

const RegisterTrainModel registration{TrainModel{
    {"pairs"},
    "Contrastive / metric learning from (anchor, positive) pairs",
    [](CLI::App& cmd) {
        PairArgs& p = pair_args();
        cmd.add_option("--loss", p.loss, "pairs: infonce, nt-xent, mnrl, triplet or logistic")->capture_default_str();
        cmd.add_option("--batch-size", p.batch_size, "pairs: pairs per mini-batch (in-batch negatives)")
            ->capture_default_str();
        cmd.add_option("--temperature", p.temperature, "pairs: infonce / nt-xent temperature (default 0.1 / 0.5)");
        cmd.add_option("--similarity", p.similarity, "pairs: infonce / nt-xent similarity, cosine or dot")
            ->capture_default_str();
        cmd.add_option("--scale", p.scale, "pairs: mnrl logit scale (scale x cosine)")->capture_default_str();
        cmd.add_option("--margin", p.margin, "pairs: triplet margin")->capture_default_str();
        cmd.add_option("--distance", p.distance, "pairs: triplet distance, cosine, l2 or squared-l2")
            ->capture_default_str();
        cmd.add_option("--mining", p.mining, "pairs: triplet mining, batch-hard, batch-all or none (sampled negatives)")
            ->capture_default_str();
        cmd.add_option("--optimizer", p.optimizer, "pairs: adagrad or sgd")->capture_default_str();
        cmd.add_option("--pair-negatives", p.negatives,
                       "pairs: sampled negatives per pair (default: 5 logistic, 1 triplet without mining, else 0)");
        cmd.add_flag("--two-tower", p.two_tower, "pairs: separate tables for anchors and positives");
        cmd.add_option("--pair-keys", p.keys, "pairs: the file's fields are auto, ids or tokens")->capture_default_str();
        cmd.add_flag("--separate-keys", p.separate_keys,
                     "pairs: the two columns are different key spaces (user item); implies --two-tower");
        cmd.add_flag("--corpus-pairs", p.corpus_pairs,
                     "pairs: --input is a text corpus; pair each word with its context (--window, --min-count)");
        cmd.add_option("--pair-sample", p.sample, "pairs: --corpus-pairs subsampling threshold (0: off)")
            ->capture_default_str();
        cmd.add_option("--output-positive", p.output_positive, "pairs: with --two-tower, also write the positive tower");
    },
    run_pairs,
}};

}  // namespace
}  // namespace embedkit::cli
