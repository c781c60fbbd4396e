#pragma once

#include "embedkit/errors.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace embedkit::detail {

/// Writes a file atomically: the data goes to a temporary file in the same directory, which
/// `commit()` flushes, syncs and renames over the target. If the writer is destroyed without
/// `commit()` (an exception, a failed write) the temporary file is removed and whatever file
/// was at the target before is untouched.
class AtomicFileWriter {
public:
    explicit AtomicFileWriter(std::string path, std::ios::openmode mode = std::ios::binary)
        : path_(std::move(path)) {
        // mkstemp gives a unique name, so two writers of the same target never share a temp file.
        std::string pattern = path_ + ".tmp.XXXXXX";
        const int fd = ::mkstemp(pattern.data());
        if (fd < 0) {
            throw io_error(path_, std::string("cannot create a temporary file beside it: ") + std::strerror(errno));
        }
        ::close(fd);
        temp_path_ = pattern;
        out_.open(temp_path_, mode | std::ios::out | std::ios::trunc);
        if (!out_) {
            std::remove(temp_path_.c_str());
            throw io_error(path_, "cannot open temporary file " + temp_path_ + " for writing");
        }
    }

    AtomicFileWriter(const AtomicFileWriter&) = delete;
    AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

    ~AtomicFileWriter() {
        if (!committed_) {
            out_.close();
            std::remove(temp_path_.c_str());
        }
    }

    /// The stream to write to. Check nothing: `commit()` reports any failure.
    [[nodiscard]] std::ostream& stream() noexcept { return out_; }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

    /// Flushes, syncs to disk and renames over the target. Throws io_error on any failure
    /// (disk full, permissions ...), in which case the target is left as it was.
    void commit() {
        out_.flush();
        if (!out_) throw io_error(path_, "write failed (disk full?)");
        out_.close();
        if (out_.fail()) throw io_error(path_, "write failed while closing the file");
        sync_file(temp_path_);
        // mkstemp creates 0600 files; give the result the usual permissions (subject to umask).
        const mode_t mask = ::umask(0);
        ::umask(mask);
        ::chmod(temp_path_.c_str(), 0666 & ~mask);
        if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
            throw io_error(path_, std::string("cannot rename the temporary file into place: ") + std::strerror(errno));
        }
        committed_ = true;
    }

private:
    void sync_file(const std::string& file) {
        const int fd = ::open(file.c_str(), O_RDONLY);
        if (fd < 0) throw io_error(path_, std::string("cannot reopen the temporary file: ") + std::strerror(errno));
        const int rc = ::fsync(fd);
        const int saved = errno;
        ::close(fd);
        if (rc != 0) throw io_error(path_, std::string("fsync failed: ") + std::strerror(saved));
    }

    std::string path_;
    std::string temp_path_;
    std::ofstream out_;
    bool committed_ = false;
};

}  // namespace embedkit::detail
