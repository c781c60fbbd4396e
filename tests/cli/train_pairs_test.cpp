// embedkit train --model pairs on small pairs files and a small corpus.

#include <catch2/catch.hpp>

#include "support/run_command.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"
#include "support/test_files.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

using embedkit::testing::cli_path;

using embedkit::testing::run_cli;
using embedkit::testing::TempDir;


void write(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
}

std::string first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

// Four items in two categories, every within-category pair many times.
std::string category_pairs() {
    std::string text;
    for (int r = 0; r < 50; ++r) text += "apple pear\npear apple\nsaw drill\ndrill saw\n";
    return text;
}

using embedkit::testing::file_bytes;

// A word2vec text file as word -> vector.
std::map<std::string, std::vector<double>> read_vectors(const std::string& path) {
    std::ifstream in(path);
    std::size_t rows = 0, dim = 0;
    in >> rows >> dim;
    std::map<std::string, std::vector<double>> out;
    for (std::size_t r = 0; r < rows; ++r) {
        std::string word;
        std::vector<double> v(dim);
        in >> word;
        for (double& x : v) in >> x;
        out[word] = v;
    }
    return out;
}

double vector_cosine(const std::vector<double>& a, const std::vector<double>& b) {
    double ab = 0, aa = 0, bb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        ab += a[i] * b[i];
        aa += a[i] * a[i];
        bb += b[i] * b[i];
    }
    return ab / std::sqrt(aa * bb);
}

}  // namespace

TEST_CASE("embedkit train --model pairs: every loss writes vectors", "[cli][pairs]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    TempDir dir;
    write(dir.file("pairs.txt"), category_pairs());
    for (const std::string loss : {"infonce", "nt-xent", "mnrl", "triplet", "logistic"}) {
        const auto r = run_cli("train --model pairs --loss " + loss + " --input '" + dir.file("pairs.txt") + "' --output '" +
                           dir.file("out.vec") + "' --dim 8 --epochs 2 --batch-size 16 --threads 1 -q");
        INFO(loss << ": " << r.out);
        REQUIRE(r.status == 0);
        CHECK(first_line(dir.file("out.vec")) == "4 8");
    }
    const auto bin = run_cli("train --model pairs --input '" + dir.file("pairs.txt") + "' --output '" + dir.file("out.bin") +
                         "' --format bin --dim 4 --epochs 1 --mining none --loss triplet --distance l2 --save-vocab '" +
                         dir.file("keys.txt") + "'");
    INFO(bin.out);
    REQUIRE(bin.status == 0);
    CHECK(bin.out.find("pairs: 200 (4 anchor keys") != std::string::npos);
    CHECK(first_line(dir.file("out.bin")) == "4 4");
    CHECK(first_line(dir.file("keys.txt")) == "apple 100");
}

TEST_CASE("embedkit train --model pairs: two towers over separate key spaces", "[cli][pairs]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    TempDir dir;
    std::string text;
    for (int r = 0; r < 20; ++r) text += "u1 book\nu2 pen\nu3 book\n";
    write(dir.file("pairs.txt"), text);
    const auto r = run_cli("train --model pairs --separate-keys --input '" + dir.file("pairs.txt") + "' --output '" +
                       dir.file("users.vec") + "' --output-positive '" + dir.file("items.vec") +
                       "' --dim 6 --epochs 1 -q");
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(first_line(dir.file("users.vec")) == "3 6");
    CHECK(first_line(dir.file("items.vec")) == "2 6");
}

TEST_CASE("embedkit train --model pairs --corpus-pairs trains on a text's windows", "[cli][pairs]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    TempDir dir;
    std::string text;
    for (int r = 0; r < 30; ++r) text += "the cat sat on the mat and the dog sat on the log\n";
    write(dir.file("corpus.txt"), text);
    const auto r = run_cli("train --model pairs --corpus-pairs --pair-sample 0 --min-count 1 --window 2 --two-tower --input '" +
                       dir.file("corpus.txt") + "' --output '" + dir.file("words.vec") +
                       "' --dim 5 --epochs 1 --loss logistic --optimizer sgd -q");
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(first_line(dir.file("words.vec")) == "8 5");
}

TEST_CASE("embedkit train --model pairs: errors name the flag or the line", "[cli][pairs]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    TempDir dir;
    write(dir.file("pairs.txt"), "a b\nc d e\n");
    write(dir.file("good.txt"), category_pairs());
    const std::string io = " --output '" + dir.file("out.vec") + "'";
    auto r = run_cli("train --model pairs --input '" + dir.file("pairs.txt") + "'" + io);
    CHECK(r.status != 0);
    CHECK(r.out.find("pairs.txt:2: expected 2 fields") != std::string::npos);
    r = run_cli("train --model pairs --loss hinge --input '" + dir.file("good.txt") + "'" + io);
    CHECK(r.status != 0);
    CHECK(r.out.find("--loss") != std::string::npos);
    r = run_cli("train --model pairs --loss nt-xent --pair-negatives 3 --input '" + dir.file("good.txt") + "'" + io);
    CHECK(r.status != 0);
    CHECK(r.out.find("negatives") != std::string::npos);
    r = run_cli("train --model pairs --temperature 0 --input '" + dir.file("good.txt") + "'" + io);
    CHECK(r.status != 0);
    CHECK(r.out.find("temperature") != std::string::npos);
    r = run_cli("train --model pairs --output-positive x.vec --input '" + dir.file("good.txt") + "'" + io);
    CHECK(r.status != 0);
    CHECK(r.out.find("--two-tower") != std::string::npos);
    CHECK(!fs::exists(dir.file("out.vec")));
}

