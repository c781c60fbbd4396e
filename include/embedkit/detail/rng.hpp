#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace embedkit::detail {

/// SplitMix64 finaliser: turns (seed, stream) pairs into well-mixed 64-bit seeds.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// A seed for stream `stream` of a run seeded with `seed` (a row, a thread, a shard ...).
[[nodiscard]] constexpr std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream) noexcept {
    return mix64(mix64(seed) ^ (stream * 0xd1b54a32d192ed03ULL + 0x632be59bd9b4e019ULL));
}

/// xoshiro256** (Blackman and Vigna): small, fast, and good enough for sampling and initialisation.
/// Deterministic for a given seed on every platform, unlike the std distributions.
class Rng {
public:
    using result_type = std::uint64_t;

    explicit Rng(std::uint64_t seed = 1) noexcept { reseed(seed); }

    void reseed(std::uint64_t seed) noexcept {
        std::uint64_t x = seed;
        for (auto& word : s_) {
            x += 0x9e3779b97f4a7c15ULL;
            word = mix64(x);
        }
    }

    static constexpr result_type min() noexcept { return 0; }
    static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

    result_type operator()() noexcept { return next(); }

    std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    /// Uniform in [0, 1).
    template <class Scalar = double>
    Scalar uniform() noexcept {
        static_assert(std::is_floating_point_v<Scalar>);
        if constexpr (std::is_same_v<Scalar, float>) {
            return static_cast<float>(next() >> 40) * 0x1.0p-24f;
        } else {
            return static_cast<Scalar>(next() >> 11) * static_cast<Scalar>(0x1.0p-53);
        }
    }

    /// Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias below 2^-32 for n < 2^32).
    std::uint64_t below(std::uint64_t n) noexcept {
        __extension__ typedef unsigned __int128 u128;  // GCC and Clang; __extension__ keeps -Wpedantic quiet
        return static_cast<std::uint64_t>((static_cast<u128>(next()) * n) >> 64);
    }

    /// Standard normal (Box-Muller; one value per call keeps the state simple).
    template <class Scalar = double>
    Scalar normal() noexcept {
        static_assert(std::is_floating_point_v<Scalar>);
        // 1 - u keeps the logarithm's argument in (0, 1].
        const double u1 = 1.0 - uniform<double>();
        const double u2 = uniform<double>();
        return static_cast<Scalar>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925 * u2));
    }

    /// The full state, for checkpoints.
    struct State {
        std::uint64_t s[4];
    };
    [[nodiscard]] State state() const noexcept { return {{s_[0], s_[1], s_[2], s_[3]}}; }
    void set_state(const State& st) noexcept {
        for (int i = 0; i < 4; ++i) s_[i] = st.s[i];
    }

private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
        return (x << k) | (x >> (64 - k));
    }
    std::uint64_t s_[4];
};

}  // namespace embedkit::detail

