// Producer and Consumer in one process: the API's behaviour and its errors.
// Cross-process behaviour is in tests/integration.
#include <chrono>
#include <cstring>
#include <stdexcept>

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pylabhub/datablock.hpp"
#include "pylabhub/datablock/observer.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "shm_names.hpp"

struct Reading {
    std::uint64_t seq;
    double value;
};
PYLABHUB_SCHEMA_BEGIN(Reading, "test.Reading", "1.0.0")
PYLABHUB_SCHEMA_MEMBER(seq)
PYLABHUB_SCHEMA_MEMBER(value)
PYLABHUB_SCHEMA_END(Reading)

struct OtherReading {
    std::uint64_t seq;
    float value;
};
PYLABHUB_SCHEMA_BEGIN(OtherReading, "test.OtherReading", "1.0.0")
PYLABHUB_SCHEMA_MEMBER(seq)
PYLABHUB_SCHEMA_MEMBER(value)
PYLABHUB_SCHEMA_END(OtherReading)

namespace pylabhub::datablock {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

std::span<const std::byte> bytes_of(const std::string& text) { return std::as_bytes(std::span(text.data(), text.size())); }
std::string text_of(std::span<const std::byte> bytes) { return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()); }

class DataBlockTest : public ::testing::Test {
protected:
    Producer make_producer(DataBlockConfig config = {}, ProducerOptions options = {}) {
        auto producer = Producer::create(name_.name(), config, std::move(options));
        if (!producer) throw std::runtime_error(producer.error().message);
        return std::move(producer).value();
    }
    Result<Consumer> attach(const Producer& producer, ConsumerOptions options = {}) {
        options.secret = producer.secret();
        return Consumer::attach(name_.name(), std::move(options));
    }
    Consumer must_attach(const Producer& producer, ConsumerOptions options = {}) {
        auto consumer = attach(producer, std::move(options));
        if (!consumer) throw std::runtime_error(consumer.error().message);
        return std::move(consumer).value();
    }

    test::ShmNameGuard name_{"db"};
};

TEST_F(DataBlockTest, WhatIsWrittenIsReadInPlaceWithItsSequenceAndTimestamp) {
    Producer producer = make_producer();
    Consumer consumer = must_attach(producer);
    ASSERT_TRUE(producer.write(bytes_of("hello"), 10ms).has_value());
    ASSERT_TRUE(producer.write(bytes_of("world!"), 10ms).has_value());

    auto first = consumer.acquire_read(100ms);
    ASSERT_TRUE(first.has_value()) << first.error().message;
    EXPECT_EQ(text_of(first->buffer()), "hello");
    EXPECT_EQ(first->sequence(), 0U);
    EXPECT_GT(first->commit_ns(), 0U);
    EXPECT_TRUE(first->validate());
    ASSERT_TRUE(first->release().has_value());

    auto second = consumer.acquire_read(100ms);
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(text_of(second->buffer()), "world!");
    EXPECT_EQ(second->sequence(), 1U);
    ASSERT_TRUE(second->release().has_value());

    auto none = consumer.acquire_read(5ms);
    ASSERT_FALSE(none.has_value());
    EXPECT_EQ(none.error().code, ErrorCode::timeout);
    const auto metrics = consumer.metrics();
    EXPECT_EQ(metrics.slots_written, 2U);
    EXPECT_EQ(metrics.slots_read, 2U);
    EXPECT_EQ(metrics.reader_timeouts, 1U);
    EXPECT_EQ(metrics.consumers, 1U);
}

TEST_F(DataBlockTest, ConsumersSeeWhatIsPublishedAfterTheyJoin) {
    Producer producer = make_producer();
    ASSERT_TRUE(producer.write(bytes_of("before"), 10ms).has_value());
    Consumer consumer = must_attach(producer);
    ASSERT_TRUE(producer.write(bytes_of("after"), 10ms).has_value());
    auto slot = consumer.acquire_read(100ms);
    ASSERT_TRUE(slot.has_value());
    EXPECT_EQ(text_of(slot->buffer()), "after");
    EXPECT_EQ(slot->sequence(), 1U);
}

