// GloVe: the weighting function, the gradient against finite differences, planted structure,
// determinism (with and without spills), divergence, cancellation and option checks.

#include <embedkit/models/glove.hpp>

#include <catch2/catch.hpp>

#include "support/cosine.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

using namespace embedkit;

namespace {

// Two topics of 6 words each; a sentence draws its words from one topic, each word with
// probability 0.2 from the other one (so that cross-topic cells exist, with small counts).
std::pair<Vocab, Corpus> two_topic_corpus(std::uint64_t seed, int sentences = 400) {
    std::vector<std::pair<std::string, std::int64_t>> counts;
    for (int i = 0; i < 12; ++i) counts.emplace_back((i < 6 ? "a" : "b") + std::to_string(i), 100);
    VocabOptions keep_all;
    keep_all.min_count = 0;
    Vocab vocab = Vocab::from_counts(counts, keep_all);
    detail::Rng rng(seed);
    std::vector<TokenId> ids;
    for (int s = 0; s < sentences; ++s) {
        const std::string topic = rng.below(2) == 0 ? "a" : "b";
        for (int k = 0; k < 10; ++k) {
            const bool a = (topic == "a") != (rng.uniform() < 0.2);
            const auto i = static_cast<int>(rng.below(6)) + (a ? 0 : 6);
            ids.push_back(vocab.at((a ? "a" : "b") + std::to_string(i)));
        }
        ids.push_back(kSentenceEnd);
    }
    return {std::move(vocab), Corpus::from_ids(std::move(ids))};
}

using embedkit::testing::cosine;

}  // namespace

TEST_CASE("glove_weight is min(1, (x / x_max)^alpha)", "[glove]") {
    CHECK(glove_weight(100, 100, 0.75) == 1.0);
    CHECK(glove_weight(250, 100, 0.75) == 1.0);
    CHECK(glove_weight(50, 100, 0.75) == Approx(std::pow(0.5, 0.75)));
    CHECK(glove_weight(1, 100, 0.75) == Approx(0.0316227766));
    CHECK(glove_weight(1, 10, 1.0) == Approx(0.1));
    CHECK(glove_weight(3, 10, 0.0) == 1.0);
    CHECK(glove_weight(0, 10, 0.75) == 0.0);
}

TEST_CASE("the GloVe cell gradient matches finite differences", "[glove]") {
    const int dim = 7;
    detail::Rng rng(17);
    for (int trial = 0; trial < 5; ++trial) {
        std::vector<double> w(dim + 1), c(dim + 1), gw(dim + 1), gc(dim + 1);
        for (int k = 0; k <= dim; ++k) {
            w[k] = rng.normal<double>();
            c[k] = rng.normal<double>();
        }
        const double log_x = std::log(1 + 20 * rng.uniform());
        const double weight = glove_weight(std::exp(log_x), 10, 0.75);
        const double cost = updates::glove_cell_gradient<double>(w.data(), c.data(), dim, log_x, weight, gw.data(), gc.data());
        auto f = [&](const std::vector<double>& a, const std::vector<double>& b) {
            double diff = a[dim] + b[dim] - log_x;
            for (int k = 0; k < dim; ++k) diff += a[k] * b[k];
            return 0.5 * weight * diff * diff;
        };
        CHECK(cost == Approx(f(w, c)).epsilon(1e-12));
        const double h = 1e-6;
        for (int k = 0; k <= dim; ++k) {
            auto wp = w, wm = w, cp = c, cm = c;
            wp[k] += h;
            wm[k] -= h;
            cp[k] += h;
            cm[k] -= h;
            CHECK(gw[k] == Approx((f(wp, c) - f(wm, c)) / (2 * h)).epsilon(1e-6).margin(1e-8));
            CHECK(gc[k] == Approx((f(w, cp) - f(w, cm)) / (2 * h)).epsilon(1e-6).margin(1e-8));
        }
    }
}

