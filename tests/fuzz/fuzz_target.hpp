// One fuzz target: LLVMFuzzerTestOneInput gets arbitrary bytes and must
// neither crash, hang, leak nor trip a sanitizer. Built twice: with clang's
// libFuzzer by `make fuzz`, and with replay_main.cpp into the ordinary test
// suite, which replays the committed corpus (tests/fuzz/corpus/NAME/) so a
// target cannot rot and every input that once crashed stays fixed.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

/// Stops the process loudly: what a sanitizer report would do.
#define PLH_FUZZ_CHECK(condition)                                                                \
    do {                                                                                         \
        if (!(condition)) {                                                                      \
            __builtin_printf("fuzz check failed: %s (%s:%d)\n", #condition, __FILE__, __LINE__); \
            __builtin_abort();                                                                   \
        }                                                                                        \
    } while (false)