TEST_F(DataBlockTest, AttachIsRefusedForAWrongSecret) {
    Producer producer = make_producer();
    ConsumerOptions options;
    options.secret = crypto::generate_shared_secret();
    auto consumer = Consumer::attach(name_.name(), options);
    ASSERT_FALSE(consumer.has_value());
    EXPECT_EQ(consumer.error().code, ErrorCode::mismatch);
    EXPECT_THAT(consumer.error().message, HasSubstr("wrong shared secret"));
    EXPECT_THAT(consumer.error().message, HasSubstr(name_.name()));
}

TEST_F(DataBlockTest, AttachIsRefusedForAnotherPolicyOrGeometryNamingTheField) {
    DataBlockConfig config;
    config.sync = SyncPolicy::sync_reader;
    config.checksum = ChecksumKind::xxh3;
    Producer producer = make_producer(config);
    struct Case {
        void (*change)(DataBlockConfig&);
        const char* says;
    };
    const Case cases[] = {
        {[](DataBlockConfig& c) { c.sync = SyncPolicy::latest_only; },
         "sync policy differs: the segment has sync_reader, expected latest_only"},
        {[](DataBlockConfig& c) { c.checksum = ChecksumKind::blake2b; }, "checksum policy differs: the segment has xxh3, expected blake2b"},
        {[](DataBlockConfig& c) { c.checksum_mode = ChecksumMode::manual; }, "checksum mode differs"},
        {[](DataBlockConfig& c) { c.slot_count = 8; }, "slot_count differs: the segment has 64, expected 8"},
        {[](DataBlockConfig& c) { c.slot_bytes = 8; }, "slot_bytes differs"},
    };
    for (const auto& c : cases) {
        ConsumerOptions options;
        options.expected = config;
        c.change(*options.expected);
        auto consumer = attach(producer, options);
        ASSERT_FALSE(consumer.has_value()) << c.says;
        EXPECT_THAT(consumer.error().message, HasSubstr(c.says));
    }
    ConsumerOptions same;
    same.expected = config;
    EXPECT_TRUE(attach(producer, same).has_value());
}

TEST_F(DataBlockTest, AttachChecksTheSchemaWithBothHashes) {
    DataBlockConfig config;
    config.slot_bytes = 64;
    auto created = Producer::create_for<Reading>(name_.name(), config);
    ASSERT_TRUE(created.has_value()) << created.error().message;
    Producer& producer = *created;
    ConsumerOptions options;
    options.secret = producer.secret();

    auto wrong = Consumer::attach_for<OtherReading>(name_.name(), options);
    ASSERT_FALSE(wrong.has_value());
    EXPECT_THAT(wrong.error().message, HasSubstr(schema::schema_of<Reading>().hash_hex()));
    EXPECT_THAT(wrong.error().message, HasSubstr(schema::schema_of<OtherReading>().hash_hex()));
    EXPECT_THAT(wrong.error().message, HasSubstr("'test.OtherReading'"));
    EXPECT_EQ(producer.metrics().schema_mismatches, 1U);

    auto right = Consumer::attach_for<Reading>(name_.name(), options);
    ASSERT_TRUE(right.has_value()) << right.error().message;
    ASSERT_TRUE(right->info().schema.has_value());
    EXPECT_EQ(right->info().schema->name, "test.Reading");
    EXPECT_EQ(right->info().schema->hash, schema::schema_of<Reading>().hash);
}

TEST_F(DataBlockTest, SchemaExpectedButSegmentHasNoneIsRefused) {
    Producer producer = make_producer();
    ConsumerOptions options;
    options.schema = schema::schema_of<Reading>();
    auto consumer = attach(producer, options);
    ASSERT_FALSE(consumer.has_value());
    EXPECT_THAT(consumer.error().message, HasSubstr("the segment declares none"));
}

