// `pylabhub admin` against real segments, real processes and real SIGKILL.
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "child_process.hpp"
#include "counter_payload.hpp"
#include "pylabhub/datablock.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "shm_names.hpp"

namespace pylabhub::datablock {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;
using ::testing::HasSubstr;

struct Outcome {
    int exit_code = -1;
    std::string output;
};

Outcome admin(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), {PLH_PYLABHUB_EXE, "admin"});
    auto child = ChildProcess::spawn(arguments);
    Outcome outcome;
    outcome.output = child.read_all(30s);
    outcome.exit_code = child.wait(5s).value_or(-1);
    return outcome;
}

class Admin : public ::testing::Test {
protected:
    /// This test's channel prefix, so that list/cleanup never touch other tests' segments.
    std::string prefix() const { return "test." + std::to_string(::getpid()) + "."; }

    /// A producer process killed in the middle of writing slot `slots`.
    std::string crashed_producer(const std::string& name, int slots) {
        auto worker = ChildProcess::spawn_worker({"produce-then-hang", name, std::to_string(slots)});
        const auto secret = worker.read_line(10s);
        EXPECT_TRUE(secret.has_value());
        EXPECT_EQ(worker.read_line(10s), "mid-write " + std::to_string(slots));
        worker.kill_and_reap();
        return secret ? secret->substr(7) : "";
    }

    test::ShmNameGuard name_{"admin"};
};

TEST_F(Admin, DiagnoseShowsADeadWritersSlotAndCleanupZombiesReleasesIt) {
    crashed_producer(name_.name(), 3);
    const Outcome before = admin({"diagnose", name_.name()});
    EXPECT_EQ(before.exit_code, 1) << before.output;
    EXPECT_THAT(before.output, HasSubstr("producer  pid"));
    EXPECT_THAT(before.output, ::testing::ContainsRegex("3  writing +seq [0-9]+, readers 0, writer pid [0-9]+ \\(DEAD\\)"));
    EXPECT_THAT(before.output, HasSubstr("STUCK"));

    const Outcome cleaned = admin({"cleanup-zombies", name_.name()});
    EXPECT_EQ(cleaned.exit_code, 0);
    EXPECT_THAT(cleaned.output, HasSubstr("released slot 3 from dead writer pid"));
    EXPECT_EQ(admin({"diagnose", name_.name()}).exit_code, 0);

    auto json = admin({"diagnose", name_.name(), "--json"});
    const auto doc = nlohmann::json::parse(json.output);
    EXPECT_EQ(doc["slots"], 8);
    EXPECT_EQ(doc["slot_states"][3]["state"], "free");
    EXPECT_GE(doc["metrics"]["recovery_actions"].get<int>(), 1);
}

