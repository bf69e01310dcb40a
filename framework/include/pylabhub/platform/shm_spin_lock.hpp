// A spin lock in shared memory that knows its owner and takes the lock back
// from an owner that died.
//
// The whole ownership record is one 64-bit word at offset 0 (pid in the high half, the
// low 32 bits of the owner's start time in the low half), so acquiring,
// releasing and reclaiming from a dead owner are each a single CAS: two
// waiters that both find the owner dead cannot both win. All-zero memory is
// an unlocked lock, so a fresh segment needs no initialisation.
//
// Ownership is per process: threads of the owning process share it. Use it
// for short critical sections between processes; the waiter spins, yields,
// then sleeps (see Backoff), and checks the owner's liveness only after
// spinning, so an uncontended lock/unlock makes no system call.
#pragma once

#include <chrono>
#include <cstdint>

#include "pylabhub/core/result.hpp"
#include "pylabhub/platform/process.hpp"
#include "pylabhub/platform/robust_mutex.hpp"

namespace pylabhub::platform {

class SharedSpinLock {
public:
    /// busy error when a live process holds the lock; takes it over (and says
    /// so) when the holder is dead.
    Result<LockAcquisition> try_lock() noexcept;
    /// timeout error, naming the holder, after `timeout`.
    Result<LockAcquisition> lock_for(std::chrono::nanoseconds timeout) noexcept;
    /// not_owner error when this process does not hold the lock.
    Result<void> unlock() noexcept;

    bool is_locked() const noexcept;
    /// Who holds it ({0, 0} when free). start_time may read 0 for an instant
    /// after the lock was taken.
    ProcessIdentity owner() const noexcept;
    std::uint64_t reclaimed_count() const noexcept;

    /// The lock word a process with this identity writes; exposed for
    /// diagnostics and tests.
    static std::uint64_t owner_word(const ProcessIdentity& who) noexcept;

private:
    Result<LockAcquisition> take_over(std::uint64_t dead_word) noexcept;

    alignas(8) std::uint64_t owner_word_;
    std::uint64_t owner_start_time_;
    std::uint64_t reclaimed_count_;
};

}  // namespace pylabhub::platform
