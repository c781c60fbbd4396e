#pragma once

#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace embedkit {

/// Words and their vectors: what a trainer produces, a vector file holds and a search index serves.
/// Row i of `matrix()` is the vector of `word(i)`; rows are usually in descending frequency.
template <class Scalar = float>
class WordVectors {
    static_assert(std::is_floating_point_v<Scalar>, "WordVectors needs a floating-point scalar");

public:
    WordVectors() = default;

    /// Throws invalid_argument if the sizes differ or a word repeats.
    WordVectors(std::vector<std::string> words, RowMatrix<Scalar> matrix)
        : words_(std::move(words)), matrix_(std::move(matrix)) {
        if (static_cast<Eigen::Index>(words_.size()) != matrix_.rows()) {
            throw invalid_argument("WordVectors: " + std::to_string(words_.size()) + " words but " +
                                   std::to_string(matrix_.rows()) + " rows");
        }
        index_.reserve(words_.size());
        for (std::size_t i = 0; i < words_.size(); ++i) {
            if (!index_.emplace(words_[i], static_cast<TokenId>(i)).second) {
                throw invalid_argument("WordVectors: duplicate word '" + words_[i] + "'");
            }
        }
    }

    [[nodiscard]] std::size_t size() const noexcept { return words_.size(); }
    [[nodiscard]] bool empty() const noexcept { return words_.empty(); }
    [[nodiscard]] Eigen::Index dim() const noexcept { return matrix_.cols(); }

    [[nodiscard]] const std::vector<std::string>& words() const noexcept { return words_; }
    [[nodiscard]] const std::string& word(TokenId id) const { return words_.at(static_cast<std::size_t>(id)); }
    [[nodiscard]] const RowMatrix<Scalar>& matrix() const noexcept { return matrix_; }
    /// Mutable access to the values; the shape must not change.
    [[nodiscard]] RowMatrix<Scalar>& matrix() noexcept { return matrix_; }

    [[nodiscard]] std::optional<TokenId> find(std::string_view word) const {
        const auto it = index_.find(std::string(word));
        if (it == index_.end()) return std::nullopt;
        return it->second;
    }
    /// Throws invalid_argument naming the word when it is unknown.
    [[nodiscard]] TokenId at(std::string_view word) const {
        if (auto id = find(word)) return *id;
        throw invalid_argument("word not in vocabulary: '" + std::string(word) + "'");
    }
    [[nodiscard]] bool contains(std::string_view word) const { return find(word).has_value(); }

    /// The vector of `word`; throws invalid_argument when it is unknown.
    [[nodiscard]] auto vector(std::string_view word) const { return matrix_.row(at(word)); }

private:
    std::vector<std::string> words_;
    RowMatrix<Scalar> matrix_;
    std::unordered_map<std::string, TokenId> index_;
};

}  // namespace embedkit
