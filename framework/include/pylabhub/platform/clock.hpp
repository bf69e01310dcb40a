// Monotonic time for timeouts, commit timestamps and latency figures.
#pragma once

#include <cstdint>

namespace pylabhub::platform {

/// Nanoseconds on the system-wide monotonic clock (CLOCK_MONOTONIC), so a
/// timestamp written by one process can be compared with another's clock.
std::uint64_t monotonic_time_ns() noexcept;

}  // namespace pylabhub::platform
