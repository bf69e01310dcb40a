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
        return with_typed_write<CounterPayload>(producer, timeout,
                                                [&](CounterPayload& p) { test::fill_counter(p, producer.next_sequence()); });
    }

    /// Every consumer must see every one of `slots` slots exactly once, in order.
    void run_lossless(DataBlockConfig config, const std::vector<std::string>& consumer_waits) {
        Producer producer = create(config, WaitStrategy::blocking);
        const std::uint64_t slots = 100ULL * config.slot_count;
        std::vector<ChildProcess> consumers;
        for (const auto& wait : consumer_waits) {
            consumers.push_back(
                ChildProcess::spawn_worker({"consume-counter", name_.name(), secret_hex(producer), std::to_string(slots), wait}));
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

TEST_F(DataBlockProcesses, ProducerKilledMidWriteIsRecoveredByARestartedProducerWithoutLoss) {
    auto crashed = ChildProcess::spawn_worker({"produce-then-hang", name_.name(), "5"});
    const auto secret_line = crashed.read_line(10s);
    ASSERT_TRUE(secret_line && secret_line->rfind("secret ", 0) == 0) << secret_line.value_or("(nothing)");
    ConsumerOptions options;
    options.secret = crypto::from_hex_fixed<32>(secret_line->substr(7)).value();
    auto consumer = Consumer::attach(name_.name(), options);  // sees what is committed after it joined
    ASSERT_TRUE(consumer.has_value()) << consumer.error().message;
    ASSERT_EQ(crashed.read_line(10s), "mid-write 5");
    crashed.signal(SIGKILL);
    ASSERT_TRUE(crashed.wait(10s).has_value());

    // Nothing committed is lost, the torn slot is never handed out.
    std::uint64_t next = 0;
    for (;;) {
        auto slot = consumer->acquire_read(50ms);
        if (!slot) {
            EXPECT_EQ(slot.error().code, ErrorCode::timeout) << "the half-written slot 5 must not be delivered";
            break;
        }
        const auto& payload = *reinterpret_cast<const CounterPayload*>(slot->buffer().data());
        EXPECT_EQ(test::check_counter(payload, slot->sequence()), "");
        next = slot->sequence() + 1;
    }
    EXPECT_LE(next, 5U);

    // The producer restarts under the same name: same layout, dead owner: reused.
    DataBlockConfig config;
    config.slot_count = 8;
    config.slot_bytes = sizeof(CounterPayload);
    config.sync = SyncPolicy::sync_reader;
    config.checksum = ChecksumKind::xxh3;
    auto restarted = Producer::create(name_.name(), config);
    ASSERT_TRUE(restarted.has_value()) << restarted.error().message;
    EXPECT_EQ(restarted->secret(), options.secret) << "reused, so attached consumers carry on";
    EXPECT_EQ(restarted->next_sequence(), 5U);
    EXPECT_GE(restarted->metrics().recovery_actions, 1U);
    for (std::uint64_t expected = 5; expected < 25; ++expected) {
        ASSERT_TRUE(write_counter(*restarted, 1s).has_value()) << expected;  // slot 5's dead write lock is reclaimed
        auto slot = consumer->acquire_read(1s);
        ASSERT_TRUE(slot.has_value()) << expected << ": " << slot.error().message;
        EXPECT_EQ(slot->sequence(), expected);
        EXPECT_EQ(test::check_counter(*reinterpret_cast<const CounterPayload*>(slot->buffer().data()), expected), "");
    }
}

TEST_F(DataBlockProcesses, RestartWithAnotherLayoutReplacesTheSegmentAndEndsTheOldStream) {
    auto crashed = ChildProcess::spawn_worker({"produce-then-hang", name_.name(), "2"});
    const auto secret_line = crashed.read_line(10s);
    ASSERT_TRUE(secret_line.has_value());
    ConsumerOptions options;
    options.secret = crypto::from_hex_fixed<32>(secret_line->substr(7)).value();
    auto old_consumer = Consumer::attach(name_.name(), options);
    ASSERT_TRUE(old_consumer.has_value());
    ASSERT_EQ(crashed.read_line(10s), "mid-write 2");
    crashed.kill_and_reap();

    DataBlockConfig other;  // different geometry
    other.slot_count = 4;
    auto replaced = Producer::create(name_.name(), other);
    ASSERT_TRUE(replaced.has_value()) << replaced.error().message;
    EXPECT_NE(replaced->secret(), options.secret);
    // Slots committed before the crash are still delivered; then the end.
    std::optional<Error> end;
    for (int attempt = 0; attempt < 3 && !end; ++attempt) {
        auto slot = old_consumer->acquire_read(1s);
        if (!slot) end = slot.error();
    }
    ASSERT_TRUE(end.has_value()) << "no more than the 2 committed slots";
    EXPECT_EQ(end->code, ErrorCode::closed) << "consumers of the old segment see its end";
}

TEST_F(DataBlockProcesses, TheSuccessorOfADeadLosslessReaderTakesUpTheSlotsItHadNotRead) {
    DataBlockConfig config;
    config.slot_count = 4;
    config.sync = SyncPolicy::single_reader;
    Producer producer = create(config);
    auto dead = ChildProcess::spawn_worker({"consume-nothing", name_.name(), secret_hex(producer)});
    ASSERT_EQ(dead.read_line(10s), "attached");
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(write_counter(producer, 10ms).has_value());
    dead.kill_and_reap();  // its row still holds sequence 0, and so the writer

    ConsumerOptions options;
    options.secret = producer.secret();
    auto successor = Consumer::attach(name_.name(), options);
    ASSERT_TRUE(successor.has_value()) << successor.error().message;
    ASSERT_TRUE(write_counter(producer, 10ms).has_value());
    std::vector<std::uint64_t> seen;
    for (int i = 0; i < 4; ++i) {
        auto slot = successor->acquire_read(1s);
        ASSERT_TRUE(slot.has_value()) << slot.error().message;
        seen.push_back(slot->sequence());
        ASSERT_TRUE(slot->release().has_value());
    }
    EXPECT_EQ(seen, (std::vector<std::uint64_t>{0, 1, 2, 3})) << "nothing committed is lost to the crash";
}

TEST_F(DataBlockProcesses, ConsumerKilledWhileHoldingAReadNoLongerHoldsTheWriterBack) {
    DataBlockConfig config;
    config.slot_count = 4;
    config.sync = SyncPolicy::sync_reader;
    Producer producer = create(config);
    auto reader = ChildProcess::spawn_worker({"hold-while-lapped", name_.name(), secret_hex(producer), "1000000"});
    ASSERT_EQ(reader.read_line(10s), "attached");
    ASSERT_TRUE(write_counter(producer, 10ms).has_value());
    ASSERT_EQ(reader.read_line(10s), "holding 0");  // inside slot 0, reader_count 1, position 0
    for (int i = 1; i < 4; ++i) ASSERT_TRUE(write_counter(producer, 10ms).has_value());
    EXPECT_EQ(write_counter(producer, 20ms).error().code, ErrorCode::timeout) << "the live reader holds the ring";

    reader.signal(SIGKILL);
    auto written = write_counter(producer, 5s);
    ASSERT_TRUE(written.has_value()) << written.error().message;
    EXPECT_GE(producer.metrics().recovery_actions, 1U) << "the reclaim is counted";
    EXPECT_EQ(producer.metrics().consumers, 0U);
    for (int i = 0; i < 10; ++i) EXPECT_TRUE(write_counter(producer, 10ms).has_value()) << "no longer held back";
}

}  // namespace
}  // namespace pylabhub::datablock
