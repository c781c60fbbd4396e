#include "embedkit/io/word2vec_format.hpp"

#include "embedkit/detail/rng.hpp"

#include <catch2/catch.hpp>

#include "support/skip.hpp"
#include "support/temp_dir.hpp"
#include "support/unseekable_buffer.hpp"
#include "support/write_failures.hpp"

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using embedkit::io_error;
using embedkit::ReadVectorsOptions;
using embedkit::RowMatrix;
using embedkit::TokenId;
using embedkit::VectorFormat;
using embedkit::WordVectors;
using Catch::Matchers::Contains;

using embedkit::testing::TempDir;

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

std::string f32_bytes(const std::vector<float>& values) {
    std::string out(values.size() * 4, '\0');
    for (std::size_t i = 0; i < values.size(); ++i) {
        std::uint32_t bits = 0;
        std::memcpy(&bits, &values[i], 4);
        for (int b = 0; b < 4; ++b) out[4 * i + static_cast<std::size_t>(b)] = static_cast<char>((bits >> (8 * b)) & 0xff);
    }
    return out;
}

const std::vector<std::string> kUtf8Words = {"naïve", "東京", "😀", "Ωmega", "Straße", "добрый", "ἀρχή"};

std::vector<std::string> make_words(std::size_t n) {
    std::vector<std::string> words;
    for (std::size_t i = 0; i < n; ++i) {
        words.push_back(i < kUtf8Words.size() ? kUtf8Words[i] : "w" + std::to_string(i));
    }
    return words;
}

/// Random values over many magnitudes (signs, tiny, huge, subnormal, extremes) for scalar S.
template <class S>
WordVectors<S> random_vectors(std::size_t n, Eigen::Index dim, std::uint64_t seed) {
    embedkit::detail::Rng rng(seed);
    const int max_exp = std::is_same_v<S, float> ? 36 : 300;
    RowMatrix<S> m(static_cast<Eigen::Index>(n), dim);
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
        for (Eigen::Index j = 0; j < m.cols(); ++j) {
            const int exponent = static_cast<int>(rng.below(static_cast<std::uint64_t>(2 * max_exp + 1))) - max_exp;
            m(i, j) = rng.normal<S>() * std::pow(S(10), static_cast<S>(exponent));
        }
    }
    // Special values in the first rows.
    const S specials[] = {S(-0.0),
                          std::numeric_limits<S>::denorm_min(),
                          -std::numeric_limits<S>::denorm_min(),
                          std::numeric_limits<S>::min(),
                          std::numeric_limits<S>::max(),
                          std::numeric_limits<S>::lowest(),
                          std::numeric_limits<S>::epsilon(),
                          S(1) / S(3),
                          S(0.1)};
    Eigen::Index k = 0;
    for (const S v : specials) {
        m(k / dim % m.rows(), k % dim) = v;
        ++k;
    }
    return WordVectors<S>(make_words(n), std::move(m));
}

template <class S>
bool bit_equal(const RowMatrix<S>& a, const RowMatrix<S>& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           std::memcmp(a.data(), b.data(), sizeof(S) * static_cast<std::size_t>(a.size())) == 0;
}

template <class F>
io_error catch_io_error(F&& f) {
    try {
        f();
    } catch (const io_error& e) {
        return e;
    }
    FAIL("expected an embedkit::io_error");
    throw std::logic_error("unreachable");
}

/// Writes `content` to a file, reads it, and checks the io_error names the file, `line` and `what`.
void check_malformed(const std::string& content, std::uint64_t line, const std::string& what,
                     VectorFormat format = VectorFormat::automatic) {
    TempDir dir;
    const std::string path = dir.file("bad.vec");
    write_bytes(path, content);
    ReadVectorsOptions options;
    options.format = format;
    const io_error e = catch_io_error([&] { (void)embedkit::read_word2vec<float>(path, options); });
    INFO("message: " << e.what());
    CHECK_THAT(e.what(), Contains(path + ":" + std::to_string(line) + ": "));
    CHECK_THAT(e.what(), Contains(what));
    CHECK(e.path() == path);
    CHECK(e.line() == line);
}

}  // namespace

