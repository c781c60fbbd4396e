// A unique scratch directory for one test, removed with everything in it.
#pragma once

#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace embedkit::testing {

class TempDir {
public:
    /// Creates <system temp>/<prefix><random digits>; `prefix` names the test area in leftovers.
    explicit TempDir(const std::string& prefix = "embedkit_test_") {
        std::random_device entropy;
        for (int attempt = 0; attempt < 100; ++attempt) {
            const auto candidate = std::filesystem::temp_directory_path() /
                                   (prefix + std::to_string(entropy()) + std::to_string(entropy()));
            if (std::filesystem::create_directory(candidate)) {
                path_ = candidate;
                return;
            }
        }
        throw std::runtime_error("cannot create a temporary directory with prefix " + prefix);
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    /// The path of `name` inside the directory, as a string.
    [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }
    /// The names of the directory's entries (to check that nothing is left behind).
    [[nodiscard]] std::vector<std::string> entries() const {
        std::vector<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(path_)) {
            names.push_back(entry.path().filename().string());
        }
        return names;
    }

private:
    std::filesystem::path path_;
};

}  // namespace embedkit::testing
