// libFuzzer target: Int8Vectors::load and PqVectors::load (embedkit's compressed-vector files),
// through an in-memory file since they take a path. Vectors that load must decode every row and
// answer a query with ids of their rows.
//
// The file ends with a checksum of everything before it, which a mutation almost always breaks.
// So each input is also tried with its last 8 bytes replaced by the right checksum, to reach the
// checks behind it.
#include "fuzz_support.hpp"

#include <embedkit/detail/binary_io.hpp>
#include <embedkit/search/int8_vectors.hpp>
#include <embedkit/search/pq_vectors.hpp>

#include <cstring>
#include <optional>
#include <string>

using embedkit::fuzz::accepts;

namespace {

template <class Vectors>
void check_vectors(const std::string& path) {
    std::optional<Vectors> v;
    if (!accepts([&] { v.emplace(Vectors::load(path)); })) return;
    EMBEDKIT_FUZZ_CHECK(v->labels().empty() || static_cast<Eigen::Index>(v->labels().size()) == v->rows());
    for (Eigen::Index i = 0; i < v->rows(); ++i) (void)v->decode(static_cast<embedkit::TokenId>(i));
    const embedkit::RowVector<float> query = embedkit::RowVector<float>::Ones(v->dim());
    for (const auto& n : v->topk(query, 3)) EMBEDKIT_FUZZ_CHECK(n.id >= 0 && n.id < v->rows());
}

void check_file(const std::string& bytes) {
    const embedkit::fuzz::MemoryFile file(bytes);
    check_vectors<embedkit::Int8Vectors>(file.path());
    check_vectors<embedkit::PqVectors>(file.path());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string bytes = embedkit::fuzz::as_string(data, size);
    check_file(bytes);
    if (bytes.size() < 8) return 0;
    embedkit::detail::Checksum64 checksum;
    checksum.update(bytes.data(), bytes.size() - 8);
    const std::uint64_t value = checksum.value();  // little-endian on the hosts we fuzz on
    std::memcpy(bytes.data() + bytes.size() - 8, &value, 8);
    check_file(bytes);
    return 0;
}
