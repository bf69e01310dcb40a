// Monotonic time for timeouts, commit timestamps and latency figures.
#pragma once

#include <cstdint>

namespace pylabhub::platform {

/// Nanoseconds on the system-wide monotonic clock (CLOCK_MONOTONIC), so a
/// timestamp written by one process can be compared with another's clock.
std::uint64_t monotonic_time_ns() noexcept;

/// The same clock read at the kernel's tick (a few ms fine, CLOCK_MONOTONIC_COARSE):
/// a fraction of monotonic_time_ns()'s cost, for stamps that only say how
/// long something has been going on (a write lock held, a heartbeat).
std::uint64_t coarse_monotonic_time_ns() noexcept;

/// Sleeps until monotonic_time_ns() reaches `due_ns` (at once if it has):
/// an absolute deadline, so a paced loop does not drift by its own work.
void sleep_until_monotonic_ns(std::uint64_t due_ns) noexcept;

}  // namespace pylabhub::platform
