#pragma once

// Case-insensitive word lookup over the first N words of a vocabulary, as evaluation needs it:
// several case variants ("Paris", "paris") fold to one key, which stands for the first of them
// (the most frequent when the vocabulary is sorted by frequency). Folding is ASCII lower-casing;
// bytes >= 0x80 (UTF-8) are left as they are.

#include "embedkit/types.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace embedkit::detail {

/// ASCII lower-case copy of `s` (A-Z -> a-z; every other byte unchanged).
[[nodiscard]] inline std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& ch : out) {
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    }
    return out;
}

/// Lookup of words among the first `limit` entries of `words`, optionally ignoring ASCII case.
class FoldedVocab {
public:
    /// `limit` = 0 means every word. Keys are copied: `words` need not outlive the lookup.
    FoldedVocab(const std::vector<std::string>& words, std::size_t limit, bool case_insensitive)
        : case_insensitive_(case_insensitive) {
        const std::size_t n = (limit == 0 || limit > words.size()) ? words.size() : limit;
        canonical_.resize(n);
        index_.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            const auto id = static_cast<TokenId>(i);
            auto [it, inserted] = index_.emplace(key(words[i]), id);
            canonical_[i] = it->second;
            if (!inserted) {
                auto& group = variants_[it->second];
                if (group.empty()) group.push_back(it->second);
                group.push_back(id);
            }
        }
    }

    /// Words covered (the first `limit`).
    [[nodiscard]] std::size_t size() const noexcept { return canonical_.size(); }
    [[nodiscard]] bool case_insensitive() const noexcept { return case_insensitive_; }

    /// The canonical id of `word` (the first covered word with the same folded form), if covered.
    [[nodiscard]] std::optional<TokenId> find(std::string_view word) const {
        const auto it = index_.find(key(word));
        if (it == index_.end()) return std::nullopt;
        return it->second;
    }

    /// The canonical id of covered word `id`.
    [[nodiscard]] TokenId canonical(TokenId id) const { return canonical_.at(static_cast<std::size_t>(id)); }

    /// Every covered id folding like canonical id `id` (itself included), or empty when it is alone.
    [[nodiscard]] const std::vector<TokenId>& variants(TokenId id) const {
        static const std::vector<TokenId> none;
        const auto it = variants_.find(id);
        return it == variants_.end() ? none : it->second;
    }

private:
    [[nodiscard]] std::string key(std::string_view word) const {
        return case_insensitive_ ? ascii_lower(word) : std::string(word);
    }

    bool case_insensitive_;
    std::unordered_map<std::string, TokenId> index_;
    std::vector<TokenId> canonical_;
    std::unordered_map<TokenId, std::vector<TokenId>> variants_;
};

}  // namespace embedkit::detail