TEST_CASE("word2vec text round trip is bit-exact for float", "[io][word2vec]") {
    TempDir dir;
    const auto vectors = random_vectors<float>(60, 17, 11);
    const std::string path = dir.file("vectors.vec");
    embedkit::write_word2vec(path, vectors, VectorFormat::text);
    CHECK(embedkit::detect_vector_format(path) == VectorFormat::text);
    const auto back = embedkit::read_word2vec<float>(path);
    CHECK(back.words() == vectors.words());
    CHECK(bit_equal(back.matrix(), vectors.matrix()));
    CHECK(std::signbit(back.matrix()(0, 0)));  // -0 stays negative
    CHECK(back.at("東京") == 1);
}

TEST_CASE("word2vec text round trip is bit-exact for double", "[io][word2vec]") {
    TempDir dir;
    const auto vectors = random_vectors<double>(40, 9, 12);
    const std::string path = dir.file("vectors.txt");
    embedkit::write_word2vec(path, vectors);
    const auto back = embedkit::read_word2vec<double>(path);
    CHECK(back.words() == vectors.words());
    CHECK(bit_equal(back.matrix(), vectors.matrix()));
    // The first line is the header "count dim".
    const std::string bytes = read_bytes(path);
    CHECK(bytes.substr(0, bytes.find('\n')) == "40 9");
}

TEST_CASE("word2vec binary round trip is bit-exact", "[io][word2vec]") {
    TempDir dir;
    SECTION("float") {
        const auto vectors = random_vectors<float>(50, 23, 13);
        const std::string path = dir.file("vectors.bin");
        embedkit::write_word2vec(path, vectors, VectorFormat::binary);
        CHECK(embedkit::detect_vector_format(path) == VectorFormat::binary);
        const auto back = embedkit::read_word2vec<float>(path);
        CHECK(back.words() == vectors.words());
        CHECK(bit_equal(back.matrix(), vectors.matrix()));
        // Layout: header, then word, space, 23 float32, '\n' per record.
        std::size_t expected = std::string("50 23\n").size();
        for (const auto& w : vectors.words()) expected += w.size() + 1 + 23 * 4 + 1;
        CHECK(read_bytes(path).size() == expected);
    }
    SECTION("double values that float32 holds exactly, and rounding of the others") {
        auto vectors = random_vectors<float>(30, 8, 14);
        const RowMatrix<double> exact = vectors.matrix().cast<double>();
        const std::string path = dir.file("exact.bin");
        embedkit::write_word2vec(path, WordVectors<double>(vectors.words(), exact), VectorFormat::automatic);
        const auto back = embedkit::read_word2vec<double>(path);
        CHECK(bit_equal(back.matrix(), exact));

        RowMatrix<double> fine(2, 3);
        fine << 0.1, -1.0 / 3.0, 1e-5, 2.0 / 3.0, 12345.678901, -7e-20;
        embedkit::write_word2vec(path, WordVectors<double>({"a", "b"}, fine), VectorFormat::binary);
        const auto rounded = embedkit::read_word2vec<double>(path);
        for (Eigen::Index i = 0; i < 2; ++i) {
            for (Eigen::Index j = 0; j < 3; ++j) CHECK(rounded.matrix()(i, j) == double(float(fine(i, j))));
        }
    }
}

TEST_CASE("word2vec binary reads records with and without word2vec.c's newline", "[io][word2vec]") {
    TempDir dir;
    const std::vector<std::vector<float>> rows = {{1.5f, -2.25f, 3e-30f, 4e30f}, {0.0f, -0.5f, 7.0f, 1e-40f},
                                                  {10.0f, 20.0f, 30.0f, -40.0f}};
    const std::vector<std::string> words = {"alpha", "β", "gamma"};
    auto build = [&](const std::string& before_word, const std::string& after_values) {
        std::string bytes = "3 4\n";
        for (std::size_t i = 0; i < rows.size(); ++i) bytes += before_word + words[i] + " " + f32_bytes(rows[i]) + after_values;
        return bytes;
    };
    const std::string path = dir.file("v.bin");
    for (const auto& [before, after] : std::vector<std::pair<std::string, std::string>>{
             {"", "\n"}, {"", ""}, {"\n", ""}, {"\n\n", "\n"}}) {
        write_bytes(path, build(before, after));
        INFO("before word: " << before.size() << " newlines, after values: " << after.size());
        CHECK(embedkit::detect_vector_format(path) == VectorFormat::binary);
        const auto v = embedkit::read_word2vec<float>(path);
        REQUIRE(v.size() == 3);
        CHECK(v.words() == words);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            for (std::size_t j = 0; j < 4; ++j) {
                CHECK(v.matrix()(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) == rows[i][j]);
            }
        }
    }
}

