// Shared by the libFuzzer targets (tests/fuzz/fuzz_<target>.cpp).
//
// The contract every reader is fuzzed against: any input either parses or throws an exception
// derived from embedkit::error. Anything else is a bug that libFuzzer reports: a crash, a
// sanitizer report, another exception type (it escapes LLVMFuzzerTestOneInput and aborts), a
// hang (-timeout), a huge allocation (-malloc_limit_mb), or a broken invariant (EMBEDKIT_FUZZ_CHECK).
#pragma once

#include <embedkit/errors.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <sys/mman.h>
#include <unistd.h>

namespace embedkit::fuzz {

[[noreturn]] inline void invariant_failed(const char* condition, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", file, line, condition);
    std::abort();
}

#define EMBEDKIT_FUZZ_CHECK(condition) \
    ((condition) ? void(0) : ::embedkit::fuzz::invariant_failed(#condition, __FILE__, __LINE__))

/// Runs `body`; true if it returned, false if it threw an embedkit::error (a clean rejection).
/// Any other exception propagates, and libFuzzer reports it.
template <class Body>
bool accepts(Body&& body) {
    try {
        body();
        return true;
    } catch (const embedkit::error&) {
        return false;
    }
}

/// The fuzzer's bytes as a string.
[[nodiscard]] inline std::string as_string(const std::uint8_t* data, std::size_t size) {
    return std::string(reinterpret_cast<const char*>(data), size);
}

/// An in-memory file (memfd) holding `bytes`, for readers that only take a path. Its path is
/// /proc/self/fd/N.
class MemoryFile {
public:
    explicit MemoryFile(std::string_view bytes) : fd_(::memfd_create("embedkit-fuzz", 0)) {
        if (fd_ < 0) std::abort();
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
            if (n <= 0) std::abort();
            done += static_cast<std::size_t>(n);
        }
        path_ = "/proc/self/fd/" + std::to_string(fd_);
    }
    MemoryFile(const MemoryFile&) = delete;
    MemoryFile& operator=(const MemoryFile&) = delete;
    ~MemoryFile() { ::close(fd_); }

    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    int fd_;
    std::string path_;
};

}  // namespace embedkit::fuzz
