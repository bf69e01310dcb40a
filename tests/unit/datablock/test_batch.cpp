// Runs of slots in one process: what a run publishes and when, how big it
// may be, and that checksums and the torn-read check hold per slot.
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datablock/segment.hpp"
#include "pylabhub/datablock.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "datablock_fixtures.hpp"
#include "shm_names.hpp"

namespace pylabhub::datablock {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class BatchTest : public ::testing::Test {
protected:
    Producer make_producer(DataBlockConfig config) { return test::make_producer_or_throw(name_.name(), config); }
    Consumer attach(const Producer& producer) { return test::attach_or_throw(name_.name(), producer); }
    /// Fills every slot of `run` with its sequence id as text.
    static std::vector<std::size_t> fill(WriteBatch& run) {
        std::vector<std::size_t> sizes;
        for (std::size_t i = 0; i < run.size(); ++i) {
            const std::string text = "slot " + std::to_string(run.sequence(i));
            std::memcpy(run.buffer(i).data(), text.data(), text.size());
            sizes.push_back(text.size());
        }
        return sizes;
    }
    static std::string text(std::span<const std::byte> bytes) { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }

    test::ShmNameGuard name_{"batch"};
};

DataBlockConfig lossless(std::uint32_t slots, ChecksumKind checksum = ChecksumKind::none) {
    DataBlockConfig config;
    config.slot_count = slots;
    config.slot_bytes = 64;
    config.sync = SyncPolicy::sync_reader;
    config.checksum = checksum;
    return config;
}

TEST_F(BatchTest, ARunIsInvisibleUntilCommittedThenReadInOrderWithItsSizes) {
    Producer producer = make_producer(lossless(16));
    Consumer consumer = attach(producer);
    auto run = producer.acquire_write_batch(5, 10ms);
    ASSERT_TRUE(run.has_value()) << run.error().message;
    ASSERT_EQ(run->size(), 5U);
    const auto sizes = fill(*run);
    EXPECT_EQ(consumer.acquire_read(1ms).error().code, ErrorCode::timeout) << "nothing is published before commit";
    EXPECT_EQ(producer.acquire_write(1ms).error().code, ErrorCode::busy) << "one write at a time";
    ASSERT_TRUE(run->commit(5, sizes).has_value());
    EXPECT_FALSE(run->active());
    EXPECT_EQ(producer.next_sequence(), 5U);
    EXPECT_EQ(producer.metrics().commit_count, 5U);

    auto read = consumer.acquire_read_batch(3, 10ms);
    ASSERT_TRUE(read.has_value()) << read.error().message;
    ASSERT_EQ(read->size(), 3U) << "at most max_slots";
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(text(read->buffer(i)), "slot " + std::to_string(i));
        EXPECT_EQ(read->sequence(i), i);
        EXPECT_GT(read->commit_ns(i), 0U);
        EXPECT_TRUE(read->validate(i));
    }
    EXPECT_EQ(consumer.acquire_read(1ms).error().code, ErrorCode::busy);
    ASSERT_TRUE(read->release().has_value());
    auto single = consumer.acquire_read(10ms);  // runs and single reads mix
    ASSERT_TRUE(single.has_value());
    EXPECT_EQ(text(single->buffer()), "slot 3");
    ASSERT_TRUE(single->release().has_value());
    auto rest = consumer.acquire_read_batch(kMaxBatchSlots, 10ms);
    ASSERT_TRUE(rest.has_value());
    EXPECT_EQ(rest->size(), 1U) << "only what is committed";
    EXPECT_EQ(rest->sequence(0), 4U);
    ASSERT_TRUE(rest->release().has_value());
    EXPECT_EQ(producer.metrics().slots_read, 5U);
}