TEST_CASE("word2vec limit reads only the first vectors", "[io][word2vec]") {
    TempDir dir;
    const auto vectors = random_vectors<float>(20, 6, 15);
    for (const VectorFormat format : {VectorFormat::text, VectorFormat::binary}) {
        const std::string path = dir.file(format == VectorFormat::text ? "v.txt" : "v.bin");
        embedkit::write_word2vec(path, vectors, format);
        // Garbage after the 5th record must not matter when only 5 are read.
        std::string bytes = read_bytes(path);
        std::size_t cut = bytes.find('\n') + 1;
        for (int r = 0; r < 5; ++r) {
            cut = format == VectorFormat::text
                      ? bytes.find('\n', cut) + 1
                      : bytes.find(' ', cut) + 1 + 6 * 4 + 1;
        }
        write_bytes(path, bytes.substr(0, cut) + "\x01garbage that is neither format");
        ReadVectorsOptions options;
        options.limit = 5;
        const auto head = embedkit::read_word2vec<float>(path, options);
        REQUIRE(head.size() == 5);
        CHECK(head.dim() == 6);
        for (TokenId i = 0; i < 5; ++i) CHECK(head.word(i) == vectors.word(i));
        CHECK(bit_equal<float>(head.matrix(), vectors.matrix().topRows(5)));
        // A limit beyond the count reads everything (and then checks the end of the file).
        embedkit::write_word2vec(path, vectors, format);
        options.limit = 1000;
        const auto all = embedkit::read_word2vec<float>(path, options);
        CHECK(all.size() == 20);
        CHECK(bit_equal(all.matrix(), vectors.matrix()));
    }
}

TEST_CASE("word2vec files larger than the reader's 1 MiB chunks", "[io][word2vec]") {
    TempDir dir;
    const auto vectors = random_vectors<float>(6000, 50, 23);  // binary ~1.2 MB, text ~4 MB
    for (const VectorFormat format : {VectorFormat::text, VectorFormat::binary}) {
        const std::string path = dir.file("big");
        embedkit::write_word2vec(path, vectors, format);
        REQUIRE(fs::file_size(path) > (std::uintmax_t{1} << 20));
        const auto back = embedkit::read_word2vec<float>(path);
        CHECK(back.words() == vectors.words());
        CHECK(bit_equal(back.matrix(), vectors.matrix()));
        ReadVectorsOptions options;
        options.limit = 5999;
        CHECK(embedkit::read_word2vec<float>(path, options).size() == 5999);
    }
}

