#include <embedkit/models/pair_trainer.hpp>

#include <embedkit/eval/similarity_eval.hpp>
#include <embedkit/losses/similarity.hpp>
#include <embedkit/text/corpus.hpp>
#include <embedkit/text/vocab.hpp>

#include <catch2/catch.hpp>

#include "support/skip.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

using embedkit::PairLoss;
using embedkit::PairModel;
using embedkit::PairOptimizer;
using embedkit::PairSet;
using embedkit::PairTrainerOptions;
using embedkit::RowMatrix;
using embedkit::TokenId;
using embedkit::TrainingProgress;
using embedkit::train_pairs;

namespace {

// Items 0-3 and 4-7 form two hidden categories; baskets of 3 items of one category (and one basket
// in ten with a random extra item) give every ordered pair of their items.
PairSet category_pairs(int baskets, std::uint64_t seed) {
    embedkit::detail::Rng rng(seed);
    std::vector<TokenId> anchors, positives;
    for (int basket = 0; basket < baskets; ++basket) {
        const auto c = static_cast<TokenId>(rng.below(2));
        std::vector<TokenId> items;
        while (items.size() < 3) {
            const TokenId item = c * 4 + static_cast<TokenId>(rng.below(4));
            if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(item);
        }
        if (rng.below(10) == 0) {
            const auto extra = static_cast<TokenId>(rng.below(8));
            if (std::find(items.begin(), items.end(), extra) == items.end()) items.push_back(extra);
        }
        for (const TokenId a : items) {
            for (const TokenId b : items) {
                if (a == b) continue;
                anchors.push_back(a);
                positives.push_back(b);
            }
        }
    }
    return PairSet::from_ids(anchors, positives, 8);
}

struct Separation {
    double within = 0;
    double cross = 0;
};

Separation separation(const RowMatrix<float>& vectors) {
    const RowMatrix<float> sim = embedkit::similarity_matrix(vectors, vectors);
    Separation s;
    int nw = 0, nc = 0;
    for (Eigen::Index i = 0; i < 8; ++i) {
        for (Eigen::Index j = 0; j < 8; ++j) {
            if (i == j) continue;
            if (i / 4 == j / 4) {
                s.within += sim(i, j);
                ++nw;
            } else {
                s.cross += sim(i, j);
                ++nc;
            }
        }
    }
    s.within /= nw;
    s.cross /= nc;
    return s;
}

PairTrainerOptions small_pair_options(PairLoss loss) {
    PairTrainerOptions o;
    o.loss = loss;
    o.dim = 16;
    o.epochs = 4;
    o.batch_size = 32;
    o.threads = 1;
    o.seed = 3;
    o.infonce.temperature = 0.3;
    o.mnrl.scale = 1 / 0.3;
    o.triplet.margin = 0.5;  // the triplet loss separates by about its margin, then stops
    return o;
}

}  // namespace

TEST_CASE("train_pairs: every loss recovers two planted categories", "[models][pair_trainer]") {
    const PairSet pairs = category_pairs(800, 1);
    struct Case {
        const char* name;
        PairTrainerOptions options;
    };
    std::vector<Case> cases;
    cases.push_back({"infonce in-batch", small_pair_options(PairLoss::infonce)});
    cases.push_back({"infonce sampled", small_pair_options(PairLoss::infonce)});
    cases.back().options.negatives = 4;
    cases.push_back({"nt-xent", small_pair_options(PairLoss::nt_xent)});
    cases.push_back({"mnrl", small_pair_options(PairLoss::mnrl)});
    cases.push_back({"mnrl + hard negatives", small_pair_options(PairLoss::mnrl)});
    cases.back().options.negatives = 1;
    cases.push_back({"triplet batch-hard", small_pair_options(PairLoss::triplet)});
    cases.push_back({"triplet batch-all", small_pair_options(PairLoss::triplet)});
    cases.back().options.triplet.mining = embedkit::TripletMining::batch_all;
    cases.push_back({"triplet sampled l2", small_pair_options(PairLoss::triplet)});
    cases.back().options.triplet_mining = false;
    cases.back().options.triplet.distance = embedkit::TripletDistance::l2;
    // Negative sampling learns u.v = PMI - log K: with 8 items K = 1 keeps same-category dot
    // products positive.
    cases.push_back({"logistic", small_pair_options(PairLoss::logistic)});
    cases.back().options.negatives = 1;
    cases.push_back({"logistic sgd", small_pair_options(PairLoss::logistic)});
    cases.back().options.negatives = 1;
    cases.back().options.optimizer = PairOptimizer::sgd;
    cases.push_back({"infonce sgd", small_pair_options(PairLoss::infonce)});
    cases.back().options.optimizer = PairOptimizer::sgd;
    cases.push_back({"infonce dot two-tower", small_pair_options(PairLoss::infonce)});
    cases.back().options.infonce.similarity = embedkit::Similarity::dot;
    cases.back().options.two_tower = true;
    for (const Case& c : cases) {
        const PairModel<float> model = train_pairs<float>(pairs, c.options);
        const Separation s = separation(c.options.two_tower ? model.positive_vectors : model.anchor_vectors);
        INFO(c.name << ": within " << s.within << ", cross " << s.cross);
        CHECK(s.within > s.cross + 0.4);
        REQUIRE(model.epoch_loss.size() == 4);
        CHECK(std::isfinite(model.epoch_loss.back()));
    }
}