TEST_F(DataBlockTest, SlotTooSmallForTheSchemaIsRefusedAtCreate) {
    DataBlockConfig config;
    config.slot_bytes = 8;
    auto producer = Producer::create_for<Reading>(name_.name(), config);
    ASSERT_FALSE(producer.has_value());
    EXPECT_THAT(producer.error().message, HasSubstr("smaller than schema 'test.Reading' (16 bytes)"));
}

TEST_F(DataBlockTest, ATamperedOrForeignHeaderIsRefused) {
    Producer producer = make_producer();
    auto raw = platform::SharedMemory::attach(name_.name());
    ASSERT_TRUE(raw.has_value());
    auto* header = raw->data();
    auto poke = [&](std::size_t offset, std::uint32_t value) { std::memcpy(header + offset, &value, sizeof value); };
    auto expect_refused = [&](const char* says) {
        auto consumer = attach(producer);
        ASSERT_FALSE(consumer.has_value()) << says;
        EXPECT_THAT(consumer.error().message, HasSubstr(says));
    };
    std::uint32_t original_version = 0;
    std::memcpy(&original_version, header + 8, 4);
    poke(8, 99);  // layout_version
    expect_refused("layout version differs: the segment has 99, expected 2");
    poke(8, original_version);

    std::byte saved_hash_byte = header[16];
    header[16] ^= std::byte{0xff};  // header_layout_hash
    expect_refused("header layout hash differs");
    header[16] = saved_hash_byte;

    std::uint64_t saved_magic = 0;
    std::memcpy(&saved_magic, header, 8);
    const std::uint64_t foreign = 0x1234;
    std::memcpy(header, &foreign, 8);
    expect_refused("not a pyLabHub DataBlock");
    std::memcpy(header, &saved_magic, 8);
    EXPECT_TRUE(attach(producer).has_value()) << "restored";
}

TEST_F(DataBlockTest, ASegmentSmallerThanItsHeaderSaysIsRefused) {
    auto tiny = platform::SharedMemory::create(name_.name(), 64);
    ASSERT_TRUE(tiny.has_value());
    ConsumerOptions options;
    auto consumer = Consumer::attach(name_.name(), options);
    ASSERT_FALSE(consumer.has_value());
    EXPECT_THAT(consumer.error().message, HasSubstr("segment too small: 64 bytes"));
}

TEST_F(DataBlockTest, AttachingWhereNothingExistsNamesTheSegment) {
    ConsumerOptions options;
    auto consumer = Consumer::attach(name_.name(), options);
    ASSERT_FALSE(consumer.has_value());
    EXPECT_EQ(consumer.error().code, ErrorCode::not_found);
    EXPECT_THAT(consumer.error().message, HasSubstr(name_.name()));
}

TEST_F(DataBlockTest, SecondProducerOnTheSameNameIsRefusedWithAHint) {
    Producer producer = make_producer();
    auto second = Producer::create(name_.name(), {});
    ASSERT_FALSE(second.has_value());
    EXPECT_EQ(second.error().code, ErrorCode::already_exists);
    EXPECT_THAT(second.error().message, HasSubstr("has a live producer (pid " + std::to_string(::getpid()) + ")"));
}

TEST_F(DataBlockTest, SingleReaderAdmitsOneConsumerSyncReaderMany) {
    DataBlockConfig config;
    config.sync = SyncPolicy::single_reader;
    {
        Producer producer = make_producer(config);
        Consumer first = must_attach(producer);
        auto second = attach(producer);
        ASSERT_FALSE(second.has_value());
        EXPECT_THAT(second.error().message, HasSubstr("single_reader allows one consumer"));
    }
    config.sync = SyncPolicy::sync_reader;
    config.max_consumers = 2;
    Producer producer = make_producer(config);
    Consumer a = must_attach(producer);
    Consumer b = must_attach(producer);
    auto c = attach(producer);
    ASSERT_FALSE(c.has_value());
    EXPECT_THAT(c.error().message, HasSubstr("consumer table full (2 rows"));
}

