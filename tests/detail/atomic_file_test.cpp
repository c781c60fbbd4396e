#include <embedkit/detail/atomic_file.hpp>

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using embedkit::detail::AtomicFileWriter;

namespace {

using embedkit::testing::TempDir;

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
    return names;
}

}  // namespace

TEST_CASE("AtomicFileWriter: commit writes the content", "[detail][atomic_file]") {
    const TempDir dir;
    const fs::path target = dir.path() / "out.bin";
    const std::string payload("hello\0world\n", 12);
    {
        AtomicFileWriter writer(target.string());
        CHECK(writer.path() == target.string());
        writer.stream() << payload;
        CHECK_FALSE(fs::exists(target));  // nothing at the target before commit
        writer.commit();
    }
    CHECK(read_all(target) == payload);
    CHECK(names_in(dir.path()) == std::vector<std::string>{"out.bin"});

    // A second commit replaces the file as a whole.
    {
        AtomicFileWriter writer(target.string());
        writer.stream() << "short";
        writer.commit();
    }
    CHECK(read_all(target) == "short");
    CHECK(names_in(dir.path()) == std::vector<std::string>{"out.bin"});
}

TEST_CASE("AtomicFileWriter: no commit keeps the old file and leaves no temp file", "[detail][atomic_file]") {
    const TempDir dir;
    const fs::path target = dir.path() / "model.vec";
    {
        std::ofstream(target) << "old content";
    }
    {
        AtomicFileWriter writer(target.string());
        writer.stream() << "new content that must not appear";
        writer.stream().flush();
        CHECK(names_in(dir.path()).size() == 2);  // the temp file exists while writing
    }
    CHECK(read_all(target) == "old content");
    CHECK(names_in(dir.path()) == std::vector<std::string>{"model.vec"});

    // Same when an exception unwinds through the writer.
    try {
        AtomicFileWriter writer(target.string());
        writer.stream() << "partial";
        throw std::runtime_error("failure mid-write");
    } catch (const std::runtime_error&) {
    }
    CHECK(read_all(target) == "old content");
    CHECK(names_in(dir.path()) == std::vector<std::string>{"model.vec"});

    // And with no old file, nothing at all is left.
    const fs::path fresh = dir.path() / "fresh.txt";
    {
        AtomicFileWriter writer(fresh.string());
        writer.stream() << "x";
    }
    CHECK_FALSE(fs::exists(fresh));
    CHECK(names_in(dir.path()) == std::vector<std::string>{"model.vec"});
}

TEST_CASE("AtomicFileWriter: a missing directory gives io_error naming the path", "[detail][atomic_file]") {
    const TempDir dir;
    const std::string target = (dir.path() / "no_such_dir" / "out.txt").string();
    try {
        AtomicFileWriter writer(target);
        FAIL("expected io_error");
    } catch (const embedkit::io_error& e) {
        CHECK(e.path() == target);
        CHECK_THAT(e.what(), Catch::Contains(target));
    }
    CHECK(names_in(dir.path()).empty());
}
