#pragma once

// A run's options as text, the way checkpoints keep them: integers in decimal, reals as
// hexadecimal floating point (an exact round trip), flags as 0/1, enums by name. An options
// struct lists its fields once, in a for_each_*_setting(options, visit) function; writing,
// reading and comparing settings are that list visited with the functions below.

#include "embedkit/errors.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace embedkit {

/// (key, value) pairs in the order the options declare them.
using Settings = std::vector<std::pair<std::string, std::string>>;

namespace detail {

[[nodiscard]] inline std::string setting_text(double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%a", v);
    return buffer;
}
[[nodiscard]] inline std::string setting_text(bool v) { return v ? "1" : "0"; }
template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
[[nodiscard]] std::string setting_text(T v) {
    return std::to_string(v);
}
/// An optional setting is written resolved: the run's value, never "unset".
[[nodiscard]] inline std::string setting_text(const std::optional<double>& v) { return setting_text(v.value_or(0.0)); }
[[nodiscard]] inline std::string setting_text(const std::optional<bool>& v) { return setting_text(v.value_or(false)); }

/// Reads typed settings back; io_error naming the file and the setting on a missing or bad value.
class SettingsReader {
public:
    SettingsReader(const Settings& settings, std::string source) : settings_(settings), source_(std::move(source)) {}

    [[nodiscard]] const std::string& text(const std::string& key) const {
        for (const auto& [k, v] : settings_) {
            if (k == key) return v;
        }
        throw io_error(source_, "checkpoint has no setting '" + key + "'");
    }
    [[nodiscard]] std::int64_t integer(const std::string& key) const {
        const std::string& v = text(key);
        char* end = nullptr;
        const long long x = std::strtoll(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0') bad(key, v);
        return x;
    }
    [[nodiscard]] double real(const std::string& key) const {
        const std::string& v = text(key);
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0' || !std::isfinite(x)) bad(key, v);
        return x;
    }
    [[nodiscard]] bool flag(const std::string& key) const {
        const std::int64_t x = integer(key);
        if (x != 0 && x != 1) bad(key, text(key));
        return x == 1;
    }
    [[nodiscard]] const std::string& source() const noexcept { return source_; }

    /// Sets `field` from the setting `key` (a visitor of for_each_*_setting).
    void read(const std::string& key, double& field) const { field = real(key); }
    void read(const std::string& key, std::optional<double>& field) const { field = real(key); }
    void read(const std::string& key, bool& field) const { field = flag(key); }
    void read(const std::string& key, std::optional<bool>& field) const { field = flag(key); }
    template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
    void read(const std::string& key, T& field) const {
        field = static_cast<T>(integer(key));
    }
    template <class E, std::enable_if_t<std::is_enum_v<E>, int> = 0>
    void read(const std::string& key, E& field) const {
        const std::string& v = text(key);
        if (!parse_setting(v, field)) bad(key, v);  // found by argument-dependent lookup
    }

    [[noreturn]] void bad(const std::string& key, const std::string& value) const {
        throw io_error(source_, "checkpoint setting '" + key + "' has an invalid value '" + value + "'");
    }

private:
    const Settings& settings_;
    std::string source_;
};

/// The settings of `options` as for_each_setting lists them (each value through setting_text).
template <class Options, class ForEach>
[[nodiscard]] Settings settings_of(const Options& options, ForEach&& for_each_setting) {
    Settings out;
    for_each_setting(options, [&out](const char* key, const auto& value) {
        using detail::setting_text;
        out.emplace_back(key, setting_text(value));
    });
    return out;
}

/// `options` with every field for_each_setting lists read from `reader`.
template <class Options, class ForEach>
void read_settings(const SettingsReader& reader, Options& options, ForEach&& for_each_setting) {
    for_each_setting(options, [&reader](const char* key, auto& field) { reader.read(key, field); });
}

}  // namespace detail
}  // namespace embedkit
