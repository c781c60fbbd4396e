#pragma once

#include "embedkit/errors.hpp"
#include "embedkit/types.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace embedkit {

/// The binary Huffman tree over a vocabulary that hierarchical softmax walks (Mikolov et al.
/// 2013): frequent words get short codes. For word w, `path(w)` lists the inner nodes from the
/// root down (rows of the output matrix, 0 .. size-2) and `code(w)` the branch taken at each
/// (0 or 1). Built in O(V) from counts that are sorted in descending order, as a Vocab's are.
class HuffmanTree {
public:
    HuffmanTree() = default;

    explicit HuffmanTree(const std::vector<std::int64_t>& counts_descending) {
        const std::size_t n = counts_descending.size();
        offsets_.assign(n + 1, 0);
        if (n == 0) return;
        for (std::size_t i = 1; i < n; ++i) {
            if (counts_descending[i] > counts_descending[i - 1]) {
                throw invalid_argument("HuffmanTree: counts must be in descending order (index " +
                                       std::to_string(i) + ")");
            }
        }
        if (n == 1) {  // one word: one inner node, one bit, so the model still has something to learn
            offsets_[1] = 1;
            nodes_.push_back(0);
            codes_.push_back(0);
            return;
        }
        // Leaves are 0..n-1 (ascending counts read from the back), inner nodes n..2n-2. Two queues:
        // the leaves in ascending order and the inner nodes in creation order, both already sorted.
        std::vector<std::int64_t> weight(2 * n - 1);
        for (std::size_t i = 0; i < n; ++i) weight[i] = counts_descending[i];
        std::vector<std::size_t> parent(2 * n - 1, 0);
        std::vector<std::uint8_t> branch(2 * n - 1, 0);
        std::ptrdiff_t leaf = static_cast<std::ptrdiff_t>(n) - 1;  // smallest unused leaf
        std::size_t inner = n;                                     // smallest unused inner node
        auto pop_smallest = [&](std::size_t next_inner) {
            if (leaf >= 0 && (inner >= next_inner || weight[static_cast<std::size_t>(leaf)] < weight[inner])) {
                return static_cast<std::size_t>(leaf--);
            }
            return inner++;
        };
        for (std::size_t created = n; created < 2 * n - 1; ++created) {
            const std::size_t a = pop_smallest(created);
            const std::size_t b = pop_smallest(created);
            weight[created] = weight[a] + weight[b];
            parent[a] = parent[b] = created;
            branch[b] = 1;
        }
        const std::size_t root = 2 * n - 2;
        std::vector<std::size_t> scratch_nodes;
        std::vector<std::uint8_t> scratch_codes;
        for (std::size_t w = 0; w < n; ++w) {
            scratch_nodes.clear();
            scratch_codes.clear();
            for (std::size_t node = w; node != root; node = parent[node]) {
                scratch_codes.push_back(branch[node]);
                scratch_nodes.push_back(parent[node] - n);  // inner node -> output row
            }
            nodes_.insert(nodes_.end(), scratch_nodes.rbegin(), scratch_nodes.rend());
            codes_.insert(codes_.end(), scratch_codes.rbegin(), scratch_codes.rend());
            offsets_[w + 1] = nodes_.size();
        }
    }

    /// Number of words (leaves).
    [[nodiscard]] std::size_t size() const noexcept { return offsets_.empty() ? 0 : offsets_.size() - 1; }
    /// Rows the output matrix of hierarchical softmax needs (inner nodes), at least 1.
    [[nodiscard]] std::size_t inner_nodes() const noexcept { return size() <= 1 ? size() : size() - 1; }

    [[nodiscard]] std::size_t code_length(TokenId w) const { return offsets_[w + 1] - offsets_[w]; }
    [[nodiscard]] const std::uint32_t* path(TokenId w) const { return nodes_.data() + offsets_[w]; }
    [[nodiscard]] const std::uint8_t* code(TokenId w) const { return codes_.data() + offsets_[w]; }

private:
    std::vector<std::size_t> offsets_;
    std::vector<std::uint32_t> nodes_;
    std::vector<std::uint8_t> codes_;
};

}  // namespace embedkit