TEST_F(BatchTest, APartialCommitPublishesTheFirstSlotsAndTheRestAreNeverSeen) {
    Producer producer = make_producer(lossless(16));
    Consumer consumer = attach(producer);
    {
        auto run = producer.acquire_write_batch(6, 10ms);
        ASSERT_TRUE(run.has_value());
        fill(*run);
        ASSERT_TRUE(run->commit_uniform(2, 6).has_value());
    }
    EXPECT_EQ(producer.next_sequence(), 2U);
    EXPECT_EQ(producer.metrics().writes_abandoned, 4U);
    {
        auto dropped = producer.acquire_write_batch(3, 10ms);  // destroyed without commit: abandoned
        ASSERT_TRUE(dropped.has_value());
        fill(*dropped);
    }
    EXPECT_EQ(producer.next_sequence(), 2U);
    auto again = producer.acquire_write_batch(2, 10ms);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->sequence(0), 2U) << "abandoned sequences are written again";
    fill(*again);
    ASSERT_TRUE(again->commit_uniform(2, 6).has_value());

    auto read = consumer.acquire_read_batch(kMaxBatchSlots, 10ms);
    ASSERT_TRUE(read.has_value());
    ASSERT_EQ(read->size(), 4U);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(text(read->buffer(i)), "slot " + std::to_string(i));
}

TEST_F(BatchTest, BadCountsAndSizesAreRefusedAndAbandonTheRun) {
    Producer producer = make_producer(lossless(8));
    EXPECT_EQ(producer.acquire_write_batch(0, 1ms).error().code, ErrorCode::invalid_argument);
    EXPECT_THAT(producer.acquire_write_batch(kMaxBatchSlots + 1, 1ms).error().message, HasSubstr("1..256"));
    auto run = producer.acquire_write_batch(2, 1ms);
    ASSERT_TRUE(run.has_value());
    auto too_many = run->commit_uniform(3, 8);
    EXPECT_EQ(too_many.error().code, ErrorCode::invalid_argument);
    EXPECT_FALSE(run->active());
    auto big = producer.acquire_write_batch(2, 1ms);
    ASSERT_TRUE(big.has_value());
    const std::vector<std::size_t> sizes{8, 65};
    EXPECT_THAT(big->commit(2, sizes).error().message, HasSubstr("65 bytes exceed slot_bytes 64"));
    EXPECT_EQ(producer.next_sequence(), 0U) << "nothing of a refused commit is published";
}

TEST_F(BatchTest, ARunTakesOnlyTheRoomTheSlowestConsumerLeaves) {
    Producer producer = make_producer(lossless(8));
    Consumer consumer = attach(producer);
    auto first = producer.acquire_write_batch(kMaxBatchSlots, 10ms);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->size(), 7U) << "never the whole ring";
    ASSERT_TRUE(first->commit_uniform(5, 1).has_value());
    auto second = producer.acquire_write_batch(kMaxBatchSlots, 10ms);
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->size(), 3U) << "the consumer at 0 leaves room for sequences 5..7";
    ASSERT_TRUE(second->commit_uniform(3, 1).has_value());
    auto full = producer.acquire_write_batch(1, 5ms);
    ASSERT_FALSE(full.has_value());
    EXPECT_THAT(full.error().message, HasSubstr("ring full"));
    {
        auto read = consumer.acquire_read_batch(2, 10ms);
        ASSERT_TRUE(read.has_value());
    }
    auto after = producer.acquire_write_batch(kMaxBatchSlots, 10ms);
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(after->size(), 2U) << "released slots make room";
}

TEST_F(BatchTest, LatestOnlyReadersAreRefusedARunWritersAreNot) {
    DataBlockConfig config = lossless(4);
    config.sync = SyncPolicy::latest_only;
    Producer producer = make_producer(config);
    Consumer consumer = attach(producer);
    auto run = producer.acquire_write_batch(kMaxBatchSlots, 1ms);
    ASSERT_TRUE(run.has_value());
    EXPECT_EQ(run->size(), 3U) << "the newest committed slot stays readable";
    fill(*run);
    ASSERT_TRUE(run->commit_uniform(3, 6).has_value());
    auto refused = consumer.acquire_read_batch(4, 1ms);
    ASSERT_FALSE(refused.has_value());
    EXPECT_THAT(refused.error().message, HasSubstr("latest_only"));
    auto newest = consumer.acquire_read(1ms);
    ASSERT_TRUE(newest.has_value());
    EXPECT_EQ(text(newest->buffer()), "slot 2");
}

