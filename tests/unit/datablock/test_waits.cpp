// Timeouts of the waits, for every wait strategy: a wait gives up once its
// time limit is over (the limit starts at the wait's first clock reading,
// after a few spins), a zero limit looks once, and what arrives in time is
// taken. Bounds are generous: these check the limits, not speed.
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "pylabhub/datablock.hpp"
#include "datablock_fixtures.hpp"
#include "shm_names.hpp"

namespace pylabhub::datablock {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class WaitTest : public ::testing::TestWithParam<WaitStrategy> {
protected:
    Producer make_producer(SyncPolicy sync, std::uint32_t slots) {
        DataBlockConfig config;
        config.slot_count = slots;
        config.slot_bytes = 64;
        config.sync = sync;
        return test::make_producer_or_throw(name_.name(), config, {.wait = GetParam()});
    }
    Consumer attach(const Producer& producer) {
        ConsumerOptions options;
        options.wait = GetParam();
        return test::attach_or_throw(name_.name(), producer, options);
    }
    test::ShmNameGuard name_{"waits"};
};

TEST_P(WaitTest, AReaderGivesUpAfterItsTimeoutAndAZeroTimeoutLooksOnce) {
    Producer producer = make_producer(SyncPolicy::sync_reader, 4);
    Consumer consumer = attach(producer);
    auto start = Clock::now();
    EXPECT_EQ(consumer.acquire_read(30ms).error().code, ErrorCode::timeout);
    EXPECT_GE(Clock::now() - start, 30ms);
    EXPECT_LT(Clock::now() - start, 5s);

    start = Clock::now();
    EXPECT_EQ(consumer.acquire_read(0ms).error().code, ErrorCode::timeout);
    EXPECT_EQ(consumer.acquire_read_batch(8, 0ms).error().code, ErrorCode::timeout);
    EXPECT_LT(Clock::now() - start, 1s);

    ASSERT_TRUE(producer.acquire_write(0ms)->commit(1).has_value());
    EXPECT_TRUE(consumer.acquire_read(0ms).has_value()) << "what is there is taken even with a zero timeout";
}

TEST_P(WaitTest, AWriterOnAFullRingGivesUpAfterItsTimeout) {
    Producer producer = make_producer(SyncPolicy::single_reader, 2);
    Consumer consumer = attach(producer);
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(producer.acquire_write(0ms)->commit(1).has_value());
    auto start = Clock::now();
    EXPECT_EQ(producer.acquire_write(30ms).error().code, ErrorCode::timeout);
    EXPECT_GE(Clock::now() - start, 30ms);
    EXPECT_EQ(producer.acquire_write_batch(2, 0ms).error().code, ErrorCode::timeout);
    EXPECT_LT(Clock::now() - start, 5s);
}

TEST_P(WaitTest, AReaderTakesWhatIsCommittedWhileItWaits) {
    Producer producer = make_producer(SyncPolicy::sync_reader, 4);
    Consumer consumer = attach(producer);
    std::thread writer([&] {
        std::this_thread::sleep_for(20ms);
        (void)producer.acquire_write(1s)->commit(1);
    });
    auto read = consumer.acquire_read(10s);
    writer.join();
    ASSERT_TRUE(read.has_value()) << read.error().message;
    EXPECT_EQ(read->sequence(), 0U);
}

std::string strategy_name(const ::testing::TestParamInfo<WaitStrategy>& param) {
    switch (param.param) {
    case WaitStrategy::busy_poll: return "busy_poll";
    case WaitStrategy::spin_yield: return "spin_yield";
    case WaitStrategy::blocking: return "blocking";
    }
    return "unknown";
}

INSTANTIATE_TEST_SUITE_P(EveryStrategy, WaitTest,
                         ::testing::Values(WaitStrategy::busy_poll, WaitStrategy::spin_yield, WaitStrategy::blocking), strategy_name);

}  // namespace
}  // namespace pylabhub::datablock
