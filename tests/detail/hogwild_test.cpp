// The Hogwild row kernels against plain loops in double, for every length around the vector
// width (the SIMD builds finish a row with a masked or scalar tail) and the usual dimensions.

#include <embedkit/detail/hogwild.hpp>
#include <embedkit/detail/rng.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace embedkit::detail;

namespace {

template <class S>
std::vector<S> random_row(Rng& rng, int n) {
    std::vector<S> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = static_cast<S>(rng.uniform<double>() * 2 - 1);
    return v;
}

template <class S>
void check_kernels(int n, Rng& rng) {
    INFO("n = " << n);
    const double tolerance = std::is_same_v<S, float> ? 1e-5 : 1e-12;
    const auto x = random_row<S>(rng, n);
    const auto h = random_row<S>(rng, n);
    auto y = random_row<S>(rng, n);
    auto out = random_row<S>(rng, n);
    auto gradient = random_row<S>(rng, n);

    double dot = 0;
    for (int i = 0; i < n; ++i) dot += static_cast<double>(x[i]) * static_cast<double>(y[i]);
    CHECK(static_cast<double>(hogwild_dot<S>(x.data(), y.data(), n)) == Approx(dot).margin(tolerance * n));

    const S a = static_cast<S>(0.37);
    std::vector<double> y_expected(y.begin(), y.end());
    for (int i = 0; i < n; ++i) y_expected[i] += static_cast<double>(a) * static_cast<double>(x[i]);
    hogwild_axpy<S>(a, x.data(), y.data(), n);
    for (int i = 0; i < n; ++i) CHECK(static_cast<double>(y[i]) == Approx(y_expected[i]).margin(tolerance));

    const S g = static_cast<S>(-0.21);
    std::vector<double> gradient_expected(gradient.begin(), gradient.end());
    std::vector<double> out_expected(out.begin(), out.end());
    for (int i = 0; i < n; ++i) {
        gradient_expected[i] += static_cast<double>(g) * static_cast<double>(out[i]);  // the old row
        out_expected[i] += static_cast<double>(g) * static_cast<double>(h[i]);
    }
    hogwild_output_step<S>(g, h.data(), out.data(), gradient.data(), n);
    for (int i = 0; i < n; ++i) {
        CHECK(static_cast<double>(gradient[i]) == Approx(gradient_expected[i]).margin(tolerance));
        CHECK(static_cast<double>(out[i]) == Approx(out_expected[i]).margin(tolerance));
    }
}

}  // namespace

TEST_CASE("hogwild kernels match plain loops at every tail length", "[hogwild]") {
    Rng rng(5);
    std::vector<int> lengths;
    for (int n = 1; n <= 70; ++n) lengths.push_back(n);
    for (int n : {100, 128, 300}) lengths.push_back(n);
    for (int n : lengths) {
        check_kernels<float>(n, rng);
        check_kernels<double>(n, rng);
    }
}

TEST_CASE("hogwild kernels read and write exactly n elements", "[hogwild]") {
    // Rows in the middle of a buffer: the guard elements on both sides must stay as they were.
    for (int n : {1, 7, 15, 16, 17, 100}) {
        INFO("n = " << n);
        std::vector<float> buffer(static_cast<std::size_t>(n) + 64, 5.0f);
        std::vector<float> gradient(buffer.size(), 5.0f);
        const std::vector<float> ones(buffer.size(), 1.0f);
        float* row = buffer.data() + 3;  // not aligned to the vector width
        hogwild_axpy<float>(1.0f, ones.data(), row, n);
        hogwild_output_step<float>(1.0f, ones.data(), row, gradient.data() + 3, n);
        for (std::size_t i = 0; i < buffer.size(); ++i) {
            const bool inside = i >= 3 && i < 3 + static_cast<std::size_t>(n);
            CHECK(buffer[i] == (inside ? 7.0f : 5.0f));
            CHECK(gradient[i] == (inside ? 11.0f : 5.0f));
        }
    }
}