TEST_CASE("GloVe steps as glove.c: AdaGrad accumulators start at 1, biases step without lr", "[glove]") {
    // One word and one diagonal cell: every epoch is one update of the word row and the context
    // row, recomputed here by hand from the documented start (uniform +-0.5/dim from the row's
    // stream of (seed, 1) for W and (seed, 2) for W~).
    VocabOptions keep_all;
    keep_all.min_count = 0;
    const Vocab vocab = Vocab::from_counts({{"a", 10}}, keep_all);
    const float x = 4;
    const CooccurrenceMatrix m = CooccurrenceMatrix::from_entries(vocab, {{0, 0, x}});
    GloveOptions o;
    o.dim = 3;
    o.threads = 1;
    o.seed = 7;
    const int n = o.dim + 1;
    auto start = [&](std::uint64_t table) {
        EmbeddingOptions init;
        init.seed = detail::stream_seed(o.seed, table);
        const Embedding<double> e(1, n, init);  // +-0.5/n over n columns
        return Eigen::VectorXd(e.weights().row(0).transpose() * (static_cast<double>(n) / o.dim));
    };
    Eigen::VectorXd w = start(1), c = start(2);
    Eigen::VectorXd acc_w = Eigen::VectorXd::Ones(n), acc_c = Eigen::VectorXd::Ones(n);
    const double log_x = static_cast<float>(std::log(x));
    const double f = static_cast<float>(glove_weight(x, o.x_max, o.alpha));
    for (int epochs = 1; epochs <= 2; ++epochs) {
        const double fdiff = f * (w.head(o.dim).dot(c.head(o.dim)) + w[o.dim] + c[o.dim] - log_x);
        Eigen::VectorXd u_w(n), u_c(n);
        u_w << o.lr * fdiff * c.head(o.dim), fdiff;  // the bias steps by the gradient alone
        u_c << o.lr * fdiff * w.head(o.dim), fdiff;
        w.array() -= u_w.array() / acc_w.array().sqrt();
        c.array() -= u_c.array() / acc_c.array().sqrt();
        acc_w.array() += u_w.array().square();
        acc_c.array() += u_c.array().square();
        o.epochs = epochs;
        const GloveModel<double> model = train_glove<double>(m, o);
        INFO("after " << epochs << " epochs");
        for (int k = 0; k < o.dim; ++k) {
            CHECK(model.word(0, k) == Approx(w[k]).epsilon(1e-9));
            CHECK(model.context(0, k) == Approx(c[k]).epsilon(1e-9));
        }
        CHECK(model.word_bias[0] == Approx(w[o.dim]).epsilon(1e-9));
        CHECK(model.context_bias[0] == Approx(c[o.dim]).epsilon(1e-9));
    }
}

TEST_CASE("GloVe learns planted topics and its cost falls", "[glove]") {
    const auto [vocab, corpus] = two_topic_corpus(3);
    GloveOptions o;
    o.dim = 8;
    o.epochs = 30;
    o.x_max = 10;
    o.threads = 2;
    o.cooccurrence.window = 3;
    const GloveModel<float> model = train_glove(vocab, corpus.view(), o);
    REQUIRE(model.epoch_cost.size() == 30);
    CHECK(model.epoch_cost.back() < 0.5 * model.epoch_cost.front());
    CHECK(model.word.rows() == 12);
    CHECK(model.word.cols() == 8);
    CHECK(model.word_bias.size() == 12);
    const RowMatrix<float> v = model.vectors().matrix();
    double within = 0, across = 0;
    int nw = 0, na = 0;
    for (int a = 0; a < 12; ++a) {
        for (int b = a + 1; b < 12; ++b) {
            const bool same = vocab.word(a)[0] == vocab.word(b)[0];
            (same ? within : across) += cosine(v.row(a), v.row(b));
            ++(same ? nw : na);
        }
    }
    INFO("mean cosine within topics " << within / nw << ", across " << across / na);
    CHECK(within / nw > across / na + 0.5);
    // W + W~ by default; W alone on request.
    CHECK(model.vectors().matrix().isApprox(model.word + model.context));
    GloveModel<float> word_only = model;
    word_only.options.add_context_vectors = false;
    CHECK(word_only.vectors().matrix() == model.word);
}

