#pragma once

#include "embedkit/errors.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <ostream>
#include <streambuf>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace embedkit::detail {

/// `what: strerror(err)`, or `what` alone when `err` is 0.
[[nodiscard]] inline std::string with_errno(const std::string& what, int err) {
    return err != 0 ? what + ": " + std::strerror(err) : what;
}

/// An output stream buffer over a POSIX file descriptor that remembers the errno of the first
/// failed write or seek (std::ofstream only says that something failed, not whether the disk is
/// full). After a failure every later write fails too, so nothing is written past a gap.
class FdOutputBuffer : public std::streambuf {
public:
    FdOutputBuffer() : buffer_(new char[kBufferBytes]) { setp(buffer_.get(), buffer_.get() + kBufferBytes); }
    FdOutputBuffer(const FdOutputBuffer&) = delete;
    FdOutputBuffer& operator=(const FdOutputBuffer&) = delete;

    void attach(int fd) noexcept { fd_ = fd; }
    /// errno of the first failure, 0 if none.
    [[nodiscard]] int error() const noexcept { return error_; }

protected:
    int_type overflow(int_type c) override {
        if (!drain()) return traits_type::eof();
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(c);
            pbump(1);
        }
        return traits_type::not_eof(c);
    }

    std::streamsize xsputn(const char* s, std::streamsize n) override {
        const auto size = static_cast<std::size_t>(n);
        if (size == 0) return 0;  // s may be null (an empty vector's data())
        if (size <= static_cast<std::size_t>(epptr() - pptr())) {
            std::memcpy(pptr(), s, size);
            pbump(static_cast<int>(n));
            return n;
        }
        // Larger than the room left: drain the buffer, then write the block directly.
        if (!drain() || !write_all(s, size)) return 0;
        return n;
    }

    int sync() override { return drain() ? 0 : -1; }

    pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode) override {
        if (!drain()) return pos_type(off_type(-1));
        const int whence = dir == std::ios_base::beg ? SEEK_SET : dir == std::ios_base::cur ? SEEK_CUR : SEEK_END;
        const off_t at = ::lseek(fd_, static_cast<off_t>(off), whence);
        if (at < 0) {
            if (error_ == 0) error_ = errno;
            return pos_type(off_type(-1));
        }
        return pos_type(static_cast<off_type>(at));
    }

    pos_type seekpos(pos_type pos, std::ios_base::openmode which) override {
        return seekoff(off_type(pos), std::ios_base::beg, which);
    }

private:
    static constexpr std::size_t kBufferBytes = std::size_t{1} << 16;

    bool drain() {
        const auto n = static_cast<std::size_t>(pptr() - pbase());
        setp(pbase(), epptr());
        return write_all(pbase(), n);
    }

    bool write_all(const char* p, std::size_t n) {
        if (error_ != 0) return false;
        while (n > 0) {
            const ssize_t written = ::write(fd_, p, n);
            if (written < 0) {
                if (errno == EINTR) continue;
                error_ = errno;
                return false;
            }
            p += written;
            n -= static_cast<std::size_t>(written);
        }
        return true;
    }

    std::unique_ptr<char[]> buffer_;
    int fd_ = -1;
    int error_ = 0;
};

/// Writes a file atomically: the data goes to a temporary file in the same directory, which
/// `commit()` flushes, syncs and renames over the target. If the writer is destroyed without
/// `commit()` (an exception, a failed write) the temporary file is removed and whatever file
/// was at the target before is untouched. Every write, the sync, the close and the rename are
/// checked; the io_error names the target and the system's reason ("No space left on device").
///
/// - A target that is a symbolic link to a regular file: the file it points to is replaced (the
///   temporary file goes beside it), so the link stays a link.
/// - A target that exists and is not a regular file (a character device such as /dev/null or
///   /dev/full, a FIFO, a socket) cannot be replaced: it is written directly, and every write
///   error is still reported. Renaming over it would replace the device node itself (as root,
///   /dev/null would become a regular file).
/// - A target that is a directory, or an empty path: io_error at construction.
class AtomicFileWriter {
public:
    explicit AtomicFileWriter(std::string path) : path_(std::move(path)) {
        const Target target = inspect(path_);
        if (target.special) {
            direct_ = true;
            fd_ = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
            if (fd_ < 0) throw io_error(path_, with_errno("cannot open for writing", errno));
        } else {
            // mkostemp gives a unique name, so two writers of the same target never share a temp file.
            final_path_ = target.final_path;
            std::string pattern = final_path_ + ".tmp.XXXXXX";
            fd_ = ::mkostemp(pattern.data(), O_CLOEXEC);
            if (fd_ < 0) throw io_error(path_, with_errno("cannot create a temporary file in its directory", errno));
            temp_path_ = pattern;
        }
        buffer_.attach(fd_);
    }

