#include <algorithm>
#include <chrono>

#include <gtest/gtest.h>

#include "pylabhub/platform/backoff.hpp"
#include "pylabhub/platform/clock.hpp"

namespace pylabhub::platform {
namespace {

TEST(Clock, MonotonicNeverGoesBackAndTracksSteadyClock) {
    std::uint64_t previous = monotonic_time_ns();
    for (int i = 0; i < 10000; ++i) {
        const std::uint64_t now = monotonic_time_ns();
        ASSERT_GE(now, previous);
        previous = now;
    }
    // steady_clock is CLOCK_MONOTONIC on Linux: both read the same timeline.
    const auto steady = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
    const std::uint64_t ours = monotonic_time_ns();
    EXPECT_LT(ours - steady, 1'000'000'000ULL);
}

TEST(Clock, CoarseIsTheSameTimelineAtMostATickBehind) {
    const std::uint64_t before = monotonic_time_ns();
    const std::uint64_t coarse = coarse_monotonic_time_ns();
    const std::uint64_t after = monotonic_time_ns();
    EXPECT_LE(coarse, after);
    // A kernel tick is 1-10 ms (HZ 1000..100); allow a generous margin.
    EXPECT_LT(before - std::min(before, coarse), 50'000'000ULL) << "coarse " << coarse << " vs precise " << before;
}

TEST(Clock, SleepUntilWakesNoEarlierThanTheDueTime) {
    for (int i = 0; i < 5; ++i) {
        const std::uint64_t due = monotonic_time_ns() + 300'000;  // 0.3 ms: within one timer tick of any kernel
        sleep_until_monotonic_ns(due);
        EXPECT_GE(monotonic_time_ns(), due);
    }
    const std::uint64_t before = monotonic_time_ns();
    sleep_until_monotonic_ns(before - 1'000'000);  // a due time passed: returns without waiting for anything
    EXPECT_GE(monotonic_time_ns(), before);
}

TEST(Backoff, SleepsOnlyAfterSpinAndYieldPhases) {
    Backoff backoff(4, 4, 100);
    const std::uint64_t start = monotonic_time_ns();
    for (int i = 0; i < 8; ++i) backoff.pause();
    EXPECT_EQ(backoff.iterations(), 8U);
    const std::uint64_t spin_and_yield = monotonic_time_ns() - start;

    for (int i = 0; i < 5; ++i) backoff.pause();  // 1+2+4+8+16 µs of sleep at least
    EXPECT_GE(monotonic_time_ns() - start - spin_and_yield, 31'000U);

    backoff.reset();
    EXPECT_EQ(backoff.iterations(), 0U);
}

}  // namespace
}  // namespace pylabhub::platform
