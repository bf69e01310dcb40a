// Waiting for a condition another process makes true, in one of the three
// WaitStrategy ways (internal).
//
// The waker changes its state first, then looks at the waiter count, then
// bumps the futex word and wakes only if someone sleeps; the sleeper reads
// the word, announces itself, and re-checks the condition before sleeping.
// All of it seq_cst, so a wake-up cannot be lost, and the busy path of both
// sides makes no system call.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "pylabhub/datablock/config.hpp"
#include "pylabhub/platform/backoff.hpp"
#include "pylabhub/platform/clock.hpp"
#include "pylabhub/platform/futex.hpp"

namespace pylabhub::datablock::detail {

/// How often a long wait runs its `periodic` callback (liveness checks).
inline constexpr std::uint64_t kPeriodicIntervalNs = 1'000'000;
/// Spins before a blocking waiter goes to sleep.
inline constexpr std::uint32_t kSpinsBeforeSleep = 256;
/// Longest single sleep, so periodic checks still run.
inline constexpr std::uint64_t kMaxSleepNs = 10'000'000;

/// The machine's cores (cached).
inline std::uint32_t cores() noexcept {
    static const std::uint32_t count = std::max(1U, std::thread::hardware_concurrency());
    return count;
}

/// A wait's time limit. It becomes a deadline at the first clock reading a
/// wait makes, so a wait that ends within its first spins reads no clock
/// (~25 ns a read on a VM, several per wait before); callers that retry
/// share one Deadline.
class Deadline {
public:
    explicit Deadline(std::chrono::nanoseconds timeout) noexcept
        : timeout_ns_(static_cast<std::uint64_t>(std::max<std::int64_t>(timeout.count(), 0))) {}
    /// A limit of zero: look once, never wait.
    bool zero() const noexcept { return timeout_ns_ == 0; }
    /// Whether `now` (monotonic) is at or past the deadline; the first call fixes it.
    bool passed(std::uint64_t now) noexcept {
        if (at_ns_ == 0) at_ns_ = now + std::min(timeout_ns_, UINT64_MAX - now);
        return now >= at_ns_;
    }
    /// What is left of the limit: all of it while no clock was read.
    std::uint64_t left() noexcept {
        if (at_ns_ == 0) return timeout_ns_;
        const std::uint64_t now = platform::monotonic_time_ns();
        return at_ns_ > now ? at_ns_ - now : 0;
    }
    std::uint64_t left_at(std::uint64_t now) noexcept {
        (void)passed(now);
        return at_ns_ > now ? at_ns_ - now : 0;
    }

private:
    std::uint64_t timeout_ns_;
    std::uint64_t at_ns_ = 0;  // 0: not fixed yet
};

/// Waits until ready() or the deadline; true when ready.
template <typename Ready, typename Periodic>
bool wait_until(WaitStrategy strategy, const std::atomic<std::uint32_t>& futex_word, std::atomic<std::uint32_t>& waiters,
                Deadline& deadline, Ready&& ready, Periodic&& periodic) {
    platform::Backoff backoff;
    std::uint32_t spins = 0;
    std::uint32_t rounds = 0;
    std::uint64_t now = 0;
    std::uint64_t next_periodic = 0;  // set at the first clock reading
    for (;;) {
        if (ready()) return true;
        if (deadline.zero()) return false;
        // Reading the clock costs more than a spin (a vDSO call, dearer in a
        // VM): while spinning it is read every 16th round (the first time
        // after 15 spins, ~0.4 us); the backoff's pauses and the sleeps
        // below are long enough to read it each time.
        const bool spinning = strategy == WaitStrategy::busy_poll || (strategy == WaitStrategy::blocking && spins < kSpinsBeforeSleep);
        if (!spinning || (++rounds & 15U) == 0) {
            now = platform::monotonic_time_ns();
            if (deadline.passed(now)) return false;
            if (next_periodic == 0) next_periodic = now + kPeriodicIntervalNs;
            if (now >= next_periodic) {
                periodic();
                next_periodic = now + kPeriodicIntervalNs;
            }
        }
        switch (strategy) {
        case WaitStrategy::busy_poll: platform::cpu_relax(); break;
        case WaitStrategy::spin_yield: backoff.pause(); break;
        case WaitStrategy::blocking:
            // Spinning pays while there is a core to spare: with as many
            // waiters asleep here as there are cores, a woken one that spun
            // would only delay the others (ten readers woken together on two
            // cores), so it goes back to sleep at once.
            if (spins < kSpinsBeforeSleep && waiters.load(std::memory_order_relaxed) < cores()) {
                ++spins;
                platform::cpu_relax();
                break;
            }
            {
                // The spin phase may have read no clock yet: a sleep is long
                // enough to read it here.
                now = platform::monotonic_time_ns();
                if (deadline.passed(now)) return false;
                const std::uint32_t seen = futex_word.load(std::memory_order_seq_cst);
                waiters.fetch_add(1, std::memory_order_seq_cst);
                if (!ready()) {
                    const std::uint64_t sleep = std::min(deadline.left_at(now), kMaxSleepNs);
                    platform::futex_wait(futex_word, seen, std::chrono::nanoseconds(sleep));
                }
                waiters.fetch_sub(1, std::memory_order_seq_cst);
            }
            break;
        }
    }
}

/// The waker's half: call after making the condition true (seq_cst).
inline void wake_waiters(std::atomic<std::uint32_t>& futex_word, const std::atomic<std::uint32_t>& waiters) noexcept {
    if (waiters.load(std::memory_order_seq_cst) != 0) {
        futex_word.fetch_add(1, std::memory_order_seq_cst);
        platform::futex_wake_all(futex_word);
    }
}

inline std::uint64_t deadline_after(std::chrono::nanoseconds timeout) noexcept {
    return platform::monotonic_time_ns() + static_cast<std::uint64_t>(std::max<std::int64_t>(timeout.count(), 0));
}

}  // namespace pylabhub::datablock::detail