TEST_F(BatchTest, ACorruptSlotInsideARunIsNeverHandedOut) {
    for (ChecksumKind kind : {ChecksumKind::xxh3, ChecksumKind::blake2b}) {
        SCOPED_TRACE(to_string(kind));
        test::ShmNameGuard name{"batchsum"};
        auto producer = Producer::create(name.name(), lossless(8, kind));
        ASSERT_TRUE(producer.has_value());
        ConsumerOptions options;
        options.secret = producer->secret();
        auto consumer = Consumer::attach(name.name(), options);
        ASSERT_TRUE(consumer.has_value());
        auto run = producer->acquire_write_batch(4, 1ms);
        ASSERT_TRUE(run.has_value());
        fill(*run);
        std::byte* slot2 = run->buffer(2).data();
        ASSERT_TRUE(run->commit_uniform(4, 6).has_value());
        slot2[0] = std::byte{'X'};  // after its digest was made

        auto good = consumer->acquire_read_batch(4, 1ms);
        ASSERT_TRUE(good.has_value());
        EXPECT_EQ(good->size(), 2U) << "the run ends before the corrupt slot";
        ASSERT_TRUE(good->release().has_value());
        auto corrupt = consumer->acquire_read_batch(4, 1ms);
        ASSERT_FALSE(corrupt.has_value());
        EXPECT_EQ(corrupt.error().code, ErrorCode::corrupt);
        EXPECT_THAT(corrupt.error().message, HasSubstr("sequence 2 fails its " + std::string(to_string(kind))));
        EXPECT_EQ(producer->metrics().checksum_failures, 1U);
        auto after = consumer->acquire_read_batch(4, 1ms);
        ASSERT_TRUE(after.has_value()) << "the corrupt slot was skipped";
        EXPECT_EQ(after->sequence(0), 3U);
        EXPECT_EQ(text(after->buffer(0)), "slot 3");
    }
}

TEST_F(BatchTest, ASlotRewrittenUnderARunFailsValidationAndTheReleaseReportsIt) {
    Producer producer = make_producer(lossless(8));
    Consumer consumer = attach(producer);
    auto run = producer.acquire_write_batch(3, 1ms);
    ASSERT_TRUE(run.has_value());
    ASSERT_TRUE(run->commit_uniform(3, 1).has_value());
    auto read = consumer.acquire_read_batch(3, 1ms);
    ASSERT_TRUE(read.has_value());

    // What only a broken writer could do to a lossless reader: rewrite slot 1
    // under it (its generation moves on).
    auto raw = platform::SharedMemory::attach(name_.name());
    ASSERT_TRUE(raw.has_value());
    auto layout = detail::read_segment_layout(*raw);
    ASSERT_TRUE(layout.has_value());
    detail::SegmentView view{raw->data(), *layout};
    std::atomic_ref<std::uint64_t>(view.slot_state(1)->generation).fetch_add(2);

    EXPECT_TRUE(read->validate(0));
    EXPECT_FALSE(read->validate(1));
    auto released = read->release();
    ASSERT_FALSE(released.has_value());
    EXPECT_EQ(released.error().code, ErrorCode::corrupt);
    EXPECT_THAT(released.error().message, HasSubstr("1 slots of the run from sequence 0"));
    EXPECT_EQ(producer.metrics().torn_reads, 1U);
    EXPECT_EQ(producer.metrics().slots_read, 2U);
}

}  // namespace
}  // namespace pylabhub::datablock
