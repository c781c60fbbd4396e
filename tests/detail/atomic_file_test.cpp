#include <embedkit/detail/atomic_file.hpp>

#include <catch2/catch.hpp>

#include "support/skip.hpp"
#include "support/temp_dir.hpp"
#include "support/write_failures.hpp"
#include "support/test_files.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using embedkit::detail::AtomicFileWriter;

namespace {

using embedkit::testing::TempDir;

using embedkit::testing::file_bytes;

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
    CHECK(file_bytes(target) == payload);
    CHECK(names_in(dir.path()) == std::vector<std::string>{"out.bin"});

    // A second commit replaces the file as a whole.
    {
        AtomicFileWriter writer(target.string());
        writer.stream() << "short";
        writer.commit();
    }
    CHECK(file_bytes(target) == "short");
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
    CHECK(file_bytes(target) == "old content");
    CHECK(names_in(dir.path()) == std::vector<std::string>{"model.vec"});

    // Same when an exception unwinds through the writer.
    try {
        AtomicFileWriter writer(target.string());
        writer.stream() << "partial";
        throw std::runtime_error("failure mid-write");
    } catch (const std::runtime_error&) {
    }
    CHECK(file_bytes(target) == "old content");
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

TEST_CASE("AtomicFileWriter: unwritable targets give io_error with the reason", "[detail][atomic_file][write_failure]") {
    embedkit::testing::check_unwritable_targets([](const std::string& path) {
        AtomicFileWriter writer(path);
        writer.stream() << std::string(1000, 'x');
        writer.commit();
    });
}

TEST_CASE("AtomicFileWriter: a failed rename keeps what is at the target and removes the temporary file",
          "[detail][atomic_file][write_failure]") {
    const TempDir dir;
    const std::string target = (dir.path() / "out.txt").string();
    {
        AtomicFileWriter writer(target);
        writer.stream() << "new content";
        // Something takes the target's place while the writer works: rename(2) cannot put a file
        // over a non-empty directory.
        fs::create_directory(target);
        embedkit::testing::put_file(target + "/keep", "kept");
        try {
            writer.commit();
            FAIL("expected io_error");
        } catch (const embedkit::io_error& e) {
            CHECK(e.path() == target);
            CHECK_THAT(e.what(), Catch::Contains("cannot rename the temporary file into place"));
        }
        CHECK(fs::is_directory(target));
        CHECK(file_bytes(target + "/keep") == "kept");
        CHECK(names_in(dir.path()).size() == 2);  // the directory, and the temporary file until the writer goes
    }
    CHECK(names_in(dir.path()) == std::vector<std::string>{"out.txt"});
}

TEST_CASE("AtomicFileWriter: devices are written in place, never replaced", "[detail][atomic_file]") {
    if (!embedkit::testing::is_char_device("/dev/null")) EMBEDKIT_SKIP("no /dev/null on this system");
    AtomicFileWriter writer("/dev/null");
    writer.stream() << std::string(100000, 'x');
    writer.commit();
    CHECK(embedkit::testing::is_char_device("/dev/null"));  // as root, a rename would have replaced it
    CHECK_NOTHROW(AtomicFileWriter::check_writable("/dev/null"));
}

TEST_CASE("AtomicFileWriter: a FIFO is written directly and check_writable does not open it", "[detail][atomic_file]") {
    const TempDir dir;
    const std::string fifo = (dir.path() / "pipe").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    AtomicFileWriter::check_writable(fifo);  // would block forever if it opened the FIFO
    std::string received;
    std::thread reader([&] { received = file_bytes(fifo); });
    {
        AtomicFileWriter writer(fifo);
        writer.stream() << "through the pipe";
        writer.commit();
    }
    reader.join();
    CHECK(received == "through the pipe");
}

TEST_CASE("AtomicFileWriter: a symbolic link stays a link to the new content", "[detail][atomic_file]") {
    const TempDir dir;
    const fs::path real = dir.path() / "real.txt";
    const fs::path link = dir.path() / "link.txt";
    embedkit::testing::put_file(real.string(), "old");
    fs::create_symlink(real, link);
    {
        AtomicFileWriter writer(link.string());
        writer.stream() << "new";
        writer.commit();
    }
    CHECK(fs::is_symlink(link));
    CHECK(file_bytes(real) == "new");
    CHECK(file_bytes(link) == "new");
}

TEST_CASE("AtomicFileWriter: check_writable leaves nothing and reports what construction would", "[detail][atomic_file]") {
    const TempDir dir;
    CHECK_NOTHROW(AtomicFileWriter::check_writable((dir.path() / "fine.txt").string()));
    CHECK(names_in(dir.path()).empty());
    CHECK_THROWS_AS(AtomicFileWriter::check_writable((dir.path() / "missing" / "x").string()), embedkit::io_error);
    CHECK_THROWS_WITH(AtomicFileWriter::check_writable(dir.path().string()), Catch::Contains("is a directory"));
    // An empty path would write a temporary file in the working directory, then fail to rename it.
    CHECK_THROWS_WITH(AtomicFileWriter(""), Catch::Contains("the path is empty"));
}

TEST_CASE("AtomicFileWriter: seeking back rewrites in place", "[detail][atomic_file]") {
    const TempDir dir;
    const std::string target = (dir.path() / "out.bin").string();
    {
        AtomicFileWriter writer(target);
        writer.stream() << "HEADER" << std::string(200000, '.');  // past the 64 KiB buffer
        writer.stream().seekp(0);
        writer.stream() << "header";
        writer.commit();
    }
    const std::string content = file_bytes(target);
    CHECK(content.size() == 200006);
    CHECK(content.substr(0, 7) == "header.");
}