TEST_F(DataBlockTest, LosslessWriterTimesOutWhenTheRingIsFullAndResumesWhenReadOrLeft) {
    DataBlockConfig config;
    config.slot_count = 4;
    config.sync = SyncPolicy::single_reader;
    Producer producer = make_producer(config);
    auto consumer = std::make_optional(must_attach(producer));
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(producer.write(bytes_of("x"), 10ms).has_value()) << i;

    auto blocked = producer.write(bytes_of("x"), 20ms);
    ASSERT_FALSE(blocked.has_value());
    EXPECT_EQ(blocked.error().code, ErrorCode::timeout);
    EXPECT_THAT(blocked.error().message, HasSubstr("ring full"));
    EXPECT_EQ(producer.metrics().writer_backpressure_timeouts, 1U);

    ASSERT_TRUE(consumer->acquire_read(10ms).has_value());  // guard released at once
    EXPECT_TRUE(producer.write(bytes_of("x"), 10ms).has_value()) << "one slot freed";
    EXPECT_FALSE(producer.write(bytes_of("x"), 5ms).has_value()) << "full again";
    consumer.reset();
    EXPECT_TRUE(producer.write(bytes_of("x"), 10ms).has_value()) << "nobody left to wait for";
}

TEST_F(DataBlockTest, LatestOnlyNeverBlocksTheWriterAndReadersGetTheNewest) {
    DataBlockConfig config;
    config.slot_count = 4;
    config.sync = SyncPolicy::latest_only;
    Producer producer = make_producer(config);
    Consumer consumer = must_attach(producer);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(producer.write(bytes_of(std::to_string(i)), 1ms).has_value()) << i;
    auto slot = consumer.acquire_read(10ms);
    ASSERT_TRUE(slot.has_value());
    EXPECT_EQ(slot->sequence(), 99U);
    EXPECT_EQ(text_of(slot->buffer()), "99");
    ASSERT_TRUE(slot->release().has_value());
    EXPECT_FALSE(consumer.acquire_read(2ms).has_value()) << "nothing newer";
}

TEST_F(DataBlockTest, EnforcedChecksumCatchesCorruptionCountsItAndSkipsTheSlot) {
    for (auto kind : {ChecksumKind::blake2b, ChecksumKind::xxh3}) {
        DataBlockConfig config;
        config.checksum = kind;
        auto created = Producer::create(name_.name(), config, {.replace_existing = true});
        ASSERT_TRUE(created.has_value());
        Consumer consumer = must_attach(*created);
        ASSERT_TRUE(created->write(bytes_of("good"), 10ms).has_value());
        ASSERT_TRUE(created->write(bytes_of("bad!"), 10ms).has_value());
        ASSERT_TRUE(created->write(bytes_of("next"), 10ms).has_value());

        auto raw = platform::SharedMemory::attach(name_.name());
        ASSERT_TRUE(raw.has_value());
        auto first = consumer.acquire_read(10ms);
        ASSERT_TRUE(first.has_value()) << first.error().message;
        // Flip a payload byte of sequence 1 behind the protocol's back.
        const std::byte* slot0 = first->buffer().data();
        const std::size_t stride = 4096;
        raw->data()[(slot0 - raw->data()) + stride] ^= std::byte{1};
        ASSERT_TRUE(first->release().has_value());

        auto corrupt = consumer.acquire_read(10ms);
        ASSERT_FALSE(corrupt.has_value()) << to_string(kind);
        EXPECT_EQ(corrupt.error().code, ErrorCode::corrupt);
        EXPECT_THAT(corrupt.error().message, HasSubstr("sequence 1 fails its " + std::string(to_string(kind))));
        EXPECT_EQ(consumer.metrics().checksum_failures, 1U);

        auto next = consumer.acquire_read(10ms);
        ASSERT_TRUE(next.has_value()) << "the corrupt slot was skipped";
        EXPECT_EQ(text_of(next->buffer()), "next");
    }
}

