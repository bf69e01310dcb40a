#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "child_process.hpp"
#include "pylabhub/platform/futex.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "shm_names.hpp"

namespace pylabhub::platform {
namespace {

using namespace std::chrono_literals;

TEST(Futex, ReturnsAtOnceWhenTheWordAlreadyDiffers) {
    std::atomic<std::uint32_t> word{5};
    EXPECT_EQ(futex_wait(word, 4, 1s), FutexWaitResult::value_changed);
    EXPECT_EQ(futex_wait(word, 4, 0ns), FutexWaitResult::value_changed);
}

TEST(Futex, TimesOutWhenNobodyWakes) {
    std::atomic<std::uint32_t> word{0};
    EXPECT_EQ(futex_wait(word, 0, 2ms), FutexWaitResult::timeout);
    EXPECT_EQ(futex_wait(word, 0, 0ns), FutexWaitResult::timeout);
}

TEST(Futex, WakeWithoutWaitersWakesNobody) {
    std::atomic<std::uint32_t> word{0};
    EXPECT_EQ(futex_wake_all(word), 0);
}

// A private futex would never wake a waiter in another process; this test
// fails unless the wake crosses the process boundary.
TEST(Futex, WakesAWaiterInAnotherProcess) {
    test::TestSegment segment("futex", 4096);
    auto* word = new (segment.data()) std::atomic<std::uint32_t>(0);

    auto child = test::ChildProcess::spawn_worker({"futex-wait", segment.name()});
    ASSERT_EQ(child.read_line(5s), "waiting");
    int woken = 0;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (woken == 0 && std::chrono::steady_clock::now() < deadline) {
        woken = futex_wake(*word, 1);  // 0 until the child is asleep in the kernel
        if (woken == 0) std::this_thread::sleep_for(100us);
    }
    EXPECT_EQ(woken, 1);
    EXPECT_EQ(child.read_line(5s), "woken");
    EXPECT_EQ(child.wait(5s), 0);
}

}  // namespace
}  // namespace pylabhub::platform
