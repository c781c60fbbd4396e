// Eight items in two hidden categories (fruit and tools), seen only through co-occurrence pairs
// (items bought together). The pair trainer learns item vectors from the pairs alone, and the
// cosine similarity matrix shows the two categories: within-category cosine far above
// cross-category cosine. Run: build/bin/example_item_categories [infonce|nt-xent|mnrl|triplet|logistic]

#include <embedkit/losses/similarity.hpp>
#include <embedkit/models/pair_trainer.hpp>
#include <embedkit/text/pair_set.hpp>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

int main(int argc, char** argv) try {
    using namespace embedkit;
    const std::vector<std::string> names{"apple", "banana", "cherry", "grape", "hammer", "wrench", "saw", "drill"};
    auto category = [](TokenId item) { return item / 4; };

    // 3,000 baskets: each holds 3 distinct items of one category; one basket in ten also gets a
    // random item from anywhere (noise). Every ordered pair of a basket is a training pair.
    detail::Rng rng(2024);
    std::vector<TokenId> anchors, positives;
    for (int basket = 0; basket < 3000; ++basket) {
        const TokenId c = static_cast<TokenId>(rng.below(2));
        std::vector<TokenId> items;
        while (items.size() < 3) {
            const TokenId item = c * 4 + static_cast<TokenId>(rng.below(4));
            bool seen = false;
            for (const TokenId x : items) seen = seen || x == item;
            if (!seen) items.push_back(item);
        }
        if (rng.below(10) == 0) {
            const TokenId extra = static_cast<TokenId>(rng.below(8));
            bool seen = false;
            for (const TokenId x : items) seen = seen || x == extra;
            if (!seen) items.push_back(extra);
        }
        for (const TokenId a : items) {
            for (const TokenId b : items) {
                if (a == b) continue;
                anchors.push_back(a);
                positives.push_back(b);
            }
        }
    }
    PairSet pairs = PairSet::from_ids(anchors, positives, 8);
    pairs.anchor_keys = names;

    PairTrainerOptions options;
    if (argc > 1) options.loss = parse_pair_loss(argv[1]);
    // In-batch softmax losses are calibrated: they learn score gaps of about
    // temperature * log(P(pair) ratio). A warmer temperature than the default 0.1 turns the same
    // co-occurrence statistics into clearly separated cosines.
    options.infonce.temperature = 0.3;
    options.mnrl.scale = 1.0 / 0.3;
    // Negative sampling learns u.v = PMI(u, v) - log K (Levy and Goldberg 2014). With 8 items every
    // negative sample is often a same-category item, and K = 5 would push even those dot products
    // below 0; one negative per pair keeps the within-category PMI (about log 2.6) positive.
    if (options.loss == PairLoss::logistic) options.negatives = 1;
    options.dim = 16;
    options.epochs = 10;
    options.batch_size = 64;
    options.threads = 1;
    options.seed = 7;
    const PairModel<float> model = train_pairs<float>(pairs, options);
    std::printf("%zu pairs, loss %s, %d epochs: mean loss per pair %.4f (first epoch) -> %.4f (last)\n\n", pairs.size(),
                to_string(options.loss), options.epochs, model.epoch_loss.front(), model.epoch_loss.back());

    const RowMatrix<float> sim = similarity_matrix(model.anchor_vectors, model.anchor_vectors);
    std::printf("%8s", "");
    for (const auto& n : names) std::printf("%8s", n.c_str());
    std::printf("\n");
    double within = 0, cross = 0;
    int n_within = 0, n_cross = 0;
    for (TokenId i = 0; i < 8; ++i) {
        std::printf("%8s", names[static_cast<std::size_t>(i)].c_str());
        for (TokenId j = 0; j < 8; ++j) {
            std::printf("%8.3f", static_cast<double>(sim(i, j)));
            if (i == j) continue;
            if (category(i) == category(j)) {
                within += sim(i, j);
                ++n_within;
            } else {
                cross += sim(i, j);
                ++n_cross;
            }
        }
        std::printf("\n");
    }
    within /= n_within;
    cross /= n_cross;
    std::printf("\nmean cosine within a category: %.3f\nmean cosine across categories: %.3f\n", within, cross);
    const bool ok = within > cross + 0.5;
    std::printf("%s\n", ok ? "OK: the two hidden categories are recovered" : "FAILED: categories not separated");
    return ok ? 0 : 1;
} catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
}
