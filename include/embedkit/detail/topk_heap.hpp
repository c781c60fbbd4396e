#pragma once

// Bounded selection of the k best (id, score) pairs: a binary heap of capacity k whose top is the
// worst kept item, so a new candidate costs one comparison unless it enters the top k.

#include "embedkit/types.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

namespace embedkit::detail {

/// The search order: higher score first, equal scores by lower id. NaN scores never compare
/// better than anything, and TopKHeap never admits them.
template <class Scalar>
[[nodiscard]] constexpr bool better(const Neighbor<Scalar>& a, const Neighbor<Scalar>& b) noexcept {
    return a.score > b.score || (a.score == b.score && a.id < b.id);
}

/// Keeps the k best candidates pushed so far (best = higher score, then lower id).
template <class Scalar>
class TopKHeap {
public:
    explicit TopKHeap(std::size_t k = 0) { reset(k); }

    /// Empties the heap and sets its capacity. Storage grows as items arrive (up to k), so a huge
    /// k costs memory only when that many candidates exist.
    void reset(std::size_t k) {
        k_ = k;
        items_.clear();
        items_.reserve(std::min<std::size_t>(k, 256));
        threshold_ = k_ == 0 ? std::numeric_limits<Scalar>::infinity() : -std::numeric_limits<Scalar>::infinity();
    }

    /// A candidate whose score is below this cannot enter: callers test `score >= threshold()`
    /// before calling push(), which keeps the common case to one comparison. NaN fails the test.
    [[nodiscard]] Scalar threshold() const noexcept { return threshold_; }
    [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
    [[nodiscard]] std::size_t capacity() const noexcept { return k_; }

    /// Offers a candidate; it is kept if the heap is not full or it beats the worst kept item.
    void push(TokenId id, Scalar score) {
        if (k_ == 0 || !(score >= threshold_)) return;  // also rejects NaN
        const Neighbor<Scalar> item{id, score};
        if (items_.size() < k_) {
            items_.push_back(item);
            sift_up(items_.size() - 1);
            if (items_.size() == k_) threshold_ = items_.front().score;
            return;
        }
        if (!better(item, items_.front())) return;
        items_.front() = item;
        sift_down(0);
        threshold_ = items_.front().score;
    }

    /// The kept items, best first. Leaves the heap empty (capacity unchanged).
    [[nodiscard]] std::vector<Neighbor<Scalar>> take_sorted() {
        std::vector<Neighbor<Scalar>> out(std::move(items_));
        std::sort(out.begin(), out.end(), better<Scalar>);
        reset(k_);
        return out;
    }

    /// The kept items in heap order (for merging heaps).
    [[nodiscard]] const std::vector<Neighbor<Scalar>>& items() const noexcept { return items_; }

private:
    // A max-heap under "worse": the root is the worst kept item.
    static bool worse(const Neighbor<Scalar>& a, const Neighbor<Scalar>& b) noexcept { return better(b, a); }

    void sift_up(std::size_t i) {
        const Neighbor<Scalar> item = items_[i];
        while (i > 0) {
            const std::size_t parent = (i - 1) / 2;
            if (!worse(item, items_[parent])) break;
            items_[i] = items_[parent];
            i = parent;
        }
        items_[i] = item;
    }

    void sift_down(std::size_t i) {
        const std::size_t n = items_.size();
        const Neighbor<Scalar> item = items_[i];
        for (;;) {
            std::size_t child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && worse(items_[child + 1], items_[child])) ++child;
            if (!worse(items_[child], item)) break;
            items_[i] = items_[child];
            i = child;
        }
        items_[i] = item;
    }

    std::size_t k_ = 0;
    std::vector<Neighbor<Scalar>> items_;
    Scalar threshold_ = 0;
};

}  // namespace embedkit::detail