TEST_CASE("GloVe with one thread is bit-identical for a seed, with or without spills", "[glove]") {
    const auto [vocab, corpus] = two_topic_corpus(9, 200);
    GloveOptions o;
    o.dim = 10;
    o.epochs = 3;
    o.threads = 1;
    o.seed = 42;
    o.cooccurrence.threads = 1;
    const GloveModel<float> a = train_glove(vocab, corpus.view(), o);
    o.cooccurrence.memory_mb = 0.0001;  // forces spills and merges
    const GloveModel<float> b = train_glove(vocab, corpus.view(), o);
    o.cooccurrence.threads = 3;  // the counting threads never change the result
    const GloveModel<float> c = train_glove(vocab, corpus.view(), o);
    CHECK(a.word == b.word);
    CHECK(a.context == b.context);
    CHECK(a.word_bias == b.word_bias);
    CHECK(a.word == c.word);
    CHECK(a.epoch_cost == b.epoch_cost);
    o.seed = 43;
    const GloveModel<float> d = train_glove(vocab, corpus.view(), o);
    CHECK(a.word != d.word);
}

TEST_CASE("GloVe reports divergence, honours cancellation and checks its options", "[glove]") {
    const auto [vocab, corpus] = two_topic_corpus(1, 100);
    const CooccurrenceMatrix m = count_cooccurrences(vocab, corpus.view());
    GloveOptions o;
    o.dim = 4;
    o.epochs = 3;
    o.lr = 1e30;
    CHECK_THROWS_WITH(train_glove(m, o), Catch::Contains("diverged") && Catch::Contains("try a lower one"));
    CHECK_THROWS_AS(train_glove(m, o), numeric_error);

    o.lr = 0.05;
    o.progress_interval = 0;
    int calls = 0;
    o.progress = [&](const TrainingProgress& p) {
        CHECK(p.loss >= 0);
        return ++calls < 2;
    };
    CHECK_THROWS_AS(train_glove(m, o), cancelled);

    // One report at least per epoch, each with the cost since the one before, the last with
    // fraction 1 and the mean cost of the run (the epochs train as many cells each).
    std::vector<TrainingProgress> reports;
    o.progress_interval = 1e9;
    o.progress = [&](const TrainingProgress& p) {
        reports.push_back(p);
        return true;
    };
    const GloveModel<float> model = train_glove(m, o);
    REQUIRE(reports.size() == 3);
    CHECK(reports.back().fraction == 1.0);
    CHECK(reports[0].loss == Approx(model.epoch_cost[0]));
    CHECK(reports[1].loss == Approx(model.epoch_cost[1]));
    CHECK(reports.back().loss ==
          Approx((model.epoch_cost[0] + model.epoch_cost[1] + model.epoch_cost[2]) / 3));
    CHECK(reports[1].epoch == 1);
    CHECK(reports[0].fraction == Approx(1.0 / 3));
    CHECK(reports[0].tokens_processed == m.nonzeros());

    GloveOptions bad;
    bad.x_max = -1;
    CHECK_THROWS_WITH(validate(bad), "GloveOptions.x_max must be > 0 (got -1)");
    bad = {};
    bad.alpha = -0.5;
    CHECK_THROWS_WITH(validate(bad), Catch::Contains("GloveOptions.alpha"));
    bad = {};
    bad.lr = 0;
    CHECK_THROWS_WITH(validate(bad), Catch::Contains("GloveOptions.lr"));
    bad = {};
    bad.epochs = 0;
    CHECK_THROWS_WITH(validate(bad), Catch::Contains("GloveOptions.epochs"));
    bad = {};
    bad.cooccurrence.window = -2;
    CHECK_THROWS_WITH(validate(bad), Catch::Contains("CooccurrenceOptions.window"));
    CHECK_THROWS_AS(train_glove(CooccurrenceMatrix::from_entries(vocab, {})), invalid_argument);
}
