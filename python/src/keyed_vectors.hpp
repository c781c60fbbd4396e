#pragma once

// What embedkit.KeyedVectors holds: words and their matrix (NumPy shares that matrix), and for
// fastText models the model that composes vectors for words outside the vocabulary. Queries
// (most_similar, analogy, evaluation) read the matrix as it is at the call, so edits made
// through NumPy are seen by the next query.

#include <embedkit/core/fasttext_model.hpp>
#include <embedkit/core/word_vectors.hpp>
#include <embedkit/errors.hpp>
#include <embedkit/search/topk_index.hpp>
#include <embedkit/types.hpp>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace embedkit::python {

class KeyedVectors {
public:
    explicit KeyedVectors(WordVectors<float> vectors, std::shared_ptr<const FastTextModel<float>> fasttext = nullptr)
        : vectors_(std::move(vectors)), fasttext_(std::move(fasttext)) {}

    [[nodiscard]] WordVectors<float>& vectors() noexcept { return vectors_; }
    [[nodiscard]] const WordVectors<float>& vectors() const noexcept { return vectors_; }
    [[nodiscard]] const FastTextModel<float>* fasttext() const noexcept { return fasttext_.get(); }

    /// True when `word` has a vector: in the vocabulary, or composed from stored n-grams.
    [[nodiscard]] bool has_vector(const std::string& word) const {
        return vectors_.contains(word) || (fasttext_ && fasttext_->knows(word));
    }

    /// The vector of `word` (a copy); a fastText model composes one for an unseen word.
    /// std::nullopt when neither knows the word.
    [[nodiscard]] std::optional<RowVector<float>> vector(const std::string& word) const {
        if (const auto id = vectors_.find(word)) return RowVector<float>(vectors_.matrix().row(*id));
        if (fasttext_ && fasttext_->knows(word)) return fasttext_->word_vector(word);
        return std::nullopt;
    }

    /// The `topn` words most similar (cosine) to the mean of the unit vectors `positive` minus
    /// `negative` (gensim's most_similar); `exclude` are never returned; only the first
    /// `restrict_vocab` rows are searched (0 = all).
    [[nodiscard]] std::vector<Neighbor<float>> most_similar(const std::vector<RowVector<float>>& positive,
                                                            const std::vector<RowVector<float>>& negative,
                                                            std::vector<TokenId> exclude, Eigen::Index topn,
                                                            Eigen::Index restrict_vocab) const {
        if (positive.empty() && negative.empty()) throw invalid_argument("most_similar: no positive or negative words");
        if (topn <= 0) throw invalid_argument("most_similar: topn must be positive, got " + std::to_string(topn));
        RowVector<double> mean = RowVector<double>::Zero(vectors_.dim());
        auto add = [&](const RowVector<float>& v, double weight) {
            if (v.size() != vectors_.dim()) {
                throw invalid_argument("most_similar: a vector has " + std::to_string(v.size()) + " values, not " +
                                       std::to_string(vectors_.dim()));
            }
            const double norm = v.cast<double>().norm();
            if (norm > 0) mean += weight * v.cast<double>() / norm;
        };
        for (const auto& v : positive) add(v, 1.0);
        for (const auto& v : negative) add(v, -1.0);
        mean /= static_cast<double>(positive.size() + negative.size());
        const Eigen::Index rows = restrict_vocab > 0 ? std::min(restrict_vocab, vectors_.matrix().rows())
                                                     : vectors_.matrix().rows();
        const TopKIndex<float> index(RowMatrix<float>(vectors_.matrix().topRows(rows)), Metric::cosine);
        SearchOptions search;
        search.exclude = std::move(exclude);
        const RowVector<float> query = mean.cast<float>();
        return index.topk(query, topn, search);
    }

private:
    WordVectors<float> vectors_;
    std::shared_ptr<const FastTextModel<float>> fasttext_;
};

/// Cosine similarity in double; 0 when either vector is zero.
[[nodiscard]] inline double cosine(const RowVector<float>& a, const RowVector<float>& b) {
    const double na = a.cast<double>().norm();
    const double nb = b.cast<double>().norm();
    if (na == 0 || nb == 0) return 0.0;
    return a.cast<double>().dot(b.cast<double>()) / (na * nb);
}

}  // namespace embedkit::python
