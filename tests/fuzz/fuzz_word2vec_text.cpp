// libFuzzer target: read_word2vec with VectorFormat::text (see vector_file_checks.hpp).
#include "vector_file_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    embedkit::fuzz::check_vector_reader(embedkit::fuzz::as_string(data, size), embedkit::VectorFormat::text);
    return 0;
}
