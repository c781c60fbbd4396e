#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace embedkit {

/// Base of every exception embedkit throws; catch this to catch them all.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// An options aggregate failed `validate()`; the message names the field and the value.
class invalid_options : public error {
public:
    using error::error;
};

/// A bad argument to a function (shape mismatch, k <= 0, NaN in a query, unknown word ...).
class invalid_argument : public error {
public:
    using error::error;
};

/// Reading or writing a file failed. The message names the file and, where known, the line or record.
class io_error : public error {
public:
    explicit io_error(const std::string& message) : error(message) {}
    io_error(const std::string& path, const std::string& what)
        : error(path + ": " + what), path_(path) {}
    io_error(const std::string& path, std::uint64_t line, const std::string& what)
        : error(path + ":" + std::to_string(line) + ": " + what), path_(path), line_(line) {}

    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    /// 1-based line (text formats) or record (binary formats); 0 when not applicable.
    [[nodiscard]] std::uint64_t line() const noexcept { return line_; }

private:
    std::string path_;
    std::uint64_t line_ = 0;
};

/// Training produced NaN or Inf (typically: learning rate too high).
class numeric_error : public error {
public:
    using error::error;
};

/// A long operation was stopped by its progress callback.
class cancelled : public error {
public:
    using error::error;
};

}  // namespace embedkit
