// Runs of slots (acquire_write_batch / acquire_read_batch) between real
// processes: every slot once and in order, and the crash cases of the
// single-slot protocol with a run in flight.
#include <chrono>
#include <csignal>
#include <string>
#include <vector>

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

class DataBlockBatches : public ::testing::Test {
protected:
    Producer create(DataBlockConfig config) {
        config.slot_bytes = sizeof(CounterPayload);
        auto producer = Producer::create(name_.name(), config, {.wait = WaitStrategy::blocking});
        if (!producer) throw std::runtime_error(producer.error().message);
        return std::move(producer).value();
    }
    static std::string secret_hex(const Producer& producer) { return crypto::to_hex(producer.secret()); }

    /// Writes counters in runs of up to `run` slots until `total` are committed.
    static void write_in_runs(Producer& producer, std::uint64_t total, std::size_t run) {
        while (producer.next_sequence() < total) {
            auto batch = producer.acquire_write_batch(std::min<std::uint64_t>(run, total - producer.next_sequence()), 10s);
            ASSERT_TRUE(batch.has_value()) << batch.error().message;
            for (std::size_t i = 0; i < batch->size(); ++i) {
                test::fill_counter(*reinterpret_cast<CounterPayload*>(batch->buffer(i).data()), batch->sequence(i));
            }
            ASSERT_TRUE(batch->commit_uniform(batch->size(), sizeof(CounterPayload)).has_value());
        }
    }

    static Consumer attach(const Producer& producer, const std::string& name) {
        ConsumerOptions options;
        options.secret = producer.secret();
        auto consumer = Consumer::attach(name, options);
        if (!consumer) throw std::runtime_error(consumer.error().message);
        return std::move(consumer).value();
    }

    test::ShmNameGuard name_{"dbbatch"};
};

TEST_F(DataBlockBatches, BatchedWriterAndBatchedAndSingleReadersSeeEverySlotOnceInOrder) {
    DataBlockConfig config;
    config.slot_count = 16;
    config.sync = SyncPolicy::sync_reader;
    config.checksum = ChecksumKind::xxh3;
    Producer producer = create(config);
    const std::uint64_t slots = 20'000;
    std::vector<ChildProcess> consumers;
    consumers.push_back(
        ChildProcess::spawn_worker({"consume-counter", name_.name(), secret_hex(producer), std::to_string(slots), "blocking", "7"}));
    consumers.push_back(
        ChildProcess::spawn_worker({"consume-counter", name_.name(), secret_hex(producer), std::to_string(slots), "busy_poll", "256"}));
    consumers.push_back(
        ChildProcess::spawn_worker({"consume-counter", name_.name(), secret_hex(producer), std::to_string(slots), "spin_yield"}));
    for (auto& consumer : consumers) ASSERT_EQ(consumer.read_line(10s), "attached");

    write_in_runs(producer, slots, 5);
    for (auto& consumer : consumers) {
        EXPECT_EQ(consumer.read_line(60s), "ok " + std::to_string(slots));
        EXPECT_EQ(consumer.wait(10s), 0);
    }
    const DataBlockMetrics metrics = producer.metrics();
    EXPECT_EQ(metrics.slots_written, slots);
    EXPECT_EQ(metrics.slots_read, 3 * slots);
    EXPECT_EQ(metrics.torn_reads, 0U);
    EXPECT_EQ(metrics.checksum_failures, 0U);
}

TEST_F(DataBlockBatches, SingleWriterAndBatchedReaderOnASingleReaderRing) {
    DataBlockConfig config;
    config.slot_count = 4;
    config.sync = SyncPolicy::single_reader;
    config.checksum = ChecksumKind::blake2b;
    Producer producer = create(config);
    const std::uint64_t slots = 5'000;
    auto consumer =
        ChildProcess::spawn_worker({"consume-counter", name_.name(), secret_hex(producer), std::to_string(slots), "blocking", "64"});
    ASSERT_EQ(consumer.read_line(10s), "attached");
    for (std::uint64_t i = 0; i < slots; ++i) {
        auto slot = producer.acquire_write(10s);
        ASSERT_TRUE(slot.has_value()) << slot.error().message;
        test::fill_counter(*reinterpret_cast<CounterPayload*>(slot->buffer().data()), slot->sequence());
        ASSERT_TRUE(slot->commit(sizeof(CounterPayload)).has_value());
    }
    EXPECT_EQ(consumer.read_line(60s), "ok " + std::to_string(slots));
    EXPECT_EQ(consumer.wait(10s), 0);
}

