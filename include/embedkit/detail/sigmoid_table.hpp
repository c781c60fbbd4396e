#pragma once

#include <array>
#include <cmath>

namespace embedkit::detail {

/// Tabulated logistic function and its log on [-kMaxLogit, kMaxLogit], as word2vec does: the
/// training loops call it billions of times, and past +-8 the gradient is within 3e-4 of 0 or 1.
class SigmoidTable {
public:
    static constexpr float kMaxLogit = 8.0f;
    static constexpr int kSize = 4096;

    SigmoidTable() noexcept {
        for (int i = 0; i <= kSize; ++i) {
            const double x = (2.0 * i / kSize - 1.0) * kMaxLogit;
            sigmoid_[i] = static_cast<float>(1.0 / (1.0 + std::exp(-x)));
            // log sigmoid(x) = -log(1 + e^-x), written to stay accurate for large |x|.
            log_sigmoid_[i] = static_cast<float>(x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x)));
        }
    }

    /// sigma(x); saturates to 0 / 1 outside the table. NaN maps to 0 (never an out-of-range index).
    [[nodiscard]] float sigmoid(float x) const noexcept {
        if (x >= kMaxLogit) return 1.0f;
        if (!(x > -kMaxLogit)) return 0.0f;
        return sigmoid_[index(x)];
    }

    /// log sigma(x); linear (= x) far below the table, 0 far above. NaN propagates, so a
    /// diverging run shows up in the loss.
    [[nodiscard]] float log_sigmoid(float x) const noexcept {
        if (x >= kMaxLogit) return 0.0f;
        if (!(x > -kMaxLogit)) return x;
        return log_sigmoid_[index(x)];
    }

    [[nodiscard]] static const SigmoidTable& instance() noexcept {
        static const SigmoidTable table;
        return table;
    }

private:
    static int index(float x) noexcept {
        return static_cast<int>((x + kMaxLogit) * (kSize / (2.0f * kMaxLogit)) + 0.5f);
    }
    std::array<float, kSize + 1> sigmoid_{};
    std::array<float, kSize + 1> log_sigmoid_{};
};

}  // namespace embedkit::detail
