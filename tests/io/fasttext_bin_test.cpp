#include <embedkit/io/fasttext_bin.hpp>

#include <catch2/catch.hpp>

#include "support/skip.hpp"
#include "support/temp_dir.hpp"
#include "support/unseekable_buffer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using namespace embedkit;
namespace fs = std::filesystem;

namespace {

using embedkit::testing::TempDir;

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// A hand-made fastText .bin file, written field by field as fastText's save() does.
struct BinSpec {
    bool magic = true;
    std::int32_t version = 12;
    std::int32_t dim = 3;
    std::int32_t model = 2;  // skip-gram
    std::int32_t loss = 2;   // negative sampling
    std::int32_t bucket = 7;
    std::int32_t minn = 2;
    std::int32_t maxn = 3;
    std::vector<std::pair<std::string, std::int64_t>> words = {{"the", 9}, {"</s>", 5}, {"cat", 5}, {"ate", 2}};
    std::int32_t labels = 0;
    std::int64_t pruneidx = -1;
    bool quantized = false;
    std::int64_t input_rows = -1;  // -1: words + bucket
    std::int64_t input_cols = -1;  // -1: dim
    std::int64_t output_rows = -1;
    std::size_t cut = 0;  // bytes removed from the end
    std::string trailing;

    [[nodiscard]] float value(std::int64_t row, std::int64_t col) const {
        return static_cast<float>(0.25 * std::sin(0.7 * static_cast<double>(row) + 1.3 * static_cast<double>(col)) + 0.01 * static_cast<double>(row));
    }

