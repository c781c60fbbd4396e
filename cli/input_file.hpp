#pragma once

// Trainers read their input twice (count the vocabulary, then encode the corpus). A path is read
// twice directly; standard input ("-") is first copied to a temporary file that is removed after.

#include <embedkit/errors.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

namespace embedkit::cli {

class InputFile {
public:
    explicit InputFile(const std::string& path) {
        if (path != "-") {
            std::ifstream probe(path, std::ios::binary);
            if (!probe) throw io_error(path, std::string("cannot open the input: ") + std::strerror(errno));
            if (std::filesystem::is_directory(path)) throw io_error(path, "the input is a directory");
            path_ = path;
            return;
        }
        std::string pattern = (std::filesystem::temp_directory_path() / "embedkit-stdin.XXXXXX").string();
        const int fd = ::mkstemp(pattern.data());
        if (fd < 0) throw io_error(pattern, "cannot create a temporary file for standard input");
        ::close(fd);
        path_ = temp_ = pattern;
        std::ofstream out(temp_, std::ios::binary);
        std::vector<char> buffer(1 << 20);
        while (std::cin.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || std::cin.gcount() > 0) {
            out.write(buffer.data(), std::cin.gcount());
        }
        if (!out.flush()) throw io_error(temp_, "cannot write the copy of standard input (disk full?)");
    }
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;
    ~InputFile() {
        if (!temp_.empty()) std::remove(temp_.c_str());
    }

    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
    std::string temp_;
};

}  // namespace embedkit::cli
