#include "pylabhub/platform/futex.hpp"

#include <cerrno>
#include <climits>
#include <ctime>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace pylabhub::platform {
namespace {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

// Deliberately without FUTEX_PRIVATE_FLAG: the word lives in shared memory
// and the waker is usually another process.
long futex(const std::atomic<std::uint32_t>& word, int op, std::uint32_t value, const timespec* timeout) noexcept {
    auto* address = const_cast<std::uint32_t*>(reinterpret_cast<const volatile std::uint32_t*>(&word));
    return ::syscall(SYS_futex, address, op, value, timeout, nullptr, 0);
}

}  // namespace

FutexWaitResult futex_wait(const std::atomic<std::uint32_t>& word, std::uint32_t expected, std::chrono::nanoseconds timeout) noexcept {
    if (timeout.count() <= 0) {
        return word.load(std::memory_order_acquire) == expected ? FutexWaitResult::timeout : FutexWaitResult::value_changed;
    }
    timespec relative{};
    relative.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
    relative.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
    // FUTEX_WAIT's timeout is relative and measured on CLOCK_MONOTONIC.
    if (futex(word, FUTEX_WAIT, expected, &relative) == 0) return FutexWaitResult::woken;
    switch (errno) {
    case EAGAIN: return FutexWaitResult::value_changed;
    case ETIMEDOUT: return FutexWaitResult::timeout;
    default: return FutexWaitResult::woken;  // EINTR: caller re-checks its condition
    }
}

int futex_wake(const std::atomic<std::uint32_t>& word, int count) noexcept {
    const long woken = futex(word, FUTEX_WAKE, static_cast<std::uint32_t>(count), nullptr);
    return woken < 0 ? 0 : static_cast<int>(woken);
}

int futex_wake_all(const std::atomic<std::uint32_t>& word) noexcept { return futex_wake(word, INT_MAX); }

}  // namespace pylabhub::platform