TEST_CASE("train_pairs: two towers for users and items in separate key spaces", "[models][pair_trainer]") {
    // 40 users; user u likes category u % 2 and picks its items 9 times in 10.
    embedkit::detail::Rng rng(5);
    PairSet pairs;
    pairs.separate_key_spaces = true;
    for (int u = 0; u < 40; ++u) pairs.anchor_keys.push_back("user" + std::to_string(u));
    for (int i = 0; i < 8; ++i) pairs.positive_key_space.push_back("item" + std::to_string(i));
    for (int n = 0; n < 4000; ++n) {
        const auto user = static_cast<TokenId>(rng.below(40));
        const TokenId liked = user % 2;
        const TokenId category = rng.below(10) == 0 ? 1 - liked : liked;
        pairs.anchors.push_back(user);
        pairs.positives.push_back(category * 4 + static_cast<TokenId>(rng.below(4)));
    }
    PairTrainerOptions o = small_pair_options(PairLoss::infonce);
    CHECK_THROWS_WITH(train_pairs(pairs, o), Catch::Matchers::Contains("set two_tower"));
    o.two_tower = true;
    const PairModel<float> model = train_pairs<float>(pairs, o);
    REQUIRE(model.anchor_vectors.rows() == 40);
    REQUIRE(model.positive_vectors.rows() == 8);
    CHECK(model.positive_keys[3] == "item3");
    CHECK(model.vectors().word(7) == "user7");
    CHECK(model.positive_word_vectors().word(5) == "item5");
    const RowMatrix<float> sim = embedkit::similarity_matrix(model.anchor_vectors, model.positive_vectors);
    int right = 0;
    for (Eigen::Index u = 0; u < 40; ++u) {
        const float own = sim.row(u).segment((u % 2) * 4, 4).mean();
        const float other = sim.row(u).segment((1 - u % 2) * 4, 4).mean();
        right += own > other + 0.2f;
    }
    CHECK(right == 40);
}

TEST_CASE("train_pairs: seeded and reproducible with one thread, learns with two", "[models][pair_trainer]") {
    const PairSet pairs = category_pairs(300, 2);
    PairTrainerOptions o = small_pair_options(PairLoss::infonce);
    o.negatives = 3;
    const PairModel<double> a = train_pairs<double>(pairs, o);
    const PairModel<double> b = train_pairs<double>(pairs, o);
    CHECK(a.anchor_vectors == b.anchor_vectors);
    CHECK(a.epoch_loss == b.epoch_loss);
    o.seed = 4;
    const PairModel<double> c = train_pairs<double>(pairs, o);
    CHECK(a.anchor_vectors != c.anchor_vectors);

    o.threads = 2;
    o.epochs = 6;
    const PairModel<float> two = train_pairs<float>(category_pairs(800, 1), o);
    const Separation s = separation(two.anchor_vectors);
    CHECK(s.within > s.cross + 0.4);
}

