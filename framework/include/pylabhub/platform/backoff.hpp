// Waiting without burning a core: spin briefly, then yield, then sleep.
#pragma once

#include <cstdint>

namespace pylabhub::platform {

/// A CPU hint that we are in a spin loop (PAUSE on x86, YIELD on ARM).
void cpu_relax() noexcept;

/// Progressive backoff for polling loops. The first `spin_limit` calls cost
/// nanoseconds (lowest latency while the other side is about to finish),
/// the next `yield_limit` give the core away, after which each call sleeps,
/// doubling from 1 µs up to `max_sleep_us`.
class Backoff {
public:
    Backoff() = default;
    Backoff(std::uint32_t spin_limit, std::uint32_t yield_limit, std::uint32_t max_sleep_us) noexcept
        : spin_limit_(spin_limit), yield_limit_(yield_limit), max_sleep_us_(max_sleep_us) {}

    void pause() noexcept;
    void reset() noexcept {
        iteration_ = 0;
        sleep_us_ = 1;
    }
    std::uint32_t iterations() const noexcept { return iteration_; }

private:
    std::uint32_t spin_limit_ = 64;
    std::uint32_t yield_limit_ = 64;
    std::uint32_t max_sleep_us_ = 1000;
    std::uint32_t iteration_ = 0;
    std::uint32_t sleep_us_ = 1;
};

}  // namespace pylabhub::platform
