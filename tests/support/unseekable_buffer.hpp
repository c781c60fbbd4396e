// A read-only stream buffer over a copy of some bytes that cannot seek, like a pipe: readers
// then cannot learn the input's size in advance and must not trust a header's sizes for their
// allocations. Use it as `UnseekableBuffer buffer(bytes); std::istream in(&buffer);`.
#pragma once

#include <streambuf>
#include <string>
#include <utility>

namespace embedkit::testing {

class UnseekableBuffer : public std::streambuf {
public:
    explicit UnseekableBuffer(std::string bytes) : bytes_(std::move(bytes)) {
        setg(bytes_.data(), bytes_.data(), bytes_.data() + bytes_.size());
    }

private:
    std::string bytes_;
};

}  // namespace embedkit::testing
