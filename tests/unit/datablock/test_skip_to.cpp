// Producer::skip_to: a writer that mirrors another's sequence ids (an
// inbound transport) leaves gaps that every kind of reader sees as gaps.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pylabhub/datablock.hpp"
#include "pylabhub/datablock/observer.hpp"
#include "datablock_fixtures.hpp"
#include "shm_names.hpp"

namespace pylabhub::datablock {
namespace {

using namespace std::chrono_literals;

std::span<const std::byte> bytes_of(const std::string& text) { return std::as_bytes(std::span(text.data(), text.size())); }

class SkipToTest : public ::testing::TestWithParam<SyncPolicy> {
protected:
    Producer make_producer() {
        DataBlockConfig config;
        config.slot_count = 4;
        config.sync = GetParam();
        return test::make_producer_or_throw(name_.name(), config);
    }
    Consumer attach(const Producer& producer) { return test::attach_or_throw(name_.name(), producer); }
    /// Sequences read until the ring has nothing more.
    static std::vector<std::uint64_t> read_all(Consumer& consumer) {
        std::vector<std::uint64_t> seen;
        for (;;) {
            auto slot = consumer.acquire_read(5ms);
            if (!slot) return seen;
            seen.push_back(slot->sequence());
            (void)slot->release();
        }
    }
    test::ShmNameGuard name_{"skip"};
};

TEST_P(SkipToTest, TheFirstSlotCanStartAtAnySequence) {
    Producer producer = make_producer();
    Consumer consumer = attach(producer);
    ASSERT_TRUE(producer.skip_to(1000, 100ms).has_value());
    EXPECT_EQ(producer.next_sequence(), 1000U);
    EXPECT_TRUE(read_all(consumer).empty()) << "a skip alone commits nothing";
    ASSERT_TRUE(producer.write(bytes_of("a"), 10ms).has_value());
    EXPECT_EQ(read_all(consumer), std::vector<std::uint64_t>{1000});
}

TEST_P(SkipToTest, ReadersSeeTheSkippedIdsAsAGap) {
    Producer producer = make_producer();
    Consumer consumer = attach(producer);
    ASSERT_TRUE(producer.write(bytes_of("0"), 10ms).has_value());
    auto first = consumer.acquire_read(100ms);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->sequence(), 0U);
    ASSERT_TRUE(first->release().has_value());
    ASSERT_TRUE(producer.skip_to(7, 100ms).has_value());
    ASSERT_TRUE(producer.write(bytes_of("7"), 10ms).has_value());
    ASSERT_TRUE(producer.write(bytes_of("8"), 10ms).has_value());
    const std::vector<std::uint64_t> expected =
        GetParam() == SyncPolicy::latest_only ? std::vector<std::uint64_t>{8} : std::vector<std::uint64_t>{7, 8};
    EXPECT_EQ(read_all(consumer), expected);
}

TEST_P(SkipToTest, AnObserverSeesNothingNewUntilTheNextCommit) {
    Producer producer = make_producer();
    ASSERT_TRUE(producer.write(bytes_of("0"), 10ms).has_value());
    auto observer = Observer::attach(name_.name(), producer.secret());
    ASSERT_TRUE(observer.has_value()) << observer.error().message;
    ASSERT_TRUE(producer.skip_to(9, 100ms).has_value());
    EXPECT_FALSE(observer->newest().has_value());
    auto waited = observer->wait_for_commit(0, 5ms);
    ASSERT_TRUE(waited.has_value());
    EXPECT_FALSE(*waited);
    ASSERT_TRUE(producer.write(bytes_of("9"), 10ms).has_value());
    ASSERT_TRUE(observer->newest().has_value());
    EXPECT_EQ(observer->newest()->sequence, 9U);
    auto slot = observer->read(9);
    ASSERT_TRUE(slot.has_value());
    EXPECT_EQ(slot->payload.size(), 1U);
}

TEST_P(SkipToTest, SkippingBackOrWhileWritingIsRefused) {
    Producer producer = make_producer();
    ASSERT_TRUE(producer.skip_to(5, 10ms).has_value());
    auto back = producer.skip_to(3, 10ms);
    ASSERT_FALSE(back.has_value());
    EXPECT_EQ(back.error().code, ErrorCode::invalid_argument);
    auto guard = producer.acquire_write(10ms);
    ASSERT_TRUE(guard.has_value());
    auto busy = producer.skip_to(9, 10ms);
    ASSERT_FALSE(busy.has_value());
    EXPECT_EQ(busy.error().code, ErrorCode::busy);
}

INSTANTIATE_TEST_SUITE_P(EveryPolicy, SkipToTest,
                         ::testing::Values(SyncPolicy::single_reader, SyncPolicy::sync_reader, SyncPolicy::latest_only),
                         [](const auto& param_info) { return std::string(to_string(param_info.param)); });

TEST(SkipToLossless, WaitsUntilEveryConsumerHasReadWhatWasCommitted) {
    test::ShmNameGuard name{"skipwait"};
    DataBlockConfig config;
    config.slot_count = 4;
    auto producer = Producer::create(name.name(), config);
    ASSERT_TRUE(producer.has_value());
    ConsumerOptions options;
    options.secret = producer->secret();
    auto consumer = Consumer::attach(name.name(), options);
    ASSERT_TRUE(consumer.has_value());
    ASSERT_TRUE(producer->write(bytes_of("0"), 10ms).has_value());
    auto refused = producer->skip_to(10, 20ms);
    ASSERT_FALSE(refused.has_value()) << "sequence 0 is unread";
    EXPECT_EQ(refused.error().code, ErrorCode::timeout);
    auto slot = consumer->acquire_read(100ms);
    ASSERT_TRUE(slot.has_value());
    ASSERT_TRUE(slot->release().has_value());
    EXPECT_TRUE(producer->skip_to(10, 100ms).has_value());
}

}  // namespace
}  // namespace pylabhub::datablock
