// How many fields an aggregate has, counted by trying to brace-initialise it from 1, 2, ...
// values that convert to anything. A test compares this with the fields an options struct
// lists for its checkpoints, so a field appended without being listed fails the test.
#pragma once

#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

// Brace-initialising with fewer values than fields is the point here, not a mistake.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace embedkit::testing {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

/// Converts to any field type. Not to std::optional itself: optional's converting constructor
/// takes it through the contained type, and offering both would be ambiguous.
struct AnyField {
    template <class T, std::enable_if_t<!is_optional<T>::value, int> = 0>
    operator T() const;  // never defined: only used in unevaluated contexts
};

template <class T, std::size_t... I>
constexpr auto brace_initialisable(std::index_sequence<I...>) -> decltype(T{(void(I), AnyField{})...}, true) {
    return true;
}
template <class T>
constexpr bool brace_initialisable(...) {
    return false;
}

template <class T, std::size_t N = 1>
constexpr std::size_t aggregate_field_count() {
    if constexpr (brace_initialisable<T>(std::make_index_sequence<N>{})) {
        return aggregate_field_count<T, N + 1>();
    } else {
        return N - 1;
    }
}

}  // namespace embedkit::testing

#pragma GCC diagnostic pop
