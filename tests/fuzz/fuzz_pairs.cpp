// libFuzzer target: the pairs-file reader (parse_pairs) with every key mode, shared and separate
// key spaces. A PairSet that is returned must pass its own check() and name its rows sensibly.
#include "fuzz_support.hpp"

#include <embedkit/text/pair_set.hpp>

#include <sstream>
#include <string>

using embedkit::PairKeys;
using embedkit::PairSet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string bytes = embedkit::fuzz::as_string(data, size);
    for (const PairKeys keys : {PairKeys::automatic, PairKeys::ids, PairKeys::tokens}) {
        for (const bool separate : {false, true}) {
            embedkit::PairsFileOptions options;
            options.keys = keys;
            options.separate_key_spaces = separate;
            std::istringstream in(bytes);
            PairSet set;
            if (!embedkit::fuzz::accepts([&] { set = embedkit::parse_pairs(in, "<fuzz>", options); })) continue;
            set.check("fuzz");  // invalid_argument here would escape as a non-reader error: a bug
            EMBEDKIT_FUZZ_CHECK(set.separate_key_spaces == separate);
            for (const std::string& key : set.anchor_keys) EMBEDKIT_FUZZ_CHECK(!key.empty());
            for (const std::string& key : set.positive_keys()) EMBEDKIT_FUZZ_CHECK(!key.empty());
            if (keys == PairKeys::ids) {
                for (std::size_t i = 0; i < set.anchor_rows(); ++i) EMBEDKIT_FUZZ_CHECK(set.anchor_keys[i] == std::to_string(i));
            }
        }
    }
    return 0;
}
