// Targets no file can be written to, shared by the tests of every file writer: the writer must
// throw io_error naming the target it was given, and whatever was at (or around) the target
// before must be byte for byte as it was, with no temporary file left behind.
//
// - a missing directory, and a regular file used as a directory (`file/out`);
// - a directory as the target;
// - no permission: a read-only directory, or, as root (permission bits do not stop root), a path
//   under /sys, which refuses new files even to root;
// - a full disk: /dev/full (a device: written directly, the write fails with ENOSPC) and a
//   file-size limit (RLIMIT_FSIZE, what `ulimit -f` sets) so that writing the temporary file
//   beside an existing target fails with EFBIG, as it would on a full file system.
#pragma once

#include <embedkit/errors.hpp>

#include <catch2/catch.hpp>

#include "support/skip.hpp"
#include "support/temp_dir.hpp"
#include "support/test_files.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace embedkit::testing {

[[nodiscard]] inline bool is_char_device(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

/// Limits the size of files this process writes to `bytes` (as `ulimit -f` does) while it lives;
/// writes past the limit fail with EFBIG instead of raising SIGXFSZ.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &saved_);
        previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limited = saved_;
        limited.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &limited);
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        std::signal(SIGXFSZ, previous_handler_);
    }

private:
    rlimit saved_{};
    void (*previous_handler_)(int) = SIG_DFL;
};

/// Calls `write(path)` for a path that cannot be written; checks that it throws io_error naming
/// `path` (and containing `reason`, if given).
inline void require_io_error(const std::function<void(const std::string&)>& write, const std::string& path,
                             const std::string& reason = "") {
    INFO("target " << path);
    try {
        write(path);
        FAIL("no io_error for " + path);
    } catch (const embedkit::io_error& e) {
        CHECK(e.path() == path);
        CHECK_THAT(e.what(), Catch::Contains(path));
        if (!reason.empty()) CHECK_THAT(e.what(), Catch::Contains(reason));
    }
}

/// Runs `write` against every unwritable target above. `write(path)` must write more than a few
/// bytes (the file-size limit is 1 byte).
inline void check_unwritable_targets(const std::function<void(const std::string&)>& write) {
    namespace fs = std::filesystem;
    const TempDir dir("embedkit_write_failures_");
    const std::string old_content = "the previous file, which must survive\n";

    SECTION("missing directory") {
        require_io_error(write, dir.file("no_such_dir/out.file"), "No such file or directory");
        CHECK(dir.entries().empty());
    }
    SECTION("a file used as a directory") {
        put_file(dir.file("plain"), old_content);
        require_io_error(write, dir.file("plain/out.file"), "Not a directory");
        CHECK(file_bytes(dir.file("plain")) == old_content);
        CHECK(dir.entries() == std::vector<std::string>{"plain"});
    }
    SECTION("a directory as the target") {
        fs::create_directory(dir.file("taken"));
        put_file(dir.file("taken/inside"), old_content);
        require_io_error(write, dir.file("taken"), "is a directory");
        CHECK(fs::is_directory(dir.file("taken")));
        CHECK(file_bytes(dir.file("taken/inside")) == old_content);
        CHECK(dir.entries() == std::vector<std::string>{"taken"});
    }
    SECTION("no permission") {
        if (::geteuid() != 0) {
            fs::create_directory(dir.file("locked"));
            put_file(dir.file("locked/out.file"), old_content);
            fs::permissions(dir.file("locked"), fs::perms::owner_read | fs::perms::owner_exec);
            require_io_error(write, dir.file("locked/out.file"), "Permission denied");
            fs::permissions(dir.file("locked"), fs::perms::owner_all);
            CHECK(file_bytes(dir.file("locked/out.file")) == old_content);
            CHECK(fs::directory_iterator(dir.file("locked"))->path().filename() == "out.file");
        } else if (fs::is_directory("/sys") && ::access("/sys", W_OK) != 0) {
            require_io_error(write, "/sys/embedkit_write_test.out");
            CHECK_FALSE(fs::exists("/sys/embedkit_write_test.out"));
        } else if (fs::is_directory("/sys")) {
            // Root with a /sys that looks writable: try it; the kernel refuses new files there.
            require_io_error(write, "/sys/embedkit_write_test.out");
        } else {
            EMBEDKIT_SKIP("running as root without /sys: no way to test a permission failure here");
        }
    }
    SECTION("disk full: /dev/full") {
        if (!is_char_device("/dev/full")) EMBEDKIT_SKIP("no /dev/full on this system");
        require_io_error(write, "/dev/full", "No space left on device");
        CHECK(is_char_device("/dev/full"));  // written, never replaced
    }
    SECTION("disk full: a file-size limit while writing the temporary file") {
        put_file(dir.file("out.file"), old_content);
        {
            const FileSizeLimit limit(1);
            require_io_error(write, dir.file("out.file"), "File too large");
        }
        CHECK(file_bytes(dir.file("out.file")) == old_content);
        CHECK(dir.entries() == std::vector<std::string>{"out.file"});
    }
}

}  // namespace embedkit::testing