    AtomicFileWriter(const AtomicFileWriter&) = delete;
    AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

    ~AtomicFileWriter() {
        if (fd_ >= 0) ::close(fd_);
        if (!committed_ && !direct_) ::unlink(temp_path_.c_str());
    }

    /// The stream to write to. Check nothing: `commit()` reports any failure.
    [[nodiscard]] std::ostream& stream() noexcept { return out_; }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

    /// Flushes, syncs to disk and renames over the target. Throws io_error on any failure
    /// (disk full, permissions ...), in which case the target is left as it was.
    void commit() {
        out_.flush();
        if (!out_ || buffer_.error() != 0) throw io_error(path_, with_errno("write failed", buffer_.error()));
        if (!direct_ && ::fsync(fd_) != 0) throw io_error(path_, with_errno("fsync failed", errno));
        const int fd = std::exchange(fd_, -1);
        if (::close(fd) != 0) throw io_error(path_, with_errno("write failed while closing the file", errno));
        if (direct_) {
            committed_ = true;
            return;
        }
        // mkstemp creates 0600 files; give the result the usual permissions (subject to umask).
        const mode_t mask = ::umask(0);
        ::umask(mask);
        ::chmod(temp_path_.c_str(), 0666 & ~mask);
        if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
            throw io_error(path_, with_errno("cannot rename the temporary file into place", errno));
        }
        committed_ = true;
        sync_directory();
    }

    /// Throws the io_error a writer of `path` would throw at construction (missing directory,
    /// no permission, a directory in the way), leaving nothing behind. A device or FIFO is only
    /// checked for write permission, not opened: opening a FIFO blocks until a reader comes, and
    /// closing it again would end that reader's input.
    static void check_writable(const std::string& path) {
        if (inspect(path).special) {
            if (::access(path.c_str(), W_OK) != 0) throw io_error(path, with_errno("cannot open for writing", errno));
            return;
        }
        AtomicFileWriter probe(path);  // creates a temporary file beside it, removed again
    }

private:
    struct Target {
        bool special = false;    // exists and is neither a regular file nor a directory
        std::string final_path;  // the regular file to replace (a symbolic link resolved)
    };

    static Target inspect(const std::string& path) {
        if (path.empty()) throw io_error(path, "the path is empty");
        Target target;
        target.final_path = path;
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) return target;  // absent: mkstemp will say why it cannot be made
        if (S_ISDIR(st.st_mode)) throw io_error(path, "is a directory, cannot be written as a file");
        if (!S_ISREG(st.st_mode)) {
            target.special = true;
            return target;
        }
        struct stat link {};
        if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
            char resolved[PATH_MAX];
            if (::realpath(path.c_str(), resolved) == nullptr) {
                throw io_error(path, with_errno("cannot resolve the symbolic link", errno));
            }
            target.final_path = resolved;
        }
        return target;
    }

    // Makes the rename itself durable. Best effort: the data is already in place and synced, and
    // some file systems refuse to sync a directory.
    void sync_directory() const noexcept {
        const std::size_t slash = final_path_.find_last_of('/');
        const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : final_path_.substr(0, slash);
        const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return;
        (void)::fsync(fd);
        ::close(fd);
    }

    std::string path_;
    std::string final_path_;
    std::string temp_path_;
    int fd_ = -1;
    FdOutputBuffer buffer_;
    std::ostream out_{&buffer_};
    bool direct_ = false;
    bool committed_ = false;
};

}  // namespace embedkit::detail
