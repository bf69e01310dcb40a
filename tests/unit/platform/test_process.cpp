#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "child_process.hpp"
#include "pylabhub/platform/process.hpp"

namespace pylabhub::platform {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;

TEST(Process, CurrentIdentityIsThisProcess) {
    EXPECT_EQ(current_pid(), static_cast<ProcessId>(::getpid()));
    const ProcessIdentity& me = current_process();
    EXPECT_EQ(me.pid, current_pid());
    EXPECT_NE(me.start_time, 0U);
    auto start = process_start_time(me.pid);
    ASSERT_TRUE(start.has_value()) << start.error().message;
    EXPECT_EQ(*start, me.start_time);
}

TEST(Process, SelfIsAliveWithAndWithoutStartTime) {
    EXPECT_TRUE(is_process_alive(current_pid()));
    EXPECT_TRUE(is_process_alive(current_process()));
}

TEST(Process, StartTimeThatDoesNotMatchMeansDead) {
    const ProcessIdentity& me = current_process();
    EXPECT_FALSE(is_process_alive(me.pid, me.start_time + 1));
}

TEST(Process, PidZeroAndOutOfRangeAreNeverAlive) {
    EXPECT_FALSE(is_process_alive(0));
    EXPECT_FALSE(is_process_alive(ProcessId{1} << 40));
    auto start = process_start_time(0);
    ASSERT_FALSE(start.has_value());
    EXPECT_EQ(start.error().code, ErrorCode::invalid_argument);
}

TEST(Process, ReapedChildIsDeadAndHasNoStartTime) {
    auto child = ChildProcess::spawn_worker({"idle"});
    ASSERT_EQ(child.read_line(5s), "idle");
    const ProcessId pid = static_cast<ProcessId>(child.pid());
    auto start = process_start_time(pid);
    ASSERT_TRUE(start.has_value());
    EXPECT_TRUE(is_process_alive(pid, *start));

    child.kill_and_reap();
    EXPECT_FALSE(is_process_alive(pid, *start));
    auto gone = process_start_time(pid);
    ASSERT_FALSE(gone.has_value());
    EXPECT_EQ(gone.error().code, ErrorCode::not_found);
}

TEST(Process, KilledButUnreapedChildCountsAsDead) {
    auto child = ChildProcess::spawn_worker({"idle"});
    ASSERT_EQ(child.read_line(5s), "idle");
    const ProcessId pid = static_cast<ProcessId>(child.pid());
    child.signal(SIGKILL);
    // The zombie keeps its pid and /proc entry until reaped; it must still
    // read as dead, or a lock it held would never be reclaimed.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (is_process_alive(pid) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    EXPECT_FALSE(is_process_alive(pid));
}

}  // namespace
}  // namespace pylabhub::platform