TEST_CASE("word2vec format is detected and can be forced", "[io][word2vec]") {
    TempDir dir;
    const std::string path = dir.file("v");
    SECTION("binary files of every small dimension") {
        // Random float bytes must never pass for text, whatever the dimension.
        for (Eigen::Index dim = 1; dim <= 8; ++dim) {
            for (std::uint64_t seed = 0; seed < 25; ++seed) {
                embedkit::detail::Rng rng(embedkit::detail::stream_seed(16, static_cast<std::uint64_t>(dim) * 100 + seed));
                RowMatrix<float> m(3, dim);
                for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = rng.uniform<float>() * 2 - 1;
                embedkit::write_word2vec(path, WordVectors<float>({"a", "bb", "ccc"}, m), VectorFormat::binary);
                INFO("dim " << dim << " seed " << seed);
                CHECK(embedkit::detect_vector_format(path) == VectorFormat::binary);
                CHECK(bit_equal(embedkit::read_word2vec<float>(path).matrix(), m));
            }
        }
    }
    SECTION("fastText .vec style: trailing space, CRLF, tabs, '+' signs and %lf values") {
        write_bytes(path, "2 3\r\nthe 0.100000 -0.200000 +3e2 \r\nof\t1\t2.5\t-3 \r\n");
        CHECK(embedkit::detect_vector_format(path) == VectorFormat::text);
        const auto v = embedkit::read_word2vec<double>(path);
        REQUIRE(v.size() == 2);
        CHECK(v.words() == std::vector<std::string>{"the", "of"});
        CHECK(v.matrix()(0, 0) == 0.1);
        CHECK(v.matrix()(0, 1) == -0.2);
        CHECK(v.matrix()(0, 2) == 300.0);
        CHECK(v.matrix()(1, 1) == 2.5);
        CHECK(v.matrix()(1, 2) == -3.0);
    }
    SECTION("a UTF-8 byte order mark before the header is skipped") {
        write_bytes(path, "\xEF\xBB\xBF" "1 2\nx 1 2\n");
        CHECK(embedkit::read_word2vec<float>(path).size() == 1);
    }
    SECTION("forcing the wrong format gives an error, forcing the right one works") {
        const auto vectors = random_vectors<float>(4, 5, 17);
        embedkit::write_word2vec(path, vectors, VectorFormat::binary);
        ReadVectorsOptions options;
        options.format = VectorFormat::text;
        const io_error e = catch_io_error([&] { (void)embedkit::read_word2vec<float>(path, options); });
        CHECK_THAT(e.what(), Contains(path + ":2: "));
        options.format = VectorFormat::binary;
        CHECK(bit_equal(embedkit::read_word2vec<float>(path, options).matrix(), vectors.matrix()));
    }
    SECTION("writing with automatic format picks binary for .bin") {
        const auto vectors = random_vectors<float>(3, 4, 18);
        embedkit::write_word2vec(dir.file("a.bin"), vectors, VectorFormat::automatic);
        embedkit::write_word2vec(dir.file("a.vec"), vectors, VectorFormat::automatic);
        CHECK(embedkit::detect_vector_format(dir.file("a.bin")) == VectorFormat::binary);
        CHECK(embedkit::detect_vector_format(dir.file("a.vec")) == VectorFormat::text);
    }
    SECTION("detecting a missing or header-only file throws io_error naming it") {
        const io_error missing = catch_io_error([&] { (void)embedkit::detect_vector_format(dir.file("none")); });
        CHECK_THAT(missing.what(), Contains(dir.file("none")));
        write_bytes(path, "3 4\n");
        const io_error empty = catch_io_error([&] { (void)embedkit::detect_vector_format(path); });
        CHECK_THAT(empty.what(), Contains(path + ":2: "));
    }
}

TEST_CASE("word2vec reads values out of float range as documented", "[io][word2vec]") {
    TempDir dir;
    const std::string path = dir.file("v.txt");
    write_bytes(path, "1 3\nw 1e-50 -1e-46 1e-40\n");
    const auto as_float = embedkit::read_word2vec<float>(path);
    CHECK(as_float.matrix()(0, 0) == 0.0f);  // underflow becomes the nearest float
    CHECK(as_float.matrix()(0, 1) == 0.0f);
    CHECK(std::signbit(as_float.matrix()(0, 1)));
    CHECK(as_float.matrix()(0, 2) == std::strtof("1e-40", nullptr));
    const auto as_double = embedkit::read_word2vec<double>(path);
    CHECK(as_double.matrix()(0, 0) == 1e-50);
    // Overflow: fine for double, an error for float.
    write_bytes(path, "1 2\nw 1 1e39\n");
    CHECK(embedkit::read_word2vec<double>(path).matrix()(0, 1) == 1e39);
    check_malformed("1 2\nw 1 1e39\n", 2, "out of range for float");
}

TEST_CASE("word2vec stream overloads and unseekable input", "[io][word2vec]") {
    const auto vectors = random_vectors<float>(300, 12, 19);
    for (const VectorFormat format : {VectorFormat::text, VectorFormat::binary}) {
        std::ostringstream out;
        embedkit::write_word2vec(out, "memory", vectors, format);
        std::istringstream in(out.str());
        const auto back = embedkit::read_word2vec<float>(in, "memory");
        CHECK(bit_equal(back.matrix(), vectors.matrix()));

        // A pipe-like stream has no size: the reader grows its storage as records arrive.
        embedkit::testing::UnseekableBuffer buffer(out.str());
        std::istream pipe(&buffer);
        const auto piped = embedkit::read_word2vec<float>(pipe, "pipe");
        CHECK(bit_equal(piped.matrix(), vectors.matrix()));
    }
    // A header that lies about its size is caught without allocating what it claims, seekable or not.
    const std::string lying = "2000000000 100000\nw 1 2\n";
    std::istringstream seekable(lying);
    const io_error e1 = catch_io_error([&] { (void)embedkit::read_word2vec<float>(seekable, "lying"); });
    CHECK_THAT(e1.what(), Contains("lying:2: "));
    embedkit::testing::UnseekableBuffer buffer(lying);
    std::istream pipe(&buffer);
    const io_error e2 = catch_io_error([&] { (void)embedkit::read_word2vec<float>(pipe, "lying-pipe"); });
    CHECK_THAT(e2.what(), Contains("lying-pipe:2: "));
}

