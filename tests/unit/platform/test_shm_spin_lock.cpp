#include <atomic>
#include <chrono>
#include <optional>
#include <csignal>
#include <cstring>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "pylabhub/platform/process.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "pylabhub/platform/shm_spin_lock.hpp"
#include "shm_names.hpp"

namespace pylabhub::platform {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;
using ::testing::HasSubstr;

class SpinLockTest : public ::testing::Test {
protected:
    void SetUp() override {
        // Zero-filled memory is an unlocked lock: no initialisation.
        lock_ = reinterpret_cast<SharedSpinLock*>(segment_.data());
    }

    /// Writes an ownership record as a (possibly long gone) process would have.
    void forge_owner(const ProcessIdentity& who) {
        const std::uint64_t word = SharedSpinLock::owner_word(who);
        std::memcpy(segment_.data(), &word, sizeof word);
    }

    test::TestSegment segment_{"spin", 4096};
    SharedSpinLock* lock_ = nullptr;
};

TEST_F(SpinLockTest, FreshMemoryIsUnlocked) {
    EXPECT_FALSE(lock_->is_locked());
    EXPECT_EQ(lock_->owner(), ProcessIdentity{});
    EXPECT_EQ(lock_->reclaimed_count(), 0U);
}

TEST_F(SpinLockTest, RecordsItsOwnerAndReleases) {
    ASSERT_EQ(lock_->try_lock().value(), LockAcquisition::acquired);
    EXPECT_TRUE(lock_->is_locked());
    EXPECT_EQ(lock_->owner(), current_process());
    auto again = lock_->try_lock();
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code, ErrorCode::busy);
    ASSERT_TRUE(lock_->unlock().has_value());
    EXPECT_FALSE(lock_->is_locked());
}

TEST_F(SpinLockTest, UnlockWhenNotHeldIsAnError) {
    auto result = lock_->unlock();
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::not_owner);
}

TEST_F(SpinLockTest, UnlockByANonOwnerProcessLeavesTheLockAlone) {
    auto child = ChildProcess::spawn_worker({"hold-spin-lock", segment_.name()});
    ASSERT_EQ(child.read_line(10s), "locked");
    auto result = lock_->unlock();
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::not_owner);
    EXPECT_THAT(result.error().message, HasSubstr("pid " + std::to_string(child.pid())));
    EXPECT_EQ(lock_->owner().pid, static_cast<ProcessId>(child.pid()));
}

TEST_F(SpinLockTest, MutualExclusionBetweenThreads) {
    // Threads of one process share ownership, so exclusion here comes from
    // the CAS on the word: only one caller at a time sees it at zero.
    std::uint64_t counter = 0;
    std::atomic<int> inside{0};
    std::atomic<bool> overlapped{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 2000; ++i) {
                while (!lock_->try_lock().has_value()) std::this_thread::yield();
                if (inside.fetch_add(1) != 0) overlapped = true;
                ++counter;
                inside.fetch_sub(1);
                ASSERT_TRUE(lock_->unlock().has_value());
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_FALSE(overlapped.load());
    EXPECT_EQ(counter, 8000U);
}

TEST_F(SpinLockTest, TimesOutNamingALiveHolder) {
    auto child = ChildProcess::spawn_worker({"hold-spin-lock", segment_.name()});
    ASSERT_EQ(child.read_line(10s), "locked");
    auto attempt = lock_->lock_for(30ms);
    ASSERT_FALSE(attempt.has_value());
    EXPECT_EQ(attempt.error().code, ErrorCode::timeout);
    EXPECT_THAT(attempt.error().message, HasSubstr("pid " + std::to_string(child.pid())));
    EXPECT_EQ(lock_->reclaimed_count(), 0U) << "a live owner is never robbed";
}

TEST_F(SpinLockTest, HolderKilledIsReclaimedEvenBeforeItIsReaped) {
    auto child = ChildProcess::spawn_worker({"hold-spin-lock", segment_.name()});
    ASSERT_EQ(child.read_line(10s), "locked");
    child.signal(SIGKILL);  // a zombie now: pid and /proc entry still exist

    auto taken = lock_->lock_for(5s);
    ASSERT_TRUE(taken.has_value()) << taken.error().message;
    EXPECT_EQ(*taken, LockAcquisition::recovered_from_dead_owner);
    EXPECT_EQ(lock_->reclaimed_count(), 1U);
    EXPECT_EQ(lock_->owner().pid, current_pid());
    EXPECT_TRUE(lock_->unlock().has_value());
}

TEST_F(SpinLockTest, TryLockAlsoReclaimsFromADeadHolder) {
    auto child = ChildProcess::spawn_worker({"hold-spin-lock", segment_.name()});
    ASSERT_EQ(child.read_line(10s), "locked");
    child.kill_and_reap();
    ASSERT_EQ(lock_->try_lock().value(), LockAcquisition::recovered_from_dead_owner);
    EXPECT_TRUE(lock_->unlock().has_value());
}

TEST_F(SpinLockTest, RecordedStartTimeThatDoesNotMatchIsTreatedAsDead) {
    // A live process whose pid is in the lock, but whose start time is not:
    // the record was left by an earlier process that had the same pid.
    auto child = ChildProcess::spawn_worker({"idle"});
    ASSERT_EQ(child.read_line(10s), "idle");
    const auto pid = static_cast<ProcessId>(child.pid());
    const std::uint64_t real_start = process_start_time(pid).value();

    forge_owner({pid, real_start});
    EXPECT_EQ(lock_->lock_for(20ms).error().code, ErrorCode::timeout) << "matching record: the owner is alive";

    forge_owner({pid, real_start + 1});
    auto taken = lock_->lock_for(5s);
    ASSERT_TRUE(taken.has_value()) << taken.error().message;
    EXPECT_EQ(*taken, LockAcquisition::recovered_from_dead_owner);
    EXPECT_TRUE(lock_->unlock().has_value());
}

}  // namespace
}  // namespace pylabhub::platform
