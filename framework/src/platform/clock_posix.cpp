#include "pylabhub/platform/clock.hpp"

#include <cerrno>
#include <ctime>

namespace pylabhub::platform {

std::uint64_t monotonic_time_ns() noexcept {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);  // vDSO: no system call
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(now.tv_nsec);
}

std::uint64_t coarse_monotonic_time_ns() noexcept {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(now.tv_nsec);
}

void sleep_until_monotonic_ns(std::uint64_t due_ns) noexcept {
    const timespec due{.tv_sec = static_cast<time_t>(due_ns / 1'000'000'000ULL), .tv_nsec = static_cast<long>(due_ns % 1'000'000'000ULL)};
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, nullptr) == EINTR) {
    }
}

}  // namespace pylabhub::platform