TEST_F(DataBlockBatches, ProducerKilledMidBatchPublishesNoneOfItAndItsSuccessorContinuesWithoutLoss) {
    auto crashed = ChildProcess::spawn_worker({"produce-batches-then-hang", name_.name(), "4"});
    const auto secret_line = crashed.read_line(10s);
    ASSERT_TRUE(secret_line && secret_line->rfind("secret ", 0) == 0) << secret_line.value_or("(nothing)");
    ConsumerOptions options;
    options.secret = crypto::from_hex_fixed<32>(secret_line->substr(7)).value();
    auto consumer = Consumer::attach(name_.name(), options);
    ASSERT_TRUE(consumer.has_value()) << consumer.error().message;
    ASSERT_EQ(crashed.read_line(10s), "mid-batch 4");
    crashed.signal(SIGKILL);
    ASSERT_TRUE(crashed.wait(10s).has_value());

    // The committed runs arrive; none of the run in flight (three of its four
    // slots were filled) is ever handed out.
    std::vector<std::uint64_t> seen;
    for (;;) {
        auto run = consumer->acquire_read_batch(kMaxBatchSlots, 100ms);
        if (!run) {
            EXPECT_EQ(run.error().code, ErrorCode::timeout) << run.error().message;
            break;
        }
        for (std::size_t i = 0; i < run->size(); ++i) {
            EXPECT_EQ(test::check_counter(*reinterpret_cast<const CounterPayload*>(run->buffer(i).data()), run->sequence(i)), "");
            seen.push_back(run->sequence(i));
        }
        ASSERT_TRUE(run->release().has_value());
    }
    // It saw what was committed after it joined (the worker does not wait
    // for it): sequences from there up to 3, and never the run from 4.
    std::vector<std::uint64_t> committed_after_join;
    for (std::uint64_t s = seen.empty() ? 4 : seen.front(); s < 4; ++s) committed_after_join.push_back(s);
    EXPECT_EQ(seen, committed_after_join);

    DataBlockConfig config;
    config.slot_count = 8;
    config.slot_bytes = sizeof(CounterPayload);
    config.sync = SyncPolicy::sync_reader;
    config.checksum = ChecksumKind::xxh3;
    auto restarted = Producer::create(name_.name(), config);
    ASSERT_TRUE(restarted.has_value()) << restarted.error().message;
    EXPECT_EQ(restarted->next_sequence(), 4U) << "the unpublished run is not part of the stream";
    // The four slots' write locks belong to the dead process: reclaimed.
    std::uint64_t expected = 4;
    while (expected < 24) {
        write_in_runs(*restarted, expected + 6, 6);
        auto run = consumer->acquire_read_batch(kMaxBatchSlots, 1s);
        ASSERT_TRUE(run.has_value()) << expected << ": " << run.error().message;
        for (std::size_t i = 0; i < run->size(); ++i, ++expected) {
            ASSERT_EQ(run->sequence(i), expected);
            EXPECT_EQ(test::check_counter(*reinterpret_cast<const CounterPayload*>(run->buffer(i).data()), expected), "");
        }
    }
    EXPECT_EQ(restarted->metrics().torn_reads, 0U);
    EXPECT_GE(restarted->metrics().recovery_actions, 1U);
}

TEST_F(DataBlockBatches, AConsumerKilledInsideARunFreesTheWriterAndItsSuccessorRereadsTheRun) {
    DataBlockConfig config;
    config.slot_count = 8;
    config.sync = SyncPolicy::sync_reader;
    Producer producer = create(config);
    auto reader = ChildProcess::spawn_worker({"hold-read-batch", name_.name(), secret_hex(producer)});
    ASSERT_EQ(reader.read_line(10s), "attached");
    write_in_runs(producer, 5, 5);
    ASSERT_EQ(reader.read_line(10s), "holding 0+5");
    write_in_runs(producer, 8, 8);
    auto full = producer.acquire_write_batch(4, 20ms);
    ASSERT_FALSE(full.has_value()) << "the live reader's run holds the ring";
    EXPECT_EQ(full.error().code, ErrorCode::timeout);

    reader.signal(SIGKILL);
    ASSERT_TRUE(reader.wait(10s).has_value());
    // Its successor takes over the row at the run's first slot: nothing is lost.
    Consumer successor = attach(producer, name_.name());
    std::vector<std::uint64_t> seen;
    while (seen.size() < 8) {
        auto run = successor.acquire_read_batch(3, 1s);
        ASSERT_TRUE(run.has_value()) << run.error().message;
        for (std::size_t i = 0; i < run->size(); ++i) seen.push_back(run->sequence(i));
    }
    EXPECT_EQ(seen, (std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
    write_in_runs(producer, 16, 8);  // no longer held back
    EXPECT_EQ(producer.metrics().torn_reads, 0U);
}

}  // namespace
}  // namespace pylabhub::datablock
