// A byte pattern that one process writes and another checks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pylabhub::test {

inline constexpr std::byte kSeenMarker{0xAB};

inline std::byte pattern_byte(std::size_t index) { return std::byte(static_cast<std::uint8_t>(index * 31 + 7)); }

inline void fill_pattern(std::byte* data, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) data[i] = pattern_byte(i);
}

/// Index of the first byte that differs from the pattern, or `size`.
inline std::size_t first_pattern_mismatch(const std::byte* data, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) {
        if (data[i] != pattern_byte(i)) return i;
    }
    return size;
}

}  // namespace pylabhub::test