namespace {

/// Resets the process's peak resident set size (Linux: /proc/self/clear_refs); false if it cannot.
bool reset_peak_rss() {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    clear.flush();
    return static_cast<bool>(clear);
}

/// The peak resident set size since the last reset, in bytes (VmHWM), or 0 if unknown.
std::size_t peak_rss_bytes() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
    }
    return 0;
}

}  // namespace

TEST_CASE("word2vec from a pipe: a lying count costs at most about 32 MiB before the data runs out",
          "[io][word2vec]") {
    // Found by fuzzing: with dim 1, the first allocation was sized for 8M rows of values alone,
    // and the words and the duplicate check reserved 600 MB for them ("10000001 1" and 3 bytes).
    if (!reset_peak_rss() || peak_rss_bytes() == 0) EMBEDKIT_SKIP("cannot measure the peak RSS here (/proc/self)");
    const std::size_t before = peak_rss_bytes();
    for (const std::string lying : {"10000001 1\nPP", "2147483647 1\na 1\n", "44444442 1\na \x01\x02\x03\x04\n"}) {
        embedkit::testing::UnseekableBuffer buffer(lying);
        std::istream pipe(&buffer);
        CHECK_THROWS_AS(embedkit::read_word2vec<float>(pipe, "pipe"), io_error);
    }
    const std::size_t grown = peak_rss_bytes() - before;
    INFO("peak RSS grew by " << grown / 1024 << " KiB");
    CHECK(grown < (std::size_t{96} << 20));
}

TEST_CASE("word2vec malformed text files give io_error with file and line", "[io][word2vec]") {
    SECTION("missing file") {
        TempDir dir;
        const std::string path = dir.file("does-not-exist.vec");
        const io_error e = catch_io_error([&] { (void)embedkit::read_word2vec<float>(path); });
        CHECK_THAT(e.what(), Contains(path));
        CHECK_THAT(e.what(), Contains("cannot open"));
        const io_error d = catch_io_error([&] { (void)embedkit::read_word2vec<float>(dir.path().string()); });
        CHECK_THAT(d.what(), Contains("directory"));
    }
    SECTION("header") {
        check_malformed("", 1, "empty");
        check_malformed("abc def\nw 1 2\n", 1, "two integers 'count dim', got 'abc def'");
        check_malformed("10\nw 1 2\n", 1, "two integers");
        check_malformed("1 2 3\nw 1 2\n", 1, "two integers");
        check_malformed("1 2x\nw 1 2\n", 1, "two integers");
        check_malformed("0 5\n", 1, "word count must be positive, got 0");
        check_malformed("-2 5\n", 1, "word count must be positive, got -2");
        check_malformed("2 0\n", 1, "dimension must be positive, got 0");
        check_malformed("2 -7\n", 1, "dimension must be positive, got -7");
        check_malformed("2 2000000\n", 1, "dimension 2000000 exceeds the maximum 1000000");
        check_malformed("99999999999 5\n", 1, "word count 99999999999 exceeds the maximum");
        check_malformed("99999999999999999999999 5\n", 1, "out of range");
        check_malformed(std::string(5000, '1'), 1, "no line break");
    }
    SECTION("records") {
        check_malformed("2 5\na 1 2 3 4\nb 1 2 3 4 5\n", 2, "word 'a' has 4 values, expected 5");
        check_malformed("2 5\na 1 2 3 4 5\nb 1 2 3 4\n", 3, "word 'b' has 4 values, expected 5");
        // Small dimensions: a bad first record is still recognised as text.
        check_malformed("2 3\na 1 2\nb 1 2 3\n", 2, "word 'a' has 2 values, expected 3");
        check_malformed("1 1\na\n", 2, "word 'a' has 0 values, expected 1");
        check_malformed("2 2\nab 1 2 3\nb 1 2\n", 2, "word 'ab' has 3 values, expected 2");
        check_malformed("2 5\na 1 2 3 4 5\nb 1 2 3 4 5 6 7\n", 3, "word 'b' has 7 values, expected 5");
        check_malformed("2 3\na 1 2 3\nb 1 x 3\n", 3, "value 2 of word 'b' is not a number: 'x'");
        check_malformed("2 3\na 1 2 3\nb 1 2.5abc 3\n", 3, "value 2 of word 'b' is not a number: '2.5abc'");
        check_malformed("2 3\na 1 2 3\nb 1 0x10 3\n", 3, "not a number: '0x10'");
        check_malformed("2 5\na 1 2 nan 4 5\nb 1 2 3 4 5\n", 2, "value 3 of word 'a' is 'nan': NaN and infinite");
        check_malformed("2 3\na 1 2 3\nb 1 2 inf\n", 3, "'inf': NaN and infinite");
        check_malformed("2 3\na 1 2 3\nb -Infinity 2 3\n", 3, "NaN and infinite");
        check_malformed("2 3\na 1 2 3\n\nb 1 2 3\n", 3, "empty line");
        check_malformed("2 3\na 1 2 3\n 1 2 3\n", 3, "starts with a space");
    }
    SECTION("record count and duplicates") {
        check_malformed("3 2\na 1 2\nb 3 4\n", 4, "the file ends after 2 of the 3 vectors");
        check_malformed("1 2\na 1 2\nb 3 4\n", 3, "more vectors than the 1 the header announces");
        check_malformed("3 2\na 1 2\nb 1 2\na 3 4\n", 4, "duplicate word 'a' (first on line 2)");
        check_malformed("3 2\nб 1 2\nb 1 2\nб 3 4\n", 4, "duplicate word 'б' (first on line 2)");
        // A blank line or trailing whitespace after the last vector is fine.
        TempDir dir;
        write_bytes(dir.file("ok"), "1 2\na 1 2\n\n  \n");
        CHECK(embedkit::read_word2vec<float>(dir.file("ok")).size() == 1);
    }
}

