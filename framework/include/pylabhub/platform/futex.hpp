// Cross-process wait/wake on a 32-bit word in shared memory.
//
// std::atomic::wait uses *private* futexes in libstdc++, which never wake a
// waiter in another process; these calls use shared futexes. Callers keep
// the fast path syscall-free by waking only when a waiter announced itself.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace pylabhub::platform {

enum class FutexWaitResult {
    woken,          ///< woken by futex_wake (or spuriously): re-check the condition
    value_changed,  ///< *word differed from `expected` on entry: no sleep happened
    timeout,
};

/// Sleeps while `word == expected`, at most `timeout`.
FutexWaitResult futex_wait(const std::atomic<std::uint32_t>& word, std::uint32_t expected, std::chrono::nanoseconds timeout) noexcept;

/// Wakes up to `count` waiters on `word`; returns how many were woken.
int futex_wake(const std::atomic<std::uint32_t>& word, int count) noexcept;

/// Wakes every waiter on `word`.
int futex_wake_all(const std::atomic<std::uint32_t>& word) noexcept;

}  // namespace pylabhub::platform
