#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <type_traits>

namespace embedkit {

/// Embeddings are row-major so that one vector is one contiguous row.
template <class Scalar>
using RowMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <class Scalar>
using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic, Eigen::RowMajor>;

/// Index of a word, item or row. int32 keeps corpora of ids compact (4 bytes per token).
using TokenId = std::int32_t;

/// Marks the end of a sentence inside a stream of token ids.
inline constexpr TokenId kSentenceEnd = -1;

/// One search result: a row and its score (higher is better; for L2 the negated distance).
template <class Scalar = float>
struct Neighbor {
    TokenId id = 0;
    Scalar score = 0;

    friend bool operator==(const Neighbor& a, const Neighbor& b) {
        return a.id == b.id && a.score == b.score;
    }
};

namespace detail {
template <class Scalar>
inline constexpr bool is_scalar_v = std::is_floating_point_v<Scalar>;
}  // namespace detail

}  // namespace embedkit
