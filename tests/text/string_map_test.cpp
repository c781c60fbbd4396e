// Tests of include/embedkit/detail/string_map.hpp (kept with the text pipeline, its main user).
#include <embedkit/detail/rng.hpp>
#include <embedkit/detail/string_map.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

using embedkit::detail::Rng;
using embedkit::detail::StringMap;

namespace {

std::string random_key(Rng& rng) {
    // Short keys from a small alphabet collide often; a few long ones exercise the 8-byte loop.
    const std::size_t len = rng.below(10) == 0 ? 9 + rng.below(40) : rng.below(7);
    std::string s(len, '\0');
    for (auto& c : s) c = static_cast<char>(rng.below(4) == 0 ? rng.below(256) : 'a' + rng.below(3));
    return s;
}

}  // namespace

TEST_CASE("StringMap counts like std::unordered_map and keeps insertion order", "[string_map]") {
    Rng rng(42);
    StringMap<long> map;
    std::unordered_map<std::string, long> reference;
    std::vector<std::string> order;
    for (int i = 0; i < 50'000; ++i) {
        const std::string key = random_key(rng);
        const auto [value, inserted] = map.try_emplace(key, 0);
        ++*value;
        const bool ref_inserted = reference.find(key) == reference.end();
        ++reference[key];
        REQUIRE(inserted == ref_inserted);
        if (inserted) order.push_back(key);
    }
    REQUIRE(map.size() == reference.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        REQUIRE(map.key(i) == order[i]);
        REQUIRE(map.value(i) == reference[order[i]]);
        const long* found = map.find(order[i]);
        REQUIRE(found != nullptr);
        REQUIRE(*found == reference[order[i]]);
    }
    for (int i = 0; i < 2'000; ++i) {
        const std::string key = random_key(rng) + "#absent";
        CHECK(map.find(key) == nullptr);
    }
}

TEST_CASE("StringMap handles the empty key, embedded NULs and an empty table", "[string_map]") {
    StringMap<int> map;
    CHECK(map.find("") == nullptr);
    CHECK(map.find("x") == nullptr);
    CHECK(map.try_emplace("", 7).second);
    CHECK(*map.find("") == 7);
    const std::string a("a\0b", 3);
    const std::string b("a\0c", 3);
    CHECK(map.try_emplace(a, 1).second);
    CHECK(map.try_emplace(b, 2).second);
    CHECK_FALSE(map.try_emplace(a, 9).second);
    CHECK(*map.find(a) == 1);
    CHECK(*map.find(b) == 2);
    CHECK(map.find(std::string_view("a", 1)) == nullptr);
    CHECK(map.size() == 3);
    map.clear();
    CHECK(map.empty());
    CHECK(map.find(a) == nullptr);
}

TEST_CASE("StringMap::erase_if removes matching entries, keeps order and shrinks memory", "[string_map]") {
    StringMap<int> map;
    for (int i = 0; i < 10'000; ++i) map.try_emplace("key" + std::to_string(i), i);
    const std::size_t before = map.memory_bytes();
    map.erase_if([](std::string_view, int v) { return v % 100 != 0; });
    REQUIRE(map.size() == 100);
    for (std::size_t i = 0; i < map.size(); ++i) {
        CHECK(map.value(i) == static_cast<int>(i) * 100);
        CHECK(map.key(i) == "key" + std::to_string(i * 100));
    }
    CHECK(map.find("key1") == nullptr);
    CHECK(*map.find("key500") == 500);
    CHECK(map.memory_bytes() < before / 10);
    // Still usable after the rebuild.
    CHECK(map.try_emplace("key1", -1).second);
    CHECK(*map.find("key1") == -1);
}

TEST_CASE("hash_bytes depends on every byte and on the length", "[string_map]") {
    using embedkit::detail::hash_bytes;
    const std::string base = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (std::size_t len = 0; len <= base.size(); ++len) {
        const std::string s = base.substr(0, len);
        for (std::size_t i = 0; i < len; ++i) {
            std::string t = s;
            t[i] = static_cast<char>(t[i] ^ 1);
            CHECK(hash_bytes(s) != hash_bytes(t));
        }
        if (len > 0) CHECK(hash_bytes(s) != hash_bytes(s.substr(0, len - 1)));
    }
    CHECK(hash_bytes(std::string("\0", 1)) != hash_bytes(std::string("\0\0", 2)));
}
