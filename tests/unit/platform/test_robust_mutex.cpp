#include <chrono>
#include <optional>
#include <csignal>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "pylabhub/platform/robust_mutex.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "shm_names.hpp"

namespace pylabhub::platform {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;
using ::testing::HasSubstr;

class RobustMutexTest : public ::testing::Test {
protected:
    void SetUp() override {
        mutex_ = new (segment_.data()) SharedRobustMutex;
        ASSERT_TRUE(mutex_->initialize().has_value());
    }

    test::TestSegment segment_{"robust", 4096};
    SharedRobustMutex* mutex_ = nullptr;
};

TEST_F(RobustMutexTest, LockUnlockAndTryLock) {
    ASSERT_EQ(mutex_->lock().value(), LockAcquisition::acquired);
    std::thread other([&] {
        auto attempt = mutex_->try_lock();
        ASSERT_FALSE(attempt.has_value());
        EXPECT_EQ(attempt.error().code, ErrorCode::busy);
    });
    other.join();
    EXPECT_TRUE(mutex_->unlock().has_value());
    ASSERT_EQ(mutex_->try_lock().value(), LockAcquisition::acquired);
    EXPECT_TRUE(mutex_->unlock().has_value());
    EXPECT_EQ(mutex_->recovered_count(), 0U);
}

TEST_F(RobustMutexTest, UnlockByNonOwnerIsAnError) {
    auto result = mutex_->unlock();
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::not_owner);
}

TEST_F(RobustMutexTest, RelockByTheOwningThreadIsRefused) {
    ASSERT_TRUE(mutex_->lock().has_value());
    auto again = mutex_->lock();
    ASSERT_FALSE(again.has_value());
    EXPECT_THAT(again.error().message, HasSubstr("already held by the calling thread"));
    EXPECT_TRUE(mutex_->unlock().has_value());
}

TEST_F(RobustMutexTest, LockForTimesOutWhileAnotherProcessHoldsIt) {
    auto child = ChildProcess::spawn_worker({"hold-robust-mutex", segment_.name()});
    ASSERT_EQ(child.read_line(10s), "locked");
    auto attempt = mutex_->lock_for(20ms);
    ASSERT_FALSE(attempt.has_value());
    EXPECT_EQ(attempt.error().code, ErrorCode::timeout);
    EXPECT_THAT(attempt.error().message, HasSubstr("20 ms"));
}

TEST_F(RobustMutexTest, OwnerKilledWhileHoldingItIsRecovered) {
    auto child = ChildProcess::spawn_worker({"hold-robust-mutex", segment_.name()});
    ASSERT_EQ(child.read_line(10s), "locked");
    EXPECT_EQ(mutex_->try_lock().error().code, ErrorCode::busy);

    child.signal(SIGKILL);
    auto taken = mutex_->lock_for(5s);
    ASSERT_TRUE(taken.has_value()) << taken.error().message;
    EXPECT_EQ(*taken, LockAcquisition::recovered_from_dead_owner);
    EXPECT_EQ(mutex_->recovered_count(), 1U);
    ASSERT_TRUE(mutex_->unlock().has_value());

    // Made consistent: usable as normal again.
    ASSERT_EQ(mutex_->lock_for(1s).value(), LockAcquisition::acquired);
    EXPECT_TRUE(mutex_->unlock().has_value());
    EXPECT_EQ(mutex_->recovered_count(), 1U);
}

}  // namespace
}  // namespace pylabhub::platform
