// A process-shared mutex that lives in shared memory and survives the death
// of its owner (a POSIX robust mutex).
//
// When an owner dies while holding it, the next locker gets the lock with
// LockAcquisition::recovered_from_dead_owner: the mutex is made consistent
// again, the recovery is counted and logged, and the caller should check the
// data the mutex protects before trusting it.
#pragma once

#include <chrono>
#include <cstdint>

#include "pylabhub/core/result.hpp"

namespace pylabhub::platform {

enum class LockAcquisition {
    acquired,                   ///< the lock was free or released normally
    recovered_from_dead_owner,  ///< the previous owner died holding it
};

/// Trivial type: place it in a segment and call initialize() exactly once
/// (the segment's creator) before any process uses it.
class SharedRobustMutex {
public:
    Result<void> initialize() noexcept;

    Result<LockAcquisition> lock() noexcept;
    /// timeout error after `timeout` (monotonic clock).
    Result<LockAcquisition> lock_for(std::chrono::nanoseconds timeout) noexcept;
    /// busy error when another live thread or process holds it.
    Result<LockAcquisition> try_lock() noexcept;
    /// not_owner error when the calling thread does not hold it.
    Result<void> unlock() noexcept;

    /// How often a lock was taken over from a dead owner, over the mutex's life.
    std::uint64_t recovered_count() const noexcept;

private:
    Result<LockAcquisition> after_lock(int rc, const char* operation) noexcept;
    void* native() noexcept { return storage_; }

    alignas(8) unsigned char storage_[48];  // a pthread_mutex_t (40 bytes on glibc x86_64/aarch64)
    std::uint64_t recovered_count_;
};

}  // namespace pylabhub::platform