TEST_CASE("train_pairs: the loss falls over the epochs", "[models][pair_trainer]") {
    // Four couples (0-1, 2-3, 4-5, 6-7), each item paired only with its partner: the
    // negative-sampling loss can go towards 0.
    std::vector<TokenId> anchors, positives;
    embedkit::detail::Rng rng(6);
    for (int i = 0; i < 2000; ++i) {
        const auto a = static_cast<TokenId>(rng.below(8));
        anchors.push_back(a);
        positives.push_back(a ^ 1);
    }
    PairTrainerOptions o = small_pair_options(PairLoss::logistic);
    o.epochs = 5;
    const PairModel<float> model = train_pairs<float>(PairSet::from_ids(anchors, positives), o);
    REQUIRE(model.epoch_loss.size() == 5);
    for (std::size_t e = 1; e < 5; ++e) CHECK(model.epoch_loss[e] < model.epoch_loss[e - 1]);
    CHECK(model.epoch_loss.back() < 0.5 * model.epoch_loss.front());
    // The loss starts near (1 + K) log 2, its value for small random vectors.
    CHECK(model.epoch_loss.front() < 6 * std::log(2.0) + 0.1);
}

TEST_CASE("train_pairs: progress reports, cancellation, divergence", "[models][pair_trainer]") {
    const PairSet pairs = category_pairs(200, 7);
    PairTrainerOptions o = small_pair_options(PairLoss::mnrl);
    o.progress_interval = 0;
    std::vector<TrainingProgress> reports;
    o.progress = [&](const TrainingProgress& p) {
        reports.push_back(p);
        return true;
    };
    const auto model = train_pairs<float>(pairs, o);
    REQUIRE(reports.size() >= 2);
    CHECK(reports.back().fraction == 1.0);
    CHECK(reports.back().tokens_processed == pairs.size() * 4);
    CHECK(reports.back().epoch == 3);
    for (std::size_t i = 1; i < reports.size(); ++i) {
        CHECK(reports[i].fraction >= reports[i - 1].fraction);
        CHECK(reports[i].learning_rate <= reports[i - 1].learning_rate);
    }
    CHECK(reports.front().loss > 0);
    CHECK(reports.front().learning_rate == Approx(0.05).epsilon(0.01));

    int calls = 0;
    o.progress = [&](const TrainingProgress&) { return ++calls < 3; };
    CHECK_THROWS_AS(train_pairs<float>(pairs, o), embedkit::cancelled);
    CHECK(calls == 3);

    PairTrainerOptions wild = small_pair_options(PairLoss::logistic);
    wild.optimizer = PairOptimizer::sgd;
    wild.lr = 1e30;
    CHECK_THROWS_AS(train_pairs<float>(pairs, wild), embedkit::numeric_error);
}

TEST_CASE("train_pairs: options are validated by name", "[models][pair_trainer]") {
    using Catch::Matchers::Contains;
    const PairSet pairs = category_pairs(10, 8);
    auto expect = [&](const char* field, auto change) {
        PairTrainerOptions o = small_pair_options(PairLoss::infonce);
        change(o);
        CHECK_THROWS_AS(embedkit::validate(o), embedkit::invalid_options);
        CHECK_THROWS_WITH(train_pairs(pairs, o), Contains(field));
    };
    expect("PairTrainerOptions.dim", [](PairTrainerOptions& o) { o.dim = 0; });
    expect("PairTrainerOptions.epochs", [](PairTrainerOptions& o) { o.epochs = -1; });
    expect("PairTrainerOptions.batch_size", [](PairTrainerOptions& o) { o.batch_size = 0; });
    expect("PairTrainerOptions.negatives", [](PairTrainerOptions& o) { o.negatives = -2; });
    expect("PairTrainerOptions.negatives", [](PairTrainerOptions& o) {
        o.loss = PairLoss::nt_xent;
        o.negatives = 2;
    });
    expect("PairTrainerOptions.negatives", [](PairTrainerOptions& o) {
        o.loss = PairLoss::logistic;
        o.negatives = 0;
    });
    expect("PairTrainerOptions.negatives", [](PairTrainerOptions& o) {
        o.loss = PairLoss::triplet;
        o.negatives = 3;  // with mining
    });
    expect("PairTrainerOptions.negatives", [](PairTrainerOptions& o) {
        o.loss = PairLoss::triplet;
        o.triplet_mining = false;
        o.negatives = 0;
    });
    expect("PairTrainerOptions.lr", [](PairTrainerOptions& o) { o.lr = 0.0; });
    expect("PairTrainerOptions.lr", [](PairTrainerOptions& o) { o.lr = std::nan(""); });
    expect("PairTrainerOptions.min_lr_ratio", [](PairTrainerOptions& o) { o.min_lr_ratio = 1.5; });
    expect("PairTrainerOptions.negative_power", [](PairTrainerOptions& o) { o.negative_power = -1; });
    expect("PairTrainerOptions.init_sigma", [](PairTrainerOptions& o) { o.init_sigma = 0; });
    expect("PairTrainerOptions.adagrad_initial_accumulator", [](PairTrainerOptions& o) { o.adagrad_initial_accumulator = 0; });
    expect("PairTrainerOptions.progress_interval", [](PairTrainerOptions& o) { o.progress_interval = -1; });
    expect("InfoNceOptions.temperature", [](PairTrainerOptions& o) { o.infonce.temperature = 0; });
    expect("MnrlOptions.scale", [](PairTrainerOptions& o) { o.mnrl.scale = -1; });
    expect("TripletOptions.margin", [](PairTrainerOptions& o) { o.triplet.margin = -1; });
    expect("NtXentOptions.temperature", [](PairTrainerOptions& o) { o.nt_xent.temperature = 0; });

    CHECK(small_pair_options(PairLoss::logistic).negatives_per_pair() == 5);
    CHECK(small_pair_options(PairLoss::infonce).negatives_per_pair() == 0);
    CHECK(embedkit::parse_pair_loss("nt-xent") == PairLoss::nt_xent);
    CHECK(embedkit::parse_pair_optimizer(embedkit::to_string(PairOptimizer::sgd)) == PairOptimizer::sgd);
    CHECK_THROWS_WITH(embedkit::parse_pair_loss("softmax"), Contains("'softmax'"));
}