TEST_CASE("embedkit train --model pairs: one thread and a seed give identical files", "[cli][pairs]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    TempDir dir;
    write(dir.file("pairs.txt"), category_pairs());
    for (const std::string loss : {"infonce", "triplet", "logistic"}) {
        auto train = [&](const std::string& seed, const std::string& out) {
            const auto r = run_cli("train --model pairs --loss " + loss + " --input '" + dir.file("pairs.txt") +
                               "' --output '" + dir.file(out) + "' --dim 8 --epochs 2 --batch-size 16 --threads 1 --seed " +
                               seed + " -q");
            INFO(loss << ": " << r.out);
            REQUIRE(r.status == 0);
            return file_bytes(dir.file(out));
        };
        const std::string a = train("7", "a.vec");
        const std::string b = train("7", "b.vec");
        const std::string c = train("8", "c.vec");
        INFO(loss);
        CHECK(a.size() > 20);
        CHECK(a == b);
        CHECK(a != c);
    }
}

TEST_CASE("embedkit train --model pairs: training separates two hidden categories", "[cli][pairs]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    TempDir dir;
    // Every ordered pair of items within a category, 20 times over, in a fixed shuffled-looking order.
    const std::vector<std::vector<std::string>> categories{{"apple", "banana", "cherry", "grape"},
                                                           {"hammer", "wrench", "saw", "drill"}};
    std::string text;
    for (int r = 0; r < 20; ++r) {
        for (std::size_t i = 0; i < 4; ++i) {
            for (std::size_t j = 0; j < 4; ++j) {
                if (i == j) continue;
                const auto shift = static_cast<std::size_t>(r);
                for (const auto& c : categories) text += c[(i + shift) % 4] + " " + c[(j + shift) % 4] + "\n";
            }
        }
    }
    write(dir.file("pairs.txt"), text);
    for (const std::string loss : {"infonce", "mnrl", "triplet", "logistic"}) {
        // Calibrated softmax losses separate by about temperature x log(odds); see docs/contrastive.md.
        const std::string extra = loss == "logistic"  ? " --pair-negatives 1"
                                  : loss == "triplet" ? " --margin 0.5"
                                                      : " --temperature 0.3 --scale 3.3";
        const auto r = run_cli("train --model pairs --loss " + loss + " --input '" + dir.file("pairs.txt") + "' --output '" +
                           dir.file("out.vec") + "' --dim 16 --epochs 10 --batch-size 32 --threads 1 -q" + extra);
        INFO(loss << ": " << r.out);
        REQUIRE(r.status == 0);
        const auto vectors = read_vectors(dir.file("out.vec"));
        REQUIRE(vectors.size() == 8);
        double within = 0, across = 0;
        int nw = 0, na = 0;
        for (std::size_t c = 0; c < 2; ++c) {
            for (const auto& u : categories[c]) {
                for (std::size_t d = 0; d < 2; ++d) {
                    for (const auto& v : categories[d]) {
                        if (u == v) continue;
                        const double s = vector_cosine(vectors.at(u), vectors.at(v));
                        if (c == d) {
                            within += s;
                            ++nw;
                        } else {
                            across += s;
                            ++na;
                        }
                    }
                }
            }
        }
        within /= nw;
        across /= na;
        INFO("within " << within << ", across " << across);
        CHECK(within > across + 0.5);
    }
}

TEST_CASE("embedkit train --model pairs: pairs file errors give file:line", "[cli][pairs]") {
    if (cli_path().empty()) EMBEDKIT_SKIP("the CLI is not built (EMBEDKIT_BUILD_CLI=OFF)");
    TempDir dir;
    write(dir.file("ids.txt"), "0 1\n1 2\n3 x\n");
    const std::string io = " --output '" + dir.file("out.vec") + "'";
    auto r = run_cli("train --model pairs --pair-keys ids --input '" + dir.file("ids.txt") + "'" + io);
    CHECK(r.status != 0);
    CHECK(r.out.find("ids.txt:3: 'x' is not an id") != std::string::npos);
    write(dir.file("one.txt"), "a b\n\nlonely\n");
    r = run_cli("train --model pairs --input '" + dir.file("one.txt") + "'" + io);
    CHECK(r.status != 0);
    CHECK(r.out.find("one.txt:3: expected 2 fields 'anchor positive', got 1") != std::string::npos);
    write(dir.file("empty.txt"), "\n\n");
    r = run_cli("train --model pairs --input '" + dir.file("empty.txt") + "'" + io);
    CHECK(r.status != 0);
    CHECK(r.out.find("no pairs") != std::string::npos);
    r = run_cli("train --model pairs --input '" + dir.file("missing.txt") + "'" + io);
    CHECK(r.status != 0);
    CHECK(r.out.find("missing.txt") != std::string::npos);
    CHECK(!fs::exists(dir.file("out.vec")));
}
