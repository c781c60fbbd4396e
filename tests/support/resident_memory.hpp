// How much of one memory mapping is resident, from /proc/self/smaps: to check that passes over a
// mapped corpus give its pages back. (The process-wide RssFile would also count the pages of
// code the test runs, megabytes under the sanitizers.) And a large binary corpus file to map.
#pragma once

#include <embedkit/text/corpus.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace embedkit::testing {

/// The resident bytes (Rss) of the mapping that contains `address`.
inline std::uint64_t resident_bytes_of_mapping(const void* address) {
    const auto target = reinterpret_cast<std::uintptr_t>(address);
    std::ifstream smaps("/proc/self/smaps");
    std::string line;
    bool inside = false;
    while (std::getline(smaps, line)) {
        std::istringstream fields(line);
        std::string first;
        fields >> first;
        if (first.empty()) continue;
        if (first.back() != ':') {  // a mapping's header: "start-end perms offset dev inode path"
            const std::size_t dash = first.find('-');
            if (dash == std::string::npos) continue;
            const auto begin = static_cast<std::uintptr_t>(std::strtoull(first.substr(0, dash).c_str(), nullptr, 16));
            const auto end = static_cast<std::uintptr_t>(std::strtoull(first.substr(dash + 1).c_str(), nullptr, 16));
            inside = begin <= target && target < end;
        } else if (inside && first == "Rss:") {
            std::uint64_t kib = 0;
            fields >> kib;
            return kib * 1024;
        }
    }
    throw std::runtime_error("no mapping in /proc/self/smaps contains the address");
}

/// Writes a binary corpus file of `sentences` sentences of `length` ids cycling over the words
/// 0..9 (sentence s, position k: (s + k) % 10): sentences x (length + 1) ids, markers included.
inline void write_cycling_corpus_file(const std::string& path, int sentences, std::size_t length) {
    CorpusWriter writer(path);
    std::vector<TokenId> sentence(length);
    for (int s = 0; s < sentences; ++s) {
        for (std::size_t k = 0; k < length; ++k) sentence[k] = static_cast<TokenId>((static_cast<std::size_t>(s) + k) % 10);
        writer.add_sentence(sentence);
    }
    writer.commit();
}

}  // namespace embedkit::testing
