// DataBlock between real processes: the producer is this test, consumers
// are fork/exec'd workers (tests/support/worker_main.cpp).
#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "counter_payload.hpp"
#include "pylabhub/datablock.hpp"
#include "shm_names.hpp"

namespace pylabhub::datablock {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;
using test::CounterPayload;

class DataBlockProcesses : public ::testing::Test {
protected:
    Producer create(DataBlockConfig config, WaitStrategy wait = WaitStrategy::spin_yield) {
        config.slot_bytes = sizeof(CounterPayload);
        auto producer = Producer::create(name_.name(), config, {.wait = wait});
        if (!producer) throw std::runtime_error(producer.error().message);
        return std::move(producer).value();
    }
    std::string secret_hex(const Producer& producer) { return crypto::to_hex(producer.secret()); }

    static Result<void> write_counter(Producer& producer, std::chrono::nanoseconds timeout) {
        return with_typed_write<CounterPayload>(
            producer, timeout, [&](CounterPayload& p) { test::fill_counter(p, producer.next_sequence()); });
    }

    /// Every consumer must see every one of `slots` slots exactly once, in order.
    void run_lossless(DataBlockConfig config, const std::vector<std::string>& consumer_waits) {
        Producer producer = create(config, WaitStrategy::blocking);
        const std::uint64_t slots = 100ULL * config.slot_count;
        std::vector<ChildProcess> consumers;
        for (const auto& wait : consumer_waits) {
            consumers.push_back(ChildProcess::spawn_worker(
                {"consume-counter", name_.name(), secret_hex(producer), std::to_string(slots), wait}));
        }
        for (auto& consumer : consumers) ASSERT_EQ(consumer.read_line(10s), "attached");

        for (std::uint64_t i = 0; i < slots; ++i) {
            auto written = write_counter(producer, 10s);
            ASSERT_TRUE(written.has_value()) << "slot " << i << ": " << written.error().message;
        }
        for (auto& consumer : consumers) {
            EXPECT_EQ(consumer.read_line(30s), "ok " + std::to_string(slots));
            EXPECT_EQ(consumer.wait(10s), 0);
        }
        const DataBlockMetrics metrics = producer.metrics();
        EXPECT_EQ(metrics.slots_written, slots);
        EXPECT_EQ(metrics.slots_read, slots * consumer_waits.size());
        EXPECT_EQ(metrics.checksum_failures, 0U);
        EXPECT_EQ(metrics.torn_reads, 0U);
        EXPECT_EQ(metrics.consumers, 0U) << "workers left the table on exit";
    }

    test::ShmNameGuard name_{"dbproc"};
};

TEST_F(DataBlockProcesses, SyncReaderThreeConsumersSeeEverySlotOnceInOrder) {
    DataBlockConfig config;
    config.slot_count = 16;
    config.sync = SyncPolicy::sync_reader;
    config.checksum = ChecksumKind::blake2b;
    run_lossless(config, {"blocking", "spin_yield", "busy_poll"});
}

TEST_F(DataBlockProcesses, SingleReaderConsumerSeesEverySlotOnceInOrder) {
    DataBlockConfig config;
    config.slot_count = 8;
    config.sync = SyncPolicy::single_reader;
    config.checksum = ChecksumKind::xxh3;
    run_lossless(config, {"blocking"});
}

TEST_F(DataBlockProcesses, LatestOnlyStalledReaderNeverBlocksTheWriterAndIsNeverHandedTornData) {
    DataBlockConfig config;
    config.slot_count = 8;
    config.sync = SyncPolicy::latest_only;
    config.checksum = ChecksumKind::xxh3;
    Producer producer = create(config);
    const std::uint64_t target = 100;
    auto reader = ChildProcess::spawn_worker({"hold-while-lapped", name_.name(), secret_hex(producer), std::to_string(target)});
    ASSERT_EQ(reader.read_line(10s), "attached");
    ASSERT_TRUE(write_counter(producer, 10ms).has_value());
    ASSERT_EQ(reader.read_line(10s), "holding 0");

    // The reader sits inside slot 0 the whole time; the writer laps it
    // twelve times and never waits.
    for (std::uint64_t i = 1; i < target; ++i) {
        auto written = write_counter(producer, 1ms);
        ASSERT_TRUE(written.has_value()) << "writer blocked at " << i << ": " << written.error().message;
    }
    EXPECT_EQ(reader.read_line(10s), "torn-detected newest 99 torn_reads 1");
    EXPECT_EQ(reader.wait(10s), 0);
    EXPECT_EQ(producer.metrics().writer_backpressure_timeouts, 0U);
}

TEST_F(DataBlockProcesses, SlowConsumerMakesTheWriterTimeOutAndItsDeathReleasesTheWriter) {
    DataBlockConfig config;
    config.slot_count = 4;
    config.sync = SyncPolicy::single_reader;
    Producer producer = create(config);
    auto stalled = ChildProcess::spawn_worker({"consume-nothing", name_.name(), secret_hex(producer)});
    ASSERT_EQ(stalled.read_line(10s), "attached");

    for (int i = 0; i < 4; ++i) ASSERT_TRUE(write_counter(producer, 10ms).has_value());
    auto blocked = write_counter(producer, 50ms);
    ASSERT_FALSE(blocked.has_value());
    EXPECT_EQ(blocked.error().code, ErrorCode::timeout);
    EXPECT_THAT(blocked.error().message, ::testing::HasSubstr("ring full"));
    EXPECT_EQ(producer.metrics().writer_backpressure_timeouts, 1U);

    stalled.signal(SIGKILL);  // not reaped: a zombie still counts as dead
    auto resumed = write_counter(producer, 5s);
    ASSERT_TRUE(resumed.has_value()) << resumed.error().message;
    EXPECT_GE(producer.metrics().recovery_actions, 1U);
    EXPECT_EQ(producer.metrics().consumers, 0U);
}

} // namespace
} // namespace pylabhub::datablock