TEST_CASE("train_pairs: bad pair sets are rejected", "[models][pair_trainer]") {
    using Catch::Matchers::Contains;
    const PairTrainerOptions o = small_pair_options(PairLoss::infonce);
    CHECK_THROWS_WITH(train_pairs(PairSet::from_ids({}, {}, 4), o), Contains("no pairs"));
    PairSet bad = PairSet::from_ids({0, 1}, {1, 2}, 3);
    bad.positives[1] = 3;
    CHECK_THROWS_WITH(train_pairs(bad, o), Contains("positives[1] = 3 is not a row of the 3 keys"));
    bad.positives.pop_back();
    CHECK_THROWS_WITH(train_pairs(bad, o), Contains("2 anchors but 1 positives"));
}

TEST_CASE("train_pairs quality: InfoNCE word vectors from text8-prefix windows", "[models][pair_trainer][quality]") {
    const std::string data = EMBEDKIT_SHARED_DATA_DIR;
    const std::string text8 = data + "/text8-prefix";
    const std::string ws353 = data + "/eval/ws353.txt";
    if (!std::filesystem::exists(text8) || !std::filesystem::exists(ws353)) {
        EMBEDKIT_SKIP(text8 << " or " << ws353 << " not found (the shared data sits beside the project)");
    }
    embedkit::VocabOptions vo;
    vo.min_count = 5;
    const embedkit::Vocab vocab = embedkit::Vocab::build_file(text8, vo);
    const embedkit::Corpus corpus = embedkit::Corpus::encode_file(text8, vocab);
    embedkit::WindowPairsOptions wo;
    wo.window = 5;
    wo.sample = 1e-4;
    const PairSet pairs = embedkit::window_pairs(vocab, corpus.view(), wo);
    // The recipe of examples/infonce_words.cpp, one epoch.
    PairTrainerOptions o;
    o.loss = PairLoss::infonce;
    o.infonce.similarity = embedkit::Similarity::dot;
    o.infonce.temperature = 1.0;
    o.dim = 100;
    o.epochs = 1;
    o.batch_size = 64;
    o.two_tower = true;
    o.optimizer = PairOptimizer::sgd;
    o.lr = 0.025;
    o.threads = 0;
    const PairModel<float> model = train_pairs<float>(pairs, o);
    const auto result = embedkit::evaluate_word_pairs(model.vectors(), ws353);
    INFO("WS353 Spearman " << result.spearman << " over " << result.found << " pairs");
    CHECK(result.spearman > 0.25);  // about 0.35 after one epoch; skip-gram's first epoch gives about 0.18
}
