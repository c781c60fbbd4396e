// The embedding table on its own: initialise, look up, pool sequences, apply sparse AdaGrad
// updates, and add positional encodings.

#include <embedkit/core/embedding.hpp>
#include <embedkit/core/pooling.hpp>
#include <embedkit/core/positional_encoding.hpp>
#include <embedkit/core/sparse_optimizer.hpp>

#include <cstdio>
#include <vector>

int main() {
    using namespace embedkit;
    EmbeddingOptions options;
    options.init = Init::normal;
    options.sigma = 0.1;
    options.seed = 42;
    options.padding_row = 0;  // id 0 pads sequences and stays zero
    Embedding<float> table(1000, 8, options);

    // Two sequences of ids, the second padded; mean-pool each into one vector.
    const std::vector<std::vector<TokenId>> sequences = {{5, 17, 42}, {7, 0, 0}};
    RowMatrix<float> pooled = mean_pool_sequences(table, sequences);
    std::printf("pooled: %ld x %ld, first row norm %.4f\n", static_cast<long>(pooled.rows()),
                static_cast<long>(pooled.cols()), static_cast<double>(pooled.row(0).norm()));

    // Pull rows 5 and 17 toward zero with AdaGrad; the repeated id 5 accumulates.
    SparseAdagrad<float> adagrad(table.rows(), table.dim(), 0.1f);
    const std::vector<TokenId> ids = {5, 17, 5, 0};
    RowMatrix<float> grads = table.gather(ids);  // gradient of 0.5 |w|^2 is w
    const double before = static_cast<double>(table.row(5).norm());
    for (int step = 0; step < 50; ++step) {
        grads = table.gather(ids);
        adagrad.apply(table, ids, grads);
    }
    std::printf("|row 5|: %.4f -> %.4f; padding row stays %.1f\n", before, static_cast<double>(table.row(5).norm()),
                static_cast<double>(table.row(0).norm()));

    const RowMatrix<float> positions = sinusoidal_positional_encoding<float>(4, 8);
    std::printf("position 1, first two dims: %.4f %.4f\n", static_cast<double>(positions(1, 0)),
                static_cast<double>(positions(1, 1)));
    return 0;
}
