// libFuzzer target: read_fasttext_bin (fastText's .bin models) from a seekable and from a
// non-seekable stream; the outcome must not depend on which. A model that loads must serve
// vectors for its vocabulary and for unseen words without crashing.
#include "fuzz_support.hpp"
#include "support/unseekable_buffer.hpp"

#include <embedkit/io/fasttext_bin.hpp>

#include <optional>
#include <sstream>

using embedkit::FastTextModel;
using embedkit::fuzz::accepts;

namespace {

std::optional<FastTextModel<float>> read(std::istream& in) {
    std::optional<FastTextModel<float>> model;
    accepts([&] { model = embedkit::read_fasttext_bin<float>(in, "<fuzz>"); });
    return model;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string bytes = embedkit::fuzz::as_string(data, size);
    std::istringstream seekable(bytes);
    const std::optional<FastTextModel<float>> model = read(seekable);
    embedkit::testing::UnseekableBuffer pipe_buffer(bytes);
    std::istream piped(&pipe_buffer);
    const std::optional<FastTextModel<float>> from_pipe = read(piped);
    EMBEDKIT_FUZZ_CHECK(model.has_value() == from_pipe.has_value());
    if (!model) return 0;
    EMBEDKIT_FUZZ_CHECK(model->vocab().size() == from_pipe->vocab().size());
    EMBEDKIT_FUZZ_CHECK(model->input() == from_pipe->input());
    const embedkit::WordVectors<float> vectors = model->vectors(1);
    EMBEDKIT_FUZZ_CHECK(vectors.size() == model->vocab().size());
    // Not checked: that the vectors are finite. Every value is (the reader checks), but a mean of
    // values near FLT_MAX overflows while it is summed; see docs/reliability.md.
    (void)model->word_vector("unseenword");
    (void)model->knows("\xC3\xA9t\xC3\xA9");
    return 0;
}