TEST_CASE("word2vec malformed binary files give io_error with file and record", "[io][word2vec]") {
    const std::string a = "alpha " + f32_bytes({1, 2, 3, 4}) + "\n";
    const std::string b = "beta " + f32_bytes({5, 6, 7, 8}) + "\n";
    const std::string c = "gamma " + f32_bytes({-1, -2, -3, -4}) + "\n";
    const auto bin = VectorFormat::binary;
    SECTION("truncated records") {
        check_malformed("3 4\n" + a + b + c.substr(0, 10), 3, "record 3: truncated: the word 'gamma' has 4 bytes");
        check_malformed("3 4\n" + a + b + "gam", 3, "record 3: the file ends inside the word 'gam'");
        check_malformed("3 4\n" + a + b, 3, "record 3: the file ends after 2 of the 3 records");
        // Detection alone: the truncated file is still recognised as binary.
        check_malformed("3 4\n" + a + b + c.substr(0, 10), 3, "truncated", bin);
    }
    SECTION("more records than the header claims") {
        check_malformed("2 4\n" + a + b + c, 3, "record 3: more records than the 2 the header announces");
        check_malformed("2 4\n" + a + b + "x", 3, "more records");
    }
    SECTION("duplicate word") {
        check_malformed("3 4\n" + a + b + a, 3, "record 3: duplicate word 'alpha' (first in record 1)");
    }
    SECTION("NaN and infinity") {
        const float nan = std::numeric_limits<float>::quiet_NaN();
        const float inf = std::numeric_limits<float>::infinity();
        check_malformed("2 4\n" + a + "beta " + f32_bytes({5, nan, 7, 8}), 2,
                        "record 2: value 2 of word 'beta' is NaN or infinite");
        check_malformed("2 4\n" + a + "beta " + f32_bytes({5, 6, 7, -inf}), 2, "value 4 of word 'beta' is NaN");
    }
    SECTION("bad words") {
        check_malformed("2 4\n" + a + " " + f32_bytes({5, 6, 7, 8}), 2, "record 2: empty word", bin);
        check_malformed("2 4\n" + a + std::string(70000, 'x'), 2, "record 2: no space within 65536 bytes", bin);
    }
}