TEST_F(DataBlockTest, ManualChecksumIsTheApplicationsToWriteAndCheck) {
    DataBlockConfig config;
    config.checksum = ChecksumKind::blake2b;
    config.checksum_mode = ChecksumMode::manual;
    Producer producer = make_producer(config);
    Consumer consumer = must_attach(producer);
    {
        auto slot = producer.acquire_write(10ms);
        ASSERT_TRUE(slot.has_value());
        std::memcpy(slot->buffer().data(), "abc", 3);
        ASSERT_TRUE(slot->update_checksum(3).has_value());
        ASSERT_TRUE(slot->commit(3).has_value());
    }
    ASSERT_TRUE(producer.write(bytes_of("no digest"), 10ms).has_value());
    auto good = consumer.acquire_read(10ms);
    ASSERT_TRUE(good.has_value()) << "manual mode does not verify on read";
    EXPECT_TRUE(good->verify_checksum().has_value());
    ASSERT_TRUE(good->release().has_value());
    auto unchecked = consumer.acquire_read(10ms);
    ASSERT_TRUE(unchecked.has_value());
    EXPECT_EQ(unchecked->verify_checksum().error().code, ErrorCode::corrupt);
}

TEST_F(DataBlockTest, FlexibleZonesHaveTheirOwnChecksums) {
    DataBlockConfig config;
    config.checksum = ChecksumKind::xxh3;
    config.flex_zones = {{"calibration", 256}, {"status", 16}};
    Producer producer = make_producer(config);
    Consumer consumer = must_attach(producer);
    auto zone = producer.flexible_zone("calibration");
    ASSERT_EQ(zone.size(), 256U);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(zone.data()) % 64, 0U);
    EXPECT_TRUE(producer.flexible_zone("nope").empty());
    EXPECT_EQ(consumer.verify_zone_checksum("calibration").error().code, ErrorCode::not_found) << "no digest yet";

    std::memcpy(zone.data(), "gain=1.5", 8);
    ASSERT_TRUE(producer.update_zone_checksum("calibration").has_value());
    EXPECT_EQ(text_of(consumer.flexible_zone("calibration").first(8)), "gain=1.5");
    EXPECT_TRUE(consumer.verify_zone_checksum("calibration").has_value());
    zone[0] = std::byte{'G'};
    EXPECT_EQ(consumer.verify_zone_checksum("calibration").error().code, ErrorCode::corrupt);
    ASSERT_EQ(consumer.info().config.flex_zones.size(), 2U);
    EXPECT_EQ(consumer.info().config.flex_zones[1].name, "status");
}

