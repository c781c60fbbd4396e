#include "setting_flags.hpp"

#include <embedkit/models/fasttext.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <iterator>
#include <string>

using namespace embedkit;

TEST_CASE("every checkpoint setting has a train flag or is listed as having none", "[cli][resume]") {
    // train --resume compares the flags given with the checkpoint through this table: a setting
    // added to the library without a flag here would be silently ignored on resume.
    const Settings settings = detail::fasttext_settings(FastTextOptions{});  // Word2Vec's, then fastText's own
    for (const auto& [key, value] : settings) {
        CAPTURE(key);
        const auto flags = std::count_if(std::begin(cli::kSettingFlags), std::end(cli::kSettingFlags),
                                         [&key = key](const cli::SettingFlag& f) { return key == f.key; });
        const auto unflagged = std::count_if(std::begin(cli::kSettingsWithoutFlag), std::end(cli::kSettingsWithoutFlag),
                                             [&key = key](const char* k) { return key == k; });
        CHECK(flags + unflagged == 1);
    }
    for (const cli::SettingFlag& f : cli::kSettingFlags) {
        CAPTURE(f.flag);
        CHECK(std::any_of(settings.begin(), settings.end(), [&f](const auto& s) { return s.first == f.key; }));
    }
}