    [[nodiscard]] std::string bytes() const {
        std::ostringstream out;
        auto i32 = [&](std::int32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
        auto i64 = [&](std::int64_t v) { out.write(reinterpret_cast<const char*>(&v), 8); };
        auto f64 = [&](double v) { out.write(reinterpret_cast<const char*>(&v), 8); };
        auto u8 = [&](std::uint8_t v) { out.put(static_cast<char>(v)); };
        if (magic) {
            i32(kFastTextBinMagic);
            i32(version);
        }
        for (std::int32_t v : {dim, 5, 1, 1, 5, 1, loss, model, bucket, minn, maxn, 100}) i32(v);
        f64(1e-4);
        const auto nwords = static_cast<std::int32_t>(words.size());
        i32(nwords + labels);
        i32(nwords);
        i32(labels);
        i64(1000);
        if (magic) i64(pruneidx);
        for (const auto& [w, c] : words) {
            out.write(w.data(), static_cast<std::streamsize>(w.size()));
            out.put('\0');
            i64(c);
            u8(0);
        }
        for (std::int32_t l = 0; l < labels; ++l) {
            out.write("__label__x", 10);
            out.put('\0');
            i64(1);
            u8(1);
        }
        auto matrix = [&](std::int64_t rows, std::int64_t cols, std::int64_t real_rows) {
            i64(rows);
            i64(cols);
            for (std::int64_t r = 0; r < real_rows; ++r) {
                for (std::int64_t c = 0; c < dim; ++c) {
                    const float v = value(r, c);
                    out.write(reinterpret_cast<const char*>(&v), 4);
                }
            }
        };
        if (magic) u8(quantized ? 1 : 0);
        const std::int64_t in_rows = nwords + bucket;
        matrix(input_rows < 0 ? in_rows : input_rows, input_cols < 0 ? dim : input_cols, in_rows);
        if (magic) u8(0);
        matrix(output_rows < 0 ? nwords : output_rows, dim, nwords);
        std::string s = out.str() + trailing;
        return s.substr(0, s.size() - cut);
    }
};

/// fastText's vector of `word` for a BinSpec model, computed directly from its definition.
std::vector<double> expected_vector(const BinSpec& spec, const std::string& word) {
    std::vector<std::int64_t> rows;
    std::int64_t id = -1;
    for (std::size_t i = 0; i < spec.words.size(); ++i) {
        if (spec.words[i].first == word) id = static_cast<std::int64_t>(i);
    }
    if (id >= 0) rows.push_back(id);
    if (word != "</s>" && spec.maxn > 0) {
        for (const std::int32_t b : ngram_buckets(word, {spec.minn, spec.maxn, spec.bucket})) {
            rows.push_back(static_cast<std::int64_t>(spec.words.size()) + b);
        }
    }
    std::vector<double> v(static_cast<std::size_t>(spec.dim), 0.0);
    for (const std::int64_t r : rows) {
        for (std::int32_t c = 0; c < spec.dim; ++c) v[static_cast<std::size_t>(c)] += spec.value(r, c);
    }
    for (auto& x : v) x = rows.empty() ? 0.0 : x / static_cast<double>(rows.size());
    return v;
}

std::string error_of(const std::string& bytes) {
    std::istringstream in(bytes);
    try {
        (void)read_fasttext_bin<float>(in, "model.bin");
    } catch (const io_error& e) {
        return e.what();
    }
    return "no error";
}

bool fasttext_installed() { return std::system("command -v fasttext > /dev/null 2>&1") == 0; }

}  // namespace

TEST_CASE("fasttext .bin: a hand-made model gives fastText's vectors", "[fasttext_bin]") {
    for (const int version : {12, 11, 0}) {
        INFO((version > 0 ? "version " + std::to_string(version) : std::string("old format without magic number")));
        BinSpec spec;
        spec.magic = version > 0;
        spec.version = version;
        std::istringstream in(spec.bytes());
        const auto model = read_fasttext_bin<float>(in, "model.bin");
        CHECK(model.dim() == 3);
        CHECK(model.dense());
        CHECK(model.vocab().size() == 4);
        CHECK(model.subwords().minn == 2);
        CHECK(model.subwords().maxn == 3);
        CHECK(model.subwords().buckets == 7);
        CHECK(model.input().rows() == 4 + 7);
        for (const std::string w : {"the", "cat", "ate", "</s>", "dog", "cats", "x", "\xC3\xA9t\xC3\xA9"}) {
            INFO(w);
            const auto expected = expected_vector(spec, w);
            const auto got = model.word_vector(w);
            for (int c = 0; c < 3; ++c) CHECK(got[c] == Approx(expected[static_cast<std::size_t>(c)]).margin(1e-6));
        }
        // "</s>" has no n-grams: its vector is its own row.
        CHECK(model.word_rows(model.vocab().at("</s>")).size() == 1);
    }
}

TEST_CASE("fasttext .bin: words keep their vectors when the vocabulary reorders them", "[fasttext_bin]") {
    BinSpec spec;
    // fastText's order has ties in any order; embedkit orders ties by bytes ("ate" < "cat").
    spec.words = {{"the", 9}, {"cat", 5}, {"ant", 5}, {"ate", 2}};
    std::istringstream in(spec.bytes());
    const auto model = read_fasttext_bin<float>(in, "model.bin");
    CHECK(model.vocab().words() == std::vector<std::string>{"the", "ant", "cat", "ate"});
    for (const std::string w : {"the", "cat", "ant", "ate"}) {
        const auto expected = expected_vector(spec, w);
        const auto got = model.word_vector(w);
        for (int c = 0; c < 3; ++c) CHECK(got[c] == Approx(expected[static_cast<std::size_t>(c)]).margin(1e-6));
    }
}

TEST_CASE("fasttext .bin: a model without n-grams keeps only the word rows", "[fasttext_bin]") {
    BinSpec spec;
    spec.maxn = 0;
    spec.minn = 0;
    std::istringstream in(spec.bytes());
    const auto model = read_fasttext_bin<float>(in, "model.bin");
    CHECK_FALSE(model.subwords().enabled());
    CHECK(model.input().rows() == 4);
    CHECK(model.word_vector("cat")[0] == Approx(spec.value(2, 0)));
    CHECK(model.word_vector("dog").isZero(0));
}

TEST_CASE("fasttext .bin: malformed files get a clear error", "[fasttext_bin]") {
    BinSpec ok;
    REQUIRE(error_of(ok.bytes()) == "no error");

    std::string wrong_magic = ok.bytes();
    const std::int32_t bad = 123456789;
    std::memcpy(wrong_magic.data(), &bad, 4);
    CHECK_THAT(error_of(wrong_magic), Catch::Contains("wrong magic number"));
    CHECK_THAT(error_of("this is a text file, not a model at all, with enough bytes for a header....."),
               Catch::Contains("wrong magic number"));

    BinSpec version = ok;
    version.version = 13;
    CHECK_THAT(error_of(version.bytes()), Catch::Contains("unsupported fastText model version 13"));
    version.version = 10;
    CHECK_THAT(error_of(version.bytes()), Catch::Contains("unsupported fastText model version 10"));

    BinSpec truncated = ok;
    truncated.cut = 20;  // into the output matrix (4 words x 3 floats)
    CHECK_THAT(error_of(truncated.bytes()), Catch::Contains("truncated"));
    CHECK_THAT(error_of(truncated.bytes()), Catch::Contains("output matrix"));
    truncated.cut = 1 + 16 + 4 * 3 * 4 + 20;  // past the output section, into the input matrix
    CHECK_THAT(error_of(truncated.bytes()), Catch::Contains("truncated"));
    CHECK_THAT(error_of(truncated.bytes()), Catch::Contains("input matrix"));
    CHECK_THAT(error_of(ok.bytes().substr(0, 30)), Catch::Contains("truncated"));
    CHECK_THAT(error_of(""), Catch::Contains("truncated"));

    BinSpec rows = ok;
    rows.input_rows = 10;  // the header says 4 words + 7 buckets
    CHECK_THAT(error_of(rows.bytes()), Catch::Contains("sizes do not match"));
    BinSpec cols = ok;
    cols.input_cols = 4;
    CHECK_THAT(error_of(cols.bytes()), Catch::Contains("sizes do not match"));
    BinSpec out_rows = ok;
    out_rows.output_rows = 5;
    CHECK_THAT(error_of(out_rows.bytes()), Catch::Contains("output matrix"));

    BinSpec trailing = ok;
    trailing.trailing = "xyz";
    CHECK_THAT(error_of(trailing.bytes()), Catch::Contains("unexpected bytes"));
    BinSpec quantized = ok;
    quantized.quantized = true;
    CHECK_THAT(error_of(quantized.bytes()), Catch::Contains("quantized"));
    BinSpec pruned = ok;
    pruned.pruneidx = 3;
    CHECK_THAT(error_of(pruned.bytes()), Catch::Contains("pruned"));
    BinSpec supervised = ok;
    supervised.labels = 1;
    CHECK_THAT(error_of(supervised.bytes()), Catch::Contains("supervised"));
    BinSpec duplicate = ok;
    duplicate.words = {{"the", 9}, {"cat", 5}, {"the", 2}};
    CHECK_THAT(error_of(duplicate.bytes()), Catch::Contains("duplicate"));
    BinSpec spaced = ok;
    spaced.words = {{"the", 9}, {"c t", 5}};
    CHECK_THAT(error_of(spaced.bytes()), Catch::Contains("whitespace"));
    BinSpec minmax = ok;
    minmax.minn = 4;
    CHECK_THAT(error_of(minmax.bytes()), Catch::Contains("minn"));

    // Errors name the file and the byte offset.
    CHECK_THAT(error_of(rows.bytes()), Catch::StartsWith("model.bin: at byte "));
    CHECK_THROWS_WITH(read_fasttext_bin<float>("/nonexistent/model.bin"), Catch::Contains("cannot open"));
}

TEST_CASE("fasttext .bin: sizes in a lying header are never allocated, seekable or not", "[fasttext_bin]") {
    // Regressions: the dictionary was reserved for the header's word count (2^31 - 1 entries:
    // 80 GB), and from a pipe, where the file size is unknown, the input matrix was allocated for
    // the header's rows before a byte of it was read. Both now fail with an io_error.
    const std::string ok = BinSpec{}.bytes();  // 4 words, 7 buckets, dim 3
    auto patch32 = [](std::string bytes, std::size_t offset, std::int32_t v) {
        return bytes.replace(offset, 4, reinterpret_cast<const char*>(&v), 4);
    };
    auto patch64 = [](std::string bytes, std::size_t offset, std::int64_t v) {
        return bytes.replace(offset, 8, reinterpret_cast<const char*>(&v), 8);
    };
    auto piped_error = [](const std::string& bytes) -> std::string {
        embedkit::testing::UnseekableBuffer buffer(bytes);
        std::istream in(&buffer);
        try {
            (void)read_fasttext_bin<float>(in, "pipe");
        } catch (const io_error& e) {
            return e.what();
        }
        return "no error";
    };
    // Layout: magic, version, 12 int32 args, double t (64 bytes); then int32 size, nwords, nlabels.
    constexpr std::size_t kBucket = 8 + 8 * 4;
    constexpr std::size_t kDictionarySize = 64;
    const std::int32_t huge = std::numeric_limits<std::int32_t>::max();
    const std::string many_words = patch32(patch32(ok, kDictionarySize, huge), kDictionarySize + 4, huge);
    // (The bytes after the 4 real entries do not form a fifth one: any io_error will do.)
    CHECK_THAT(error_of(many_words), Catch::StartsWith("model.bin: at byte "));
    CHECK_THAT(piped_error(many_words), Catch::StartsWith("pipe: at byte "));

    // dim 10^6 and 2^30 buckets, with an input matrix shape that agrees: 4 + 2^30 rows of 10^6
    // floats, 4 PB, which no allocator grants (a smaller lie might be granted lazily and never
    // noticed). The input matrix's shape follows the dictionary and the quantization flag.
    constexpr std::size_t kDim = 8;
    const std::size_t dictionary_end = kDictionarySize + 12 + 8 + 8 + (4 + 9) * 2 + (5 + 9) + (4 + 9);
    const std::int64_t rows = 4 + (std::int64_t{1} << 30);
    std::string many_buckets = patch32(patch32(ok, kBucket, 1 << 30), kDim, 1'000'000);
    many_buckets = patch64(patch64(many_buckets, dictionary_end + 1, rows), dictionary_end + 9, 1'000'000);
    CHECK_THAT(error_of(many_buckets), Catch::Contains("truncated file: the input matrix needs"));
    CHECK_THAT(piped_error(many_buckets), Catch::Contains("truncated file: it ends inside the input matrix"));
    // The unpatched file reads the same through a pipe.
    CHECK(piped_error(ok) == "no error");
}

TEST_CASE("fasttext .bin: read_fasttext_model detects embedkit's and fastText's files", "[fasttext_bin]") {
    const TempDir dir;
    BinSpec spec;
    write_file(dir.file("ft.bin"), spec.bytes());
    const auto from_bin = read_fasttext_model<float>(dir.file("ft.bin"));
    from_bin.save(dir.file("ours.ekft"));
    const auto ours = read_fasttext_model<float>(dir.file("ours.ekft"));
    CHECK(ours.dense());
    for (const std::string w : {"the", "cat", "dog"}) CHECK(ours.word_vector(w) == from_bin.word_vector(w));
    const auto header = read_fasttext_bin_header(dir.file("ft.bin"));
    CHECK(header.version == 12);
    CHECK(header.dim == 3);
    CHECK(header.bucket == 7);
    CHECK(header.words == 4);
    CHECK(header.model == 2);
}

TEST_CASE("fasttext .bin: vectors equal `fasttext print-word-vectors` for a model fastText trains", "[fasttext_bin]") {
    if (!fasttext_installed()) EMBEDKIT_SKIP("the fasttext binary is not installed (Debian package fasttext)");
    const TempDir dir;
    // A small corpus with several lines (so fastText adds "</s>") and multi-byte words.
    {
        std::ofstream out(dir.file("corpus.txt"), std::ios::binary);
        detail::Rng rng(5);
        const std::vector<std::string> stems = {"walk", "talk", "jump", "caf\xC3\xA9", "na\xC3\xAFve", "stra\xC3\x9f" "e",
                                                "\xE6\x97\xA5\xE6\x9C\xAC", "run", "play", "read"};
        const std::vector<std::string> suffixes = {"", "s", "ed", "ing"};
        for (int line = 0; line < 400; ++line) {
            for (int k = 0; k < 12; ++k) {
                out << stems[rng.below(stems.size())] << suffixes[rng.below(suffixes.size())] << ' ';
            }
            out << '\n';
        }
    }
    const std::vector<std::string> queries = {"walk", "talked", "caf\xC3\xA9s", "</s>", "walkers", "unseenword",
                                              "na\xC3\xAFvety", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "x", "q"};
    {
        std::ofstream out(dir.file("queries.txt"), std::ios::binary);
        for (const auto& q : queries) out << q << '\n';
    }
    struct Run {
        const char* name;
        const char* args;
    };
    const Run runs[] = {
        {"skipgram, negative sampling, minn 2 maxn 4", "skipgram -minn 2 -maxn 4 -bucket 20000"},
        {"cbow, hierarchical softmax, minn 3 maxn 6", "cbow -loss hs -minn 3 -maxn 6 -bucket 5000"},
        {"skipgram without n-grams", "skipgram -maxn 0 -bucket 1000"},
    };
    for (const auto& run : runs) {
        INFO(run.name);
        const std::string model = dir.file("model");
        const std::string train = std::string("fasttext ") + run.args + " -input " + dir.file("corpus.txt") +
                                  " -output " + model + " -dim 10 -epoch 2 -minCount 3 -thread 1 -verbose 0 > " +
                                  dir.file("train.log") + " 2>&1";
        REQUIRE(std::system(train.c_str()) == 0);
        const std::string print = "fasttext print-word-vectors " + model + ".bin < " + dir.file("queries.txt") + " > " +
                                  dir.file("expected.txt") + " 2> " + dir.file("print.log");
        REQUIRE(std::system(print.c_str()) == 0);
        const auto ours = read_fasttext_bin<float>(model + ".bin");
        CHECK(ours.vocab().contains("</s>"));
        std::ifstream expected(dir.file("expected.txt"), std::ios::binary);
        std::string line;
        std::size_t lines = 0;
        while (std::getline(expected, line)) {
            std::istringstream fields(line);
            std::string word;
            fields >> word;
            INFO(word);
            REQUIRE(lines < queries.size());
            CHECK(word == queries[lines]);
            const auto v = ours.word_vector(word);
            double x = 0;
            int c = 0;
            while (fields >> x) {
                REQUIRE(c < 10);
                // 1e-5, or half a unit of the 5th significant digit fastText prints when that is larger (|x| >= 1).
                const double printed = x == 0 ? 0.0 : 0.5 * std::pow(10.0, std::floor(std::log10(std::abs(x))) - 4);
                CHECK(std::abs(static_cast<double>(v[c]) - x) <= std::max(1e-5, printed * 1.0001));
                ++c;
            }
            CHECK(c == 10);
            ++lines;
        }
        CHECK(lines == queries.size());
    }
}