TEST_CASE("write_word2vec rejects what the format cannot hold", "[io][word2vec]") {
    TempDir dir;
    const std::string path = dir.file("out.vec");
    auto expect_invalid = [&](const WordVectors<float>& v, const std::string& what, VectorFormat format) {
        try {
            embedkit::write_word2vec(path, v, format);
            FAIL("expected invalid_argument");
        } catch (const embedkit::invalid_argument& e) {
            CHECK_THAT(e.what(), Contains(what));
        }
        CHECK(dir.entries().empty());  // nothing written, no temporary left
    };
    RowMatrix<float> m = RowMatrix<float>::Constant(2, 3, 0.5f);
    for (const VectorFormat format : {VectorFormat::text, VectorFormat::binary}) {
        expect_invalid(WordVectors<float>({"ok", "new york"}, m), "'new york' contains whitespace", format);
        expect_invalid(WordVectors<float>({"line\nbreak", "ok"}, m), "'line\\x0abreak' contains whitespace", format);
        expect_invalid(WordVectors<float>({"tab\there", "ok"}, m), "contains whitespace", format);
        expect_invalid(WordVectors<float>({"", "ok"}, m), "empty word", format);
        expect_invalid(WordVectors<float>(), "empty set", format);
        RowMatrix<float> bad = m;
        bad(1, 2) = std::numeric_limits<float>::quiet_NaN();
        expect_invalid(WordVectors<float>({"a", "b"}, bad), "value 3 of word 'b' is NaN or infinite", format);
    }
    RowMatrix<double> huge = RowMatrix<double>::Constant(1, 2, 1e300);
    try {
        embedkit::write_word2vec(path, WordVectors<double>({"big"}, huge), VectorFormat::binary);
        FAIL("expected invalid_argument");
    } catch (const embedkit::invalid_argument& e) {
        CHECK_THAT(e.what(), Contains("value 1 of word 'big' is too large for float32"));
    }
    CHECK(dir.entries().empty());
}

TEST_CASE("write_word2vec is atomic", "[io][word2vec]") {
    TempDir dir;
    const auto vectors = random_vectors<float>(10, 4, 20);
    SECTION("a path in a missing directory throws io_error and creates nothing") {
        const std::string path = dir.file("missing/sub/out.vec");
        const io_error e = catch_io_error([&] { embedkit::write_word2vec(path, vectors); });
        CHECK_THAT(e.what(), Contains(path));
        CHECK_FALSE(fs::exists(dir.path() / "missing"));
        CHECK(dir.entries().empty());
    }
    SECTION("a failing write leaves the existing file untouched") {
        const std::string path = dir.file("out.vec");
        embedkit::write_word2vec(path, vectors);
        const std::string before = read_bytes(path);
        // The last value is NaN: the error comes mid-write, after most records went out.
        RowMatrix<float> bad = vectors.matrix();
        bad(9, 3) = std::numeric_limits<float>::infinity();
        for (const VectorFormat format : {VectorFormat::text, VectorFormat::binary}) {
            CHECK_THROWS_AS(embedkit::write_word2vec(path, WordVectors<float>(vectors.words(), bad), format),
                            embedkit::invalid_argument);
            CHECK(read_bytes(path) == before);
            CHECK(dir.entries() == std::vector<std::string>{"out.vec"});
        }
        // A successful write replaces it.
        const auto other = random_vectors<float>(3, 4, 21);
        embedkit::write_word2vec(path, other);
        CHECK(bit_equal(embedkit::read_word2vec<float>(path).matrix(), other.matrix()));
        CHECK(dir.entries() == std::vector<std::string>{"out.vec"});
    }
}

TEST_CASE("ReadVectorsOptions validation names the field", "[io][word2vec]") {
    ReadVectorsOptions options;
    CHECK_NOTHROW(embedkit::validate(options));
    options.format = static_cast<VectorFormat>(7);
    try {
        embedkit::validate(options);
        FAIL("expected invalid_options");
    } catch (const embedkit::invalid_options& e) {
        CHECK_THAT(e.what(), Contains("ReadVectorsOptions::format"));
    }
}

