// A header changed under attached readers and writers (a bug or a hostile
// process with write access): what they rely on was fixed at attach, so a
// changed slot_count or max_consumers neither stalls nor crashes them.
#include <chrono>
#include <cstring>
#include <tuple>

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datablock/segment.hpp"
#include "pylabhub/datablock.hpp"
#include "pylabhub/datablock/observer.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "shm_names.hpp"

namespace pylabhub::datablock {
namespace {

using namespace std::chrono_literals;

TEST(HostileHeader, ChangedGeometryFieldsAreIgnoredAfterAttach) {
    test::ShmNameGuard name("hostile");
    DataBlockConfig config;
    config.slot_count = 4;
    config.slot_bytes = 64;
    config.sync = SyncPolicy::sync_reader;
    auto producer = Producer::create(name.name(), config);
    ASSERT_TRUE(producer.has_value()) << producer.error().message;
    ConsumerOptions options;
    options.secret = producer->secret();
    auto consumer = Consumer::attach(name.name(), options);
    ASSERT_TRUE(consumer.has_value()) << consumer.error().message;
    auto observer = Observer::attach(name.name(), producer->secret());
    ASSERT_TRUE(observer.has_value());

    auto raw = platform::SharedMemory::attach(name.name());
    ASSERT_TRUE(raw.has_value());
    auto& header = *reinterpret_cast<detail::SegmentHeader*>(raw->data());
    for (const std::uint32_t hostile : {0U, 1'000'000U}) {
        header.slot_count = hostile;
        header.max_consumers = hostile;
        header.slot_bytes = std::uint64_t{hostile} << 20;
        for (std::uint64_t i = 0; i < 10; ++i) {
            const std::uint64_t value = i + (hostile == 0 ? 0 : 100);
            ASSERT_TRUE(producer->write(std::as_bytes(std::span(&value, 1)), 100ms).has_value()) << "slot_count " << hostile;
            auto slot = consumer->acquire_read(100ms);
            ASSERT_TRUE(slot.has_value()) << slot.error().message;
            std::uint64_t read = 0;
            std::memcpy(&read, slot->buffer().data(), sizeof read);
            EXPECT_EQ(read, value);
            EXPECT_EQ(slot->buffer().size(), sizeof value);
        }
        auto seen = observer->next(UINT64_MAX, 100ms);
        ASSERT_TRUE(seen.has_value());
        EXPECT_LE(seen->payload.size(), 64U) << "never more than a slot";
    }
    header.slot_count = 4;
    header.max_consumers = config.max_consumers;
    header.slot_bytes = 64;
}

// A segment another user left (say with a world-writable mode, or its own
// secret) must never become this user's channel.
TEST(HostileHeader, ASegmentOfAnotherUserIsNeverAdopted) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a segment to another user";
    test::ShmNameGuard name("foreign");
    {
        auto left = Producer::create(name.name(), {});
        ASSERT_TRUE(left.has_value());
        auto raw = platform::SharedMemory::attach(name.name());
        ASSERT_TRUE(raw.has_value());
        auto& header = *reinterpret_cast<detail::SegmentHeader*>(raw->data());
        header.producer_owner.store(0);  // as if its producer had died: a candidate for reuse
        ASSERT_EQ(::chown(("/dev/shm" + name.name()).c_str(), 65534, 65534), 0);
        auto adopted = Producer::create(name.name(), {});
        ASSERT_FALSE(adopted.has_value()) << "adopted a segment owned by uid 65534";
        EXPECT_THAT(adopted.error().message, ::testing::HasSubstr("belongs to another user; it is never reused"));
    }
}

TEST(HostileHeader, AConsumerAttachesToAnotherUsersSegmentOnlyWhenAllowed) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a segment to another user";
    test::ShmNameGuard name("otherowner");
    auto producer = Producer::create(name.name(), {});
    ASSERT_TRUE(producer.has_value());
    ASSERT_EQ(::chown(("/dev/shm" + name.name()).c_str(), 65534, 65534), 0);
    ConsumerOptions options;
    options.secret = producer->secret();
    auto refused = Consumer::attach(name.name(), options);
    ASSERT_FALSE(refused.has_value());
    EXPECT_THAT(refused.error().message, ::testing::HasSubstr("belongs to another user"));
    EXPECT_THAT(refused.error().message, ::testing::HasSubstr("allow_other_owner: true"));
    options.allow_other_owner = true;
    EXPECT_TRUE(Consumer::attach(name.name(), options).has_value()) << "a deliberate choice";
}

}  // namespace
}  // namespace pylabhub::datablock
