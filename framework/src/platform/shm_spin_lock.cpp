#include "pylabhub/platform/shm_spin_lock.hpp"

#include <atomic>
#include <cstddef>
#include <string>

#include "pylabhub/log.hpp"
#include "pylabhub/platform/backoff.hpp"
#include "pylabhub/platform/clock.hpp"

namespace pylabhub::platform {
namespace {

static_assert(std::is_trivially_default_constructible_v<SharedSpinLock> && std::is_trivially_destructible_v<SharedSpinLock>,
              "must be placeable in raw shared memory, where all-zero means unlocked");

// Reading /proc costs microseconds, so a waiter looks at the owner's
// liveness only this often, never on the uncontended path.
constexpr std::uint64_t kLivenessCheckIntervalNs = 1'000'000;

std::atomic_ref<std::uint64_t> atomic(std::uint64_t& field) noexcept { return std::atomic_ref<std::uint64_t>(field); }
std::uint64_t load(const std::uint64_t& field, std::memory_order order = std::memory_order_acquire) noexcept {
    return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(field)).load(order);
}

std::string describe_owner(std::uint64_t word) { return "pid " + std::to_string(owner_word_pid(word)); }

}  // namespace

std::uint64_t SharedSpinLock::owner_word(const ProcessIdentity& who) noexcept {
    static_assert(offsetof(SharedSpinLock, owner_word_) == 0, "the header documents the word at offset 0");
    return platform::owner_word(who);
}

Result<LockAcquisition> SharedSpinLock::take_over(std::uint64_t dead_word) noexcept {
    const ProcessIdentity& me = current_process();
    std::uint64_t expected = dead_word;
    if (!atomic(owner_word_).compare_exchange_strong(expected, owner_word(me), std::memory_order_acquire)) {
        return make_error(ErrorCode::busy, "shm spin lock: taken over from dead " + describe_owner(dead_word) + " by another waiter first");
    }
    atomic(owner_start_time_).store(me.start_time, std::memory_order_relaxed);
    const auto count = atomic(reclaimed_count_).fetch_add(1, std::memory_order_relaxed) + 1;
    log::logger().warn("shm spin lock: owner {} is dead; lock reclaimed by pid {} (reclaim #{})", describe_owner(dead_word), me.pid, count);
    return LockAcquisition::recovered_from_dead_owner;
}

Result<LockAcquisition> SharedSpinLock::try_lock() noexcept {
    const ProcessIdentity& me = current_process();
    std::uint64_t expected = 0;
    if (atomic(owner_word_).compare_exchange_strong(expected, owner_word(me), std::memory_order_acquire)) {
        atomic(owner_start_time_).store(me.start_time, std::memory_order_relaxed);
        return LockAcquisition::acquired;
    }
    if (expected != owner_word(me) && !is_owner_word_alive(expected)) return take_over(expected);
    return make_error(ErrorCode::busy, "shm spin lock: held by " + describe_owner(expected));
}

Result<LockAcquisition> SharedSpinLock::lock_for(std::chrono::nanoseconds timeout) noexcept {
    const ProcessIdentity& me = current_process();
    const std::uint64_t mine = owner_word(me);
    const std::uint64_t start = monotonic_time_ns();
    const std::uint64_t deadline = start + static_cast<std::uint64_t>(timeout.count() > 0 ? timeout.count() : 0);
    std::uint64_t next_liveness_check = start + kLivenessCheckIntervalNs;
    Backoff backoff;
    for (;;) {
        std::uint64_t expected = 0;
        if (atomic(owner_word_).compare_exchange_weak(expected, mine, std::memory_order_acquire)) {
            atomic(owner_start_time_).store(me.start_time, std::memory_order_relaxed);
            return LockAcquisition::acquired;
        }
        const std::uint64_t now = monotonic_time_ns();
        if (expected != 0 && expected != mine && now >= next_liveness_check) {
            if (!is_owner_word_alive(expected)) {
                if (auto taken = take_over(expected)) return taken;
            }
            next_liveness_check = now + kLivenessCheckIntervalNs;
        }
        if (now >= deadline) {
            return make_error(ErrorCode::timeout,
                              "shm spin lock: held by " + describe_owner(expected) + ", not released within " +
                                  std::to_string(timeout.count() / 1'000'000) + " ms");
        }
        backoff.pause();
    }
}

Result<void> SharedSpinLock::unlock() noexcept {
    const std::uint64_t mine = owner_word(current_process());
    // Only the owner changes a word that holds its own identity (others CAS
    // from 0 or from a dead owner's word), so check-then-release is safe.
    const std::uint64_t held_by = load(owner_word_);
    if (held_by != mine) {
        if (held_by == 0) return make_error(ErrorCode::not_owner, "shm spin lock: unlock of a lock nobody holds");
        return make_error(
            ErrorCode::not_owner,
            "shm spin lock: unlock by pid " + std::to_string(current_pid()) + ", but it is held by " + describe_owner(held_by));
    }
    atomic(owner_start_time_).store(0, std::memory_order_relaxed);
    atomic(owner_word_).store(0, std::memory_order_release);
    return {};
}

bool SharedSpinLock::is_locked() const noexcept { return load(owner_word_) != 0; }

ProcessIdentity SharedSpinLock::owner() const noexcept {
    const std::uint64_t word = load(owner_word_);
    if (word == 0) return {};
    return ProcessIdentity{owner_word_pid(word), load(owner_start_time_, std::memory_order_relaxed)};
}

std::uint64_t SharedSpinLock::reclaimed_count() const noexcept { return load(reclaimed_count_, std::memory_order_relaxed); }

}  // namespace pylabhub::platform