TEST_F(Admin, ForceResetIsRefusedWhileTheWriterLivesUnlessForced) {
    auto worker = ChildProcess::spawn_worker({"produce-then-hang", name_.name(), "2"});
    ASSERT_TRUE(worker.read_line(10s).has_value());
    ASSERT_EQ(worker.read_line(10s), "mid-write 2");
    const Outcome refused = admin({"force-reset", name_.name(), "--slot", "2"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_THAT(refused.output, HasSubstr("being written by live pid " + std::to_string(worker.pid())));
    EXPECT_THAT(refused.output, HasSubstr("--force"));
    const Outcome forced = admin({"force-reset", name_.name(), "--slot", "2", "--force"});
    EXPECT_EQ(forced.exit_code, 0) << forced.output;
    EXPECT_EQ(admin({"force-reset", name_.name(), "--slot", "99"}).exit_code, 1) << "no such slot";
}

TEST_F(Admin, ValidateNamesTheCorruptSlotAndRepairsItsChecksumOnlyWhenAsked) {
    DataBlockConfig config;
    config.slot_count = 4;
    config.checksum = ChecksumKind::blake2b;
    auto producer = Producer::create(name_.name(), config);
    ASSERT_TRUE(producer.has_value());
    for (int i = 0; i < 3; ++i) {
        const std::string text = "payload " + std::to_string(i);
        ASSERT_TRUE(producer->write(std::as_bytes(std::span(text.data(), text.size())), 10ms).has_value());
    }
    EXPECT_EQ(admin({"validate", name_.name()}).exit_code, 0);

    auto raw = platform::SharedMemory::attach(name_.name());
    ASSERT_TRUE(raw.has_value());
    // Find slot 1's payload by its text and damage one byte.
    const std::string needle = "payload 1";
    std::byte* at = std::search(raw->data(), raw->data() + raw->size(), reinterpret_cast<const std::byte*>(needle.data()),
                                reinterpret_cast<const std::byte*>(needle.data()) + needle.size());
    ASSERT_NE(at, raw->data() + raw->size());
    at[0] = std::byte{'P'};

    const Outcome found = admin({"validate", name_.name()});
    EXPECT_EQ(found.exit_code, 1);
    EXPECT_THAT(found.output, HasSubstr("problem: slot 1 (sequence 1) fails its blake2b checksum"));
    EXPECT_THAT(found.output, HasSubstr("'--repair' rewrites"));
    EXPECT_EQ(admin({"validate", name_.name()}).exit_code, 1) << "nothing changed without --repair";

    const Outcome repaired = admin({"validate", name_.name(), "--repair"});
    EXPECT_EQ(repaired.exit_code, 0) << repaired.output;
    EXPECT_THAT(repaired.output, HasSubstr("repaired: slot 1 (sequence 1): rewrote its blake2b checksum; the payload is unchanged"));
    EXPECT_EQ(at[0], std::byte{'P'}) << "payload untouched";
    EXPECT_EQ(admin({"validate", name_.name()}).exit_code, 0);
}

TEST_F(Admin, ValidateLeavesManualModeSlotDigestsUncheckedAndSaysSo) {
    DataBlockConfig config;
    config.slot_count = 4;
    config.checksum = ChecksumKind::blake2b;
    config.checksum_mode = ChecksumMode::manual;
    auto producer = Producer::create(name_.name(), config);
    ASSERT_TRUE(producer.has_value());
    for (int i = 0; i < 3; ++i) {
        const std::string text = "no digest written " + std::to_string(i);
        ASSERT_TRUE(producer->write(std::as_bytes(std::span(text.data(), text.size())), 10ms).has_value());
    }
    const Outcome checked = admin({"validate", name_.name()});
    EXPECT_EQ(checked.exit_code, 0) << "a digest the producer chose not to write is not corruption: " << checked.output;
    EXPECT_THAT(checked.output, HasSubstr("note: checksum mode manual"));
    const Outcome repair = admin({"validate", name_.name(), "--repair"});
    EXPECT_THAT(repair.output, HasSubstr("0 repaired")) << "nothing is rewritten";
}

TEST_F(Admin, CorruptedHeaderBytesAreRefusedNamingTheField) {
    auto producer = Producer::create(name_.name(), {});
    ASSERT_TRUE(producer.has_value());
    auto raw = platform::SharedMemory::attach(name_.name());
    ASSERT_TRUE(raw.has_value());
    raw->data()[20] ^= std::byte{0x5a};  // inside the header layout hash

    ConsumerOptions options;
    options.secret = producer->secret();
    auto consumer = Consumer::attach(name_.name(), options);
    ASSERT_FALSE(consumer.has_value());
    EXPECT_THAT(consumer.error().message, HasSubstr("header layout hash differs"));
    const Outcome validated = admin({"validate", name_.name()});
    EXPECT_EQ(validated.exit_code, 1);
    EXPECT_THAT(validated.output, HasSubstr("header layout hash differs"));
}

TEST_F(Admin, CleanupRemovesOrphanedSegmentsAndLeavesLiveOnesAlone) {
    const std::string orphan = "/plh." + prefix() + "orphan";
    const std::string live = "/plh." + prefix() + "live";
    crashed_producer(orphan, 1);
    auto producer = Producer::create(live, {});
    ASSERT_TRUE(producer.has_value());

    const Outcome listed = admin({"list", prefix()});
    EXPECT_EQ(listed.exit_code, 0);
    EXPECT_THAT(listed.output, ::testing::ContainsRegex(orphan + " .*orphaned"));
    EXPECT_THAT(listed.output, ::testing::ContainsRegex(live + " .*live"));

    const Outcome dry = admin({"cleanup", prefix(), "--dry-run"});
    EXPECT_THAT(dry.output, HasSubstr("would remove " + orphan));
    EXPECT_TRUE(std::filesystem::exists("/dev/shm" + orphan));

    const Outcome cleaned = admin({"cleanup", prefix()});
    EXPECT_EQ(cleaned.exit_code, 0);
    EXPECT_THAT(cleaned.output, HasSubstr("removed  " + orphan));
    EXPECT_THAT(cleaned.output, HasSubstr("kept     " + live + ": in use"));
    EXPECT_FALSE(std::filesystem::exists("/dev/shm" + orphan));
    EXPECT_TRUE(std::filesystem::exists("/dev/shm" + live));
    (void)platform::SharedMemory::unlink(orphan);  // in case cleanup did not (the live one unlinks itself)
}

TEST_F(Admin, ATruncatedLeftoverSegmentIsRefusedWithAdviceThatWorks) {
    const std::string channel = prefix() + "truncated";
    const std::string segment = "/plh." + channel;
    // What a creator killed while sizing its segment leaves: a name, no header.
    ASSERT_TRUE(platform::SharedMemory::create(segment, 512).has_value());
    auto again = Producer::create(segment, {});
    ASSERT_FALSE(again.has_value());
    EXPECT_THAT(again.error().message, HasSubstr("remove it with 'pylabhub admin cleanup --unreadable " + channel + "'"));

    const Outcome kept = admin({"cleanup", channel});
    EXPECT_THAT(kept.output, HasSubstr("kept     " + segment + ": not a readable DataBlock"));
    EXPECT_THAT(kept.output, HasSubstr("'--unreadable' removes it"));
    EXPECT_TRUE(std::filesystem::exists("/dev/shm" + segment));
    const Outcome removed = admin({"cleanup", "--unreadable", channel});
    EXPECT_EQ(removed.exit_code, 0) << removed.output;
    EXPECT_THAT(removed.output, HasSubstr("removed  " + segment + " (not a readable DataBlock"));
    EXPECT_FALSE(std::filesystem::exists("/dev/shm" + segment));
    EXPECT_TRUE(Producer::create(segment, {}).has_value()) << "the advice worked";
    (void)platform::SharedMemory::unlink(segment);
}

}  // namespace
}  // namespace pylabhub::datablock
