// The payload multi-process DataBlock tests write and check: a counter and a
// pattern derived from it, so a lost, repeated, reordered or torn slot shows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace pylabhub::test {

struct CounterPayload {
    std::uint64_t sequence;
    std::uint64_t counter;
    std::uint8_t pattern[240];
};

inline void fill_counter(CounterPayload& p, std::uint64_t sequence) {
    p.sequence = sequence;
    p.counter = sequence * 3 + 1;
    for (std::size_t i = 0; i < sizeof p.pattern; ++i) p.pattern[i] = static_cast<std::uint8_t>(sequence + i * 7);
}

/// Empty when `p` is the payload of `sequence`, else what is wrong.
inline std::string check_counter(const CounterPayload& p, std::uint64_t sequence) {
    if (p.sequence != sequence) return "sequence " + std::to_string(p.sequence) + " where " + std::to_string(sequence) + " was expected";
    if (p.counter != sequence * 3 + 1) return "counter of sequence " + std::to_string(sequence) + " is wrong";
    for (std::size_t i = 0; i < sizeof p.pattern; ++i) {
        if (p.pattern[i] != static_cast<std::uint8_t>(sequence + i * 7)) {
            return "pattern byte " + std::to_string(i) + " of sequence " + std::to_string(sequence) + " is wrong";
        }
    }
    return {};
}

}  // namespace pylabhub::test
