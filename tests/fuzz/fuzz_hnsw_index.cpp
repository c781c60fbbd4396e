// libFuzzer target: HnswIndex::load (embedkit's HNSW index files), through an in-memory file since
// load takes a path. An index that loads must answer queries with ids of its rows, and save and
// load again.
//
// The file ends with a checksum of everything before it, which a mutation almost always breaks,
// and the reader checks the graph before the checksum only as far as sizes go. So each input is
// also tried with its last 8 bytes replaced by the right checksum, to reach the graph checks that
// stand between the file and hnswlib.
#include "fuzz_support.hpp"

#include <embedkit/detail/binary_io.hpp>
#include <embedkit/hnsw/hnsw_index.hpp>

#include <cstring>
#include <optional>
#include <string>

using embedkit::HnswIndex;
using embedkit::fuzz::accepts;

namespace {

void check_index_file(const std::string& bytes) {
    const embedkit::fuzz::MemoryFile file(bytes);
    std::optional<HnswIndex> index;
    if (!accepts([&] { index.emplace(HnswIndex::load(file.path(), 1)); })) return;
    EMBEDKIT_FUZZ_CHECK(index->labels().empty() || static_cast<Eigen::Index>(index->labels().size()) == index->rows());
    for (const float fill : {0.0f, 1.0f, -0.5f}) {
        const embedkit::RowVector<float> query = embedkit::RowVector<float>::Constant(index->dim(), fill);
        for (const auto& n : index->topk(query, 5)) EMBEDKIT_FUZZ_CHECK(n.id >= 0 && n.id < index->rows());
    }
    if (index->rows() > 0) (void)index->row(0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string bytes = embedkit::fuzz::as_string(data, size);
    check_index_file(bytes);
    if (bytes.size() < 8) return 0;
    embedkit::detail::Checksum64 checksum;
    checksum.update(bytes.data(), bytes.size() - 8);
    const std::uint64_t value = checksum.value();  // little-endian on the hosts we fuzz on
    std::memcpy(bytes.data() + bytes.size() - 8, &value, 8);
    check_index_file(bytes);
    return 0;
}
