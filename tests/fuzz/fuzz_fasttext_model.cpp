// libFuzzer target: FastTextModel::load (embedkit's own fastText model files), through an
// in-memory file since load takes a path. A file loads as float and as double or as neither;
// a model that loads must serve vectors.
//
// The file ends with a checksum of everything before it, which a mutation almost always breaks,
// and load checks it before assembling the model. So each input is also tried with its last 8
// bytes replaced by the right checksum, to reach the code behind that check.
#include "fuzz_support.hpp"

#include <embedkit/detail/binary_io.hpp>
#include <embedkit/models/fasttext.hpp>

#include <cstring>
#include <optional>
#include <string>

using embedkit::FastTextModel;
using embedkit::fuzz::accepts;

namespace {

void check_model_file(const std::string& bytes) {
    const embedkit::fuzz::MemoryFile file(bytes);
    std::optional<FastTextModel<float>> model;
    const bool as_float = accepts([&] { model = FastTextModel<float>::load(file.path()); });
    const bool as_double = accepts([&] { (void)FastTextModel<double>::load(file.path()); });
    EMBEDKIT_FUZZ_CHECK(as_float == as_double);
    if (!model) return;
    const embedkit::WordVectors<float> vectors = model->vectors(1);
    EMBEDKIT_FUZZ_CHECK(vectors.size() == model->vocab().size());
    (void)model->word_vector("unseenword");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string bytes = embedkit::fuzz::as_string(data, size);
    check_model_file(bytes);
    if (bytes.size() < 8) return 0;
    embedkit::detail::Checksum64 checksum;
    checksum.update(bytes.data(), bytes.size() - 8);
    const std::uint64_t value = checksum.value();  // little-endian on the hosts we fuzz on
    std::memcpy(bytes.data() + bytes.size() - 8, &value, 8);
    check_model_file(bytes);
    return 0;
}