TEST_F(DataBlockTest, WholeZoneWritesAreReadBackWithVersionsAndDigests) {
    DataBlockConfig config;
    config.checksum = ChecksumKind::blake2b;
    config.flex_zones = {{"state", 64}};
    Producer producer = make_producer(config);
    Consumer consumer = must_attach(producer);
    std::vector<std::byte> out(64, std::byte{0xff});
    auto version = consumer.read_zone("state", out);
    ASSERT_TRUE(version.has_value()) << version.error().message;
    EXPECT_EQ(*version, 0U) << "never written";
    EXPECT_EQ(out[0], std::byte{0}) << "a zone starts zeroed";

    const std::string first = "gain=1.5;offset=2";
    EXPECT_EQ(producer.write_zone("state", std::as_bytes(std::span(first))).value(), 1U);
    const std::string second = "gain=2";
    EXPECT_EQ(producer.write_zone("state", std::as_bytes(std::span(second))).value(), 2U);
    version = consumer.read_zone("state", out);
    ASSERT_TRUE(version.has_value()) << version.error().message;
    EXPECT_EQ(*version, 2U);
    EXPECT_EQ(text_of(std::span(out).first(second.size())), "gain=2");
    EXPECT_EQ(out[second.size()], std::byte{0}) << "the rest of the zone is cleared, not left from the first write";

    std::vector<std::byte> too_big(65);
    EXPECT_EQ(producer.write_zone("state", too_big).error().code, ErrorCode::invalid_argument);
    std::vector<std::byte> small(8);
    EXPECT_EQ(consumer.read_zone("state", small).error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(consumer.read_zone("nope", out).error().code, ErrorCode::not_found);

    producer.flexible_zone("state")[0] = std::byte{'G'};  // behind the seqlock's back
    EXPECT_EQ(consumer.read_zone("state", out).error().code, ErrorCode::corrupt);
    EXPECT_EQ(consumer.metrics().checksum_failures, 1U);
}

TEST_F(DataBlockTest, WriteGuardAbandonsOnExceptionAndDoubleReleaseIsHarmless) {
    Producer producer = make_producer();
    Consumer consumer = must_attach(producer);
    EXPECT_THROW((void)with_typed_write<Reading>(producer, 10ms, [](Reading&) { throw std::runtime_error("x"); }), std::runtime_error);
    EXPECT_EQ(producer.metrics().writes_abandoned, 1U);
    EXPECT_EQ(producer.next_sequence(), 0U) << "the sequence is not used up";

    auto slot = producer.acquire_write(10ms);
    ASSERT_TRUE(slot.has_value());
    EXPECT_EQ(producer.acquire_write(1ms).error().code, ErrorCode::busy) << "one slot at a time";
    slot->abandon();
    slot->abandon();
    EXPECT_FALSE(slot->active());
    EXPECT_TRUE(slot->buffer().empty());
    EXPECT_EQ(slot->commit(1).error().code, ErrorCode::invalid_argument);

    ASSERT_TRUE(producer.write(bytes_of("x"), 10ms).has_value());
    auto read = consumer.acquire_read(10ms);
    ASSERT_TRUE(read.has_value());
    EXPECT_EQ(consumer.acquire_read(1ms).error().code, ErrorCode::busy);
    EXPECT_TRUE(read->release().has_value());
    EXPECT_TRUE(read->release().has_value()) << "second release is a no-op";
}

TEST_F(DataBlockTest, TypedAccessRoundTripsAndChecksSizeAndSchema) {
    DataBlockConfig config;
    config.slot_bytes = 64;
    auto created = Producer::create_for<Reading>(name_.name(), config);
    ASSERT_TRUE(created.has_value());
    ConsumerOptions options;
    options.secret = created->secret();
    auto consumer = Consumer::attach_for<Reading>(name_.name(), options);
    ASSERT_TRUE(consumer.has_value());

    ASSERT_TRUE(with_typed_write<Reading>(*created, 10ms, [](Reading& r) {
                    r.seq = 42;
                    r.value = 2.5;
                }).has_value());
    auto value = with_typed_read<Reading>(*consumer, 10ms, [](const Reading& r) { return r.value * double(r.seq); });
    ASSERT_TRUE(value.has_value()) << value.error().message;
    EXPECT_DOUBLE_EQ(*value, 105.0);

    auto wrong = with_typed_write<OtherReading>(*created, 10ms, [](OtherReading&) {});
    ASSERT_FALSE(wrong.has_value());
    EXPECT_EQ(wrong.error().code, ErrorCode::mismatch);
    struct Big {
        char bytes[128];
    };
    auto too_big = with_typed_write<Big>(*created, 10ms, [](Big&) {});
    ASSERT_FALSE(too_big.has_value());
    EXPECT_THAT(too_big.error().message, HasSubstr("does not fit a slot of 64 bytes"));
}

TEST_F(DataBlockTest, ClosedProducerIsReportedAfterEverythingCommittedWasRead) {
    auto producer = std::make_optional(make_producer());
    Consumer consumer = must_attach(*producer);
    ASSERT_TRUE(producer->write(bytes_of("last words"), 10ms).has_value());
    producer.reset();
    EXPECT_FALSE(platform::SharedMemory::attach(name_.name()).has_value()) << "the producer unlinked it";

    auto last = consumer.acquire_read(10ms);
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(text_of(last->buffer()), "last words");
    ASSERT_TRUE(last->release().has_value());
    auto closed = consumer.acquire_read(10ms);
    ASSERT_FALSE(closed.has_value());
    EXPECT_EQ(closed.error().code, ErrorCode::closed);
}

TEST_F(DataBlockTest, GuardsMayOutliveTheirProducerAndConsumer) {
    auto producer = std::make_optional(make_producer());
    auto consumer = std::make_optional(must_attach(*producer));
    ASSERT_TRUE(producer->write(bytes_of("kept"), 10ms).has_value());
    auto read = consumer->acquire_read(10ms);
    ASSERT_TRUE(read.has_value());
    auto write = producer->acquire_write(10ms);
    ASSERT_TRUE(write.has_value());
    consumer.reset();
    producer.reset();
    EXPECT_EQ(text_of(read->buffer()), "kept") << "the mapping outlives the consumer";
    EXPECT_TRUE(read->release().has_value());
    EXPECT_EQ(write->commit(1).error().code, ErrorCode::closed);
}

TEST_F(DataBlockTest, AnObserverSeesTheNewestSlotAndNeverHoldsTheWriterBack) {
    DataBlockConfig config;
    config.slot_count = 4;
    config.sync = SyncPolicy::single_reader;
    Producer producer = make_producer(config);
    Consumer consumer = must_attach(producer);  // single_reader's one consumer
    auto observer = Observer::attach(name_.name(), producer.secret());
    ASSERT_TRUE(observer.has_value()) << observer.error().message;
    EXPECT_EQ(producer.metrics().consumers, 1U) << "an observer takes no row";
    EXPECT_FALSE(Observer::attach(name_.name(), crypto::generate_shared_secret()).has_value()) << "the secret still counts";

    EXPECT_EQ(observer->next(UINT64_MAX, 5ms).error().code, ErrorCode::timeout);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(producer.write(bytes_of("v" + std::to_string(i)), 10ms).has_value());
    auto newest = observer->next(UINT64_MAX, 10ms);
    ASSERT_TRUE(newest.has_value());
    EXPECT_EQ(newest->sequence, 2U);
    EXPECT_EQ(text_of(newest->payload), "v2");
    EXPECT_EQ(observer->next(2, 5ms).error().code, ErrorCode::timeout) << "nothing newer yet";

    // The consumer reads everything; the observer does not delay the writer.
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(consumer.acquire_read(10ms).has_value());
    for (int i = 3; i < 7; ++i) ASSERT_TRUE(producer.write(bytes_of("v" + std::to_string(i)), 10ms).has_value());
    EXPECT_EQ(producer.metrics().writer_backpressure_timeouts, 0U);
    EXPECT_EQ(text_of(observer->next(2, 10ms)->payload), "v6") << "the newest, skipping what it missed";
}

TEST_F(DataBlockTest, SlotRangeReadsUntilTheFirstError) {
    Producer producer = make_producer();
    Consumer consumer = must_attach(producer);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(producer.write(bytes_of(std::to_string(i)), 10ms).has_value());
    std::string seen;
    auto range = consumer.slots(2ms);
    for (ReadTransactionGuard& slot : range) seen += text_of(slot.buffer());
    EXPECT_EQ(seen, "01234");
    ASSERT_TRUE(range.last_error().has_value());
    EXPECT_EQ(range.last_error()->code, ErrorCode::timeout);
}

TEST_F(DataBlockTest, BlockingAndBusyPollConsumersWakeOnCommit) {
    for (auto wait : {WaitStrategy::blocking, WaitStrategy::busy_poll}) {
        auto producer = Producer::create(name_.name(), {}, {.wait = wait, .replace_existing = true});
        ASSERT_TRUE(producer.has_value());
        ConsumerOptions options;
        options.wait = wait;
        Consumer consumer = must_attach(*producer, options);
        std::thread writer([&] {
            std::this_thread::sleep_for(20ms);  // let the reader go to sleep first
            ASSERT_TRUE(producer->write(bytes_of("wake"), 10ms).has_value());
        });
        auto slot = consumer.acquire_read(5s);
        writer.join();
        ASSERT_TRUE(slot.has_value()) << to_string(wait);
        EXPECT_EQ(text_of(slot->buffer()), "wake");
    }
}

}  // namespace
}  // namespace pylabhub::datablock
