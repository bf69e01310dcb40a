#include "pylabhub/platform/robust_mutex.hpp"

#include <atomic>
#include <cerrno>
#include <ctime>

#include <pthread.h>

#include "errno_error.hpp"
#include "pylabhub/log.hpp"
#include "pylabhub/platform/process.hpp"

namespace pylabhub::platform {
namespace {

static_assert(std::is_trivially_default_constructible_v<SharedRobustMutex> && std::is_trivially_destructible_v<SharedRobustMutex>,
              "must be placeable in raw shared memory");

constexpr const char* kWhat = "robust mutex";

pthread_mutex_t* as_mutex(void* storage) noexcept { return static_cast<pthread_mutex_t*>(storage); }

}  // namespace

static_assert(sizeof(pthread_mutex_t) <= 48 && alignof(pthread_mutex_t) <= 8,
              "SharedRobustMutex::storage_ is too small for this platform's pthread_mutex_t");

Result<void> SharedRobustMutex::initialize() noexcept {
    pthread_mutexattr_t attributes;
    if (int rc = pthread_mutexattr_init(&attributes); rc != 0) return detail::errno_error(kWhat, "attr init", rc);
    int rc = pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
    if (rc == 0) rc = pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
    // Error checking makes unlock by a non-owner an error instead of UB.
    if (rc == 0) rc = pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_ERRORCHECK);
    if (rc == 0) rc = pthread_mutex_init(as_mutex(native()), &attributes);
    pthread_mutexattr_destroy(&attributes);
    if (rc != 0) return detail::errno_error(kWhat, "initialise", rc);
    std::atomic_ref<std::uint64_t>(recovered_count_).store(0, std::memory_order_relaxed);
    return {};
}

Result<LockAcquisition> SharedRobustMutex::after_lock(int rc, const char* operation) noexcept {
    if (rc == 0) return LockAcquisition::acquired;
    if (rc == EOWNERDEAD) {
        // We hold the lock now; marking it consistent lets it be used again.
        if (int fixed = pthread_mutex_consistent(as_mutex(native())); fixed != 0) {
            pthread_mutex_unlock(as_mutex(native()));
            return detail::errno_error(kWhat, "make consistent", fixed);
        }
        const auto count = std::atomic_ref<std::uint64_t>(recovered_count_).fetch_add(1, std::memory_order_relaxed) + 1;
        log::logger().warn("robust mutex: previous owner died holding it; recovered by pid {} (recovery #{})", current_pid(), count);
        return LockAcquisition::recovered_from_dead_owner;
    }
    if (rc == ENOTRECOVERABLE) {
        return make_error(ErrorCode::unrecoverable,
                          "robust mutex: not recoverable (an earlier owner died and the lock was released "
                          "without being made consistent)");
    }
    if (rc == EDEADLK) return make_error(ErrorCode::busy, "robust mutex: already held by the calling thread");
    return detail::errno_error(kWhat, operation, rc);
}

Result<LockAcquisition> SharedRobustMutex::lock() noexcept { return after_lock(pthread_mutex_lock(as_mutex(native())), "lock"); }

Result<LockAcquisition> SharedRobustMutex::try_lock() noexcept {
    const int rc = pthread_mutex_trylock(as_mutex(native()));
    if (rc == EBUSY) return make_error(ErrorCode::busy, "robust mutex: held by another thread or process");
    return after_lock(rc, "try_lock");
}

Result<LockAcquisition> SharedRobustMutex::lock_for(std::chrono::nanoseconds timeout) noexcept {
#if defined(__SANITIZE_THREAD__)
    // GCC 12's ThreadSanitizer does not intercept pthread_mutex_clocklock and
    // would lose track of who holds the mutex; timedlock it understands.
    constexpr clockid_t kClock = CLOCK_REALTIME;
#else
    // The monotonic clock: a wall-clock step neither shortens nor stretches the wait.
    constexpr clockid_t kClock = CLOCK_MONOTONIC;
#endif
    timespec deadline{};
    ::clock_gettime(kClock, &deadline);
    const auto total_ns = static_cast<long long>(deadline.tv_nsec) + (timeout.count() > 0 ? timeout.count() : 0);
    deadline.tv_sec += static_cast<time_t>(total_ns / 1'000'000'000);
    deadline.tv_nsec = static_cast<long>(total_ns % 1'000'000'000);
#if defined(__SANITIZE_THREAD__)
    const int rc = pthread_mutex_timedlock(as_mutex(native()), &deadline);
#else
    const int rc = pthread_mutex_clocklock(as_mutex(native()), kClock, &deadline);
#endif
    if (rc == ETIMEDOUT) {
        return make_error(ErrorCode::timeout, "robust mutex: not acquired within " + std::to_string(timeout.count() / 1'000'000) + " ms");
    }
    return after_lock(rc, "lock_for");
}

Result<void> SharedRobustMutex::unlock() noexcept {
    const int rc = pthread_mutex_unlock(as_mutex(native()));
    if (rc == EPERM) return make_error(ErrorCode::not_owner, "robust mutex: unlock by a thread that does not hold it");
    if (rc != 0) return detail::errno_error(kWhat, "unlock", rc);
    return {};
}

std::uint64_t SharedRobustMutex::recovered_count() const noexcept {
    return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(recovered_count_)).load(std::memory_order_relaxed);
}

}  // namespace pylabhub::platform
