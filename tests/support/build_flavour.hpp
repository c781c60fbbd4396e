// Which floating-point arithmetic a test build does: the row kernels chosen at compile time
// (fused multiply-add in the AVX2 and AVX-512 ones, plain SSE2 in the portable ones) and the
// compiler (which decides where a * b + c becomes one fused instruction). Bit-exact expectations
// (golden hashes, files written by an earlier build) hold per flavour.
#pragma once

#include <string>

namespace embedkit::testing {

inline std::string build_flavour() {
    std::string kernels;
#if defined(__AVX512F__)
    kernels = "avx512";
#elif defined(__AVX2__) && defined(__FMA__)
    kernels = "avx2-fma";
#else
    kernels = "portable";
#endif
#if defined(__clang__)
    return kernels + "/clang";
#elif defined(__GNUC__)
    return kernels + "/gcc";
#else
    return kernels + "/other";
#endif
}

}  // namespace embedkit::testing