TEST_CASE("word2vec files interoperate with gensim", "[io][word2vec][gensim]") {
    if (std::system("/usr/bin/python3 -c 'import gensim' >/dev/null 2>&1") != 0) {
        EMBEDKIT_SKIP("gensim is not installed for /usr/bin/python3");
    }
    TempDir dir;
    const std::string script = dir.file("gensim_check.py");
    write_bytes(script, R"PY(
import sys
import numpy as np
from gensim.models import KeyedVectors

mode, folder = sys.argv[1], sys.argv[2]
words = ["the", "naïve", "東京", "😀", "of", "w5"]
if mode == "write":
    rng = np.random.default_rng(1234)
    m = (rng.standard_normal((len(words), 7)) * 10.0 ** rng.integers(-20, 20, (len(words), 7))).astype(np.float32)
    kv = KeyedVectors(vector_size=7)
    kv.add_vectors(words, m)
    kv.save_word2vec_format(folder + "/gensim.bin", binary=True)
    kv.save_word2vec_format(folder + "/gensim.txt", binary=False)
    m.astype("<f4").tofile(folder + "/gensim.raw")
else:
    expected = np.fromfile(folder + "/ours.raw", dtype="<f4").reshape(len(words), 7)
    for name, binary in (("ours.bin", True), ("ours.txt", False)):
        kv = KeyedVectors.load_word2vec_format(folder + "/" + name, binary=binary)
        assert list(kv.index_to_key) == words, (name, kv.index_to_key)
        assert np.array_equal(kv.vectors.view(np.uint32), expected.view(np.uint32)), name
    print("gensim read ours OK")
)PY");
    const std::string folder = dir.path().string();
    REQUIRE(std::system(("/usr/bin/python3 '" + script + "' write '" + folder + "'").c_str()) == 0);

    // We read gensim's files bit-exactly (its binary records have no trailing newline).
    const std::string raw = read_bytes(dir.file("gensim.raw"));
    REQUIRE(raw.size() == 6 * 7 * 4);
    RowMatrix<float> expected(6, 7);
    std::memcpy(expected.data(), raw.data(), raw.size());  // little-endian host, as the test machines are
    const std::vector<std::string> words = {"the", "naïve", "東京", "😀", "of", "w5"};
    for (const std::string name : {"gensim.bin", "gensim.txt"}) {
        INFO(name);
        const auto v = embedkit::read_word2vec<float>(dir.file(name));
        CHECK(v.words() == words);
        CHECK(bit_equal(v.matrix(), expected));
    }
    CHECK(embedkit::detect_vector_format(dir.file("gensim.bin")) == VectorFormat::binary);
    CHECK(embedkit::detect_vector_format(dir.file("gensim.txt")) == VectorFormat::text);

    // gensim reads ours.
    embedkit::detail::Rng rng(22);
    RowMatrix<float> ours(6, 7);
    for (Eigen::Index i = 0; i < ours.size(); ++i) ours.data()[i] = rng.normal<float>() * 1e-3f;
    const WordVectors<float> vectors(words, ours);
    embedkit::write_word2vec(dir.file("ours.bin"), vectors, VectorFormat::binary);
    embedkit::write_word2vec(dir.file("ours.txt"), vectors, VectorFormat::text);
    write_bytes(dir.file("ours.raw"), std::string(reinterpret_cast<const char*>(ours.data()), 6 * 7 * 4));
    CHECK(std::system(("/usr/bin/python3 '" + script + "' read '" + folder + "'").c_str()) == 0);
}

TEST_CASE("write_word2vec reports unwritable targets and keeps the previous file", "[io][word2vec][write_failure]") {
    const auto vectors = random_vectors<float>(10, 4, 22);
    for (const VectorFormat format : {VectorFormat::text, VectorFormat::binary}) {
        DYNAMIC_SECTION((format == VectorFormat::text ? "text" : "binary")) {
            embedkit::testing::check_unwritable_targets(
                [&](const std::string& path) { embedkit::write_word2vec(path, vectors, format); });
        }
    }
}

TEST_CASE("write_word2vec to a stream that fails throws io_error naming the sink", "[io][word2vec][write_failure]") {
    const auto vectors = random_vectors<float>(3, 2, 23);
    std::ostringstream closed;
    closed.setstate(std::ios::badbit);
    const io_error e = catch_io_error([&] { embedkit::write_word2vec(closed, "<sink>", vectors); });
    CHECK_THAT(e.what(), Contains("<sink>: write failed"));
}
