// What readers and writers leave in a slot's state line: lossless readers
// never write it (their position keeps the writer off), latest_only readers
// enter and leave, and the write start comes from the coarse clock.
#include <atomic>
#include <chrono>
#include <algorithm>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datablock/segment.hpp"
#include "pylabhub/datablock.hpp"
#include "pylabhub/platform/clock.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "datablock_fixtures.hpp"
#include "shm_names.hpp"

namespace pylabhub::datablock {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class SlotLineTest : public ::testing::Test {
protected:
    Producer make_producer(SyncPolicy sync) {
        DataBlockConfig config;
        config.slot_count = 4;
        config.slot_bytes = 64;
        config.sync = sync;
        return test::make_producer_or_throw(name_.name(), config);
    }
    Consumer attach(const Producer& producer) { return test::attach_or_throw(name_.name(), producer); }
    /// The segment's slot states, as a second mapping sees them.
    plh_slot_rw_state& slot(std::uint64_t sequence) {
        if (!raw_) {
            auto mapped = platform::SharedMemory::attach(name_.name());
            if (!mapped) throw std::runtime_error(mapped.error().message);
            raw_ = std::move(mapped).value();
            auto layout = detail::read_segment_layout(*raw_);
            if (!layout) throw std::runtime_error(layout.error().message);
            view_ = detail::SegmentView{raw_->data(), *layout};
        }
        return *view_.slot_state(sequence);
    }
    /// Publishes `text` as the next slot.
    static void publish(Producer& producer, const std::string& text) {
        ASSERT_TRUE(producer.write(std::as_bytes(std::span(text.data(), text.size())), 10ms).has_value());
    }
    static std::uint32_t readers(const plh_slot_rw_state& s) {
        return std::atomic_ref<std::uint32_t>(const_cast<std::uint32_t&>(s.reader_count)).load();
    }

    test::ShmNameGuard name_{"slotline"};
    std::optional<platform::SharedMemory> raw_;
    detail::SegmentView view_;
};

TEST_F(SlotLineTest, ALosslessReaderChecksTheSlotWithoutEnteringIt) {
    Producer producer = make_producer(SyncPolicy::sync_reader);
    Consumer consumer = attach(producer);
    publish(producer, "hello");
    const plh_slot_rw_state before = slot(0);

    auto read = consumer.acquire_read(10ms);
    ASSERT_TRUE(read.has_value()) << read.error().message;
    EXPECT_EQ(readers(slot(0)), 0U) << "no reader_count: the reader's position already holds the writer off";
    EXPECT_EQ(consumer.info().config.sync, SyncPolicy::sync_reader);
    ASSERT_TRUE(read->release().has_value());
    EXPECT_EQ(std::memcmp(&before, &slot(0), sizeof before), 0) << "the read left the slot's line exactly as the writer did";
    EXPECT_EQ(producer.metrics().slots_read, 1U);
}

TEST_F(SlotLineTest, ALosslessSingleReadStillCatchesARewriteUnderIt) {
    Producer producer = make_producer(SyncPolicy::single_reader);
    Consumer consumer = attach(producer);
    publish(producer, "x");
    auto read = consumer.acquire_read(10ms);
    ASSERT_TRUE(read.has_value());

    // What only a broken writer could do to a lossless reader: rewrite the slot under it.
    std::atomic_ref<std::uint64_t>(slot(0).generation).fetch_add(2);

    EXPECT_FALSE(read->validate());
    auto released = read->release();
    ASSERT_FALSE(released.has_value());
    EXPECT_EQ(released.error().code, ErrorCode::corrupt);
    EXPECT_THAT(released.error().message, HasSubstr("sequence 0 was overwritten while being read"));
    EXPECT_EQ(producer.metrics().torn_reads, 1U);
    EXPECT_EQ(producer.metrics().slots_read, 0U) << "a void read is not counted as read";
}

TEST_F(SlotLineTest, ALatestOnlyReaderEntersTheSlotAndLeavesIt) {
    Producer producer = make_producer(SyncPolicy::latest_only);
    Consumer consumer = attach(producer);
    publish(producer, "x");
    {
        auto read = consumer.acquire_read(10ms);
        ASSERT_TRUE(read.has_value());
        EXPECT_EQ(readers(slot(0)), 1U);
    }
    EXPECT_EQ(readers(slot(0)), 0U);
}

TEST_F(SlotLineTest, AWriteIsStampedWithItsStartAndCommitTimes) {
    Producer producer = make_producer(SyncPolicy::sync_reader);
    const std::uint64_t before = platform::monotonic_time_ns();
    auto write = producer.acquire_write(10ms);
    ASSERT_TRUE(write.has_value());
    const std::uint64_t started = slot(0).write_started_ns;
    EXPECT_EQ(slot(0).state, static_cast<std::uint32_t>(PLH_SLOT_WRITING));
    EXPECT_EQ(slot(0).generation % 2, 1U) << "odd while written";
    // Coarse: at most a kernel tick (1-10 ms) behind the precise clock.
    EXPECT_LE(started, platform::monotonic_time_ns());
    EXPECT_LT(before - std::min(before, started), 50'000'000ULL);
    ASSERT_TRUE(write->commit(1).has_value());
    EXPECT_GE(slot(0).commit_ns, before) << "the commit time is precise";
    EXPECT_EQ(slot(0).generation % 2, 0U);
}

}  // namespace
}  // namespace pylabhub::datablock
