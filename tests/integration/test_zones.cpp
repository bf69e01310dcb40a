// Flexible zones from YAML through the SDK: written by one process, read by
// another while it is being rewritten, never seen half-written.
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "host_harness.hpp"

namespace pylabhub::test {
namespace {

using ::testing::HasSubstr;

constexpr const char* kWriter = R"(pipeline: zone_writer
plugin_path: )" PLH_TEST_PLUGIN_DIR R"(
channels:
  @: {slots: 64, slot_bytes: 64, sync: latest_only, checksum: blake2b, zones: {state: 4KiB, calibration: 256B}}
producers:
  gen: {plugin: zone-writer, channel: @}
)";

TEST(Zones, AReaderInAnotherProcessNeverSeesAHalfWrittenZone) {
    PipelineFile writer("zone_writer", kWriter, "zones");
    PipelineFile reader("zone_reader", R"(pipeline: zone_reader
plugin_path: )" PLH_TEST_PLUGIN_DIR R"(
channels:
  @: {external: true}
consumers:
  check: {plugin: zone-checker, inputs: [@]}
)",
                        "zones");
    auto host = ChildProcess::spawn({pylabhub_exe(), "run", writer.path(), "--duration", "5"});
    wait_for_segment(writer.channel());
    std::this_thread::sleep_for(300ms);
    const Outcome read = pylabhub({"run", reader.path(), "--duration", "2"});
    const std::string written = host.read_all(30s);
    EXPECT_EQ(host.wait(10s).value_or(-1), 0) << written;
    EXPECT_EQ(read.exit_code, 0) << read.output;
    // Many 4 KiB copies taken while the writer rewrote the zone non-stop,
    // each checked word by word and by its BLAKE2b digest. Thousands on an
    // idle machine; the floors only ask that reads and writes overlapped
    // (a loaded CI machine makes fewer, never a torn one).
    EXPECT_GT(number_after(read.output, "check\\.zone_reads = ([0-9]+)"), 100U) << read.output;
    EXPECT_GT(number_after(read.output, "check\\.zone_versions_seen = ([0-9]+)"), 10U) << read.output;
    EXPECT_THAT(read.output, Not(HasSubstr("torn zone")));
}

TEST(Zones, EchoShowsEachZoneAsItIsWritten) {
    PipelineFile writer("zone_echo", kWriter, "zecho");
    auto host = ChildProcess::spawn({pylabhub_exe(), "run", writer.path(), "--duration", "3"});
    wait_for_segment(writer.channel());
    std::this_thread::sleep_for(300ms);
    const Outcome echo = pylabhub({"echo", writer.channel(), "--zones", "-n", "4"});
    host.read_all(30s);
    host.wait(10s);
    EXPECT_EQ(echo.exit_code, 0) << echo.output;
    EXPECT_THAT(echo.output, ::testing::ContainsRegex("zone state v[1-9][0-9]*: 4096 bytes:"));
    EXPECT_THAT(echo.output, HasSubstr("zone calibration v0: 256 bytes: 00 00"));
}

TEST(Zones, BadZoneDeclarationsArePointedAt) {
    PipelineFile bad("zone_bad", R"(pipeline: zone_bad
channels:
  @: {zones: {"": 64B, big: 1GiB, ok: 64B}}
  other: {external: true, zones: {state: 64B}}
producers:
  gen: {plugin: counter, channel: @}
)",
                     "zbad");
    const Outcome out = pylabhub({"validate", bad.path()});
    EXPECT_EQ(out.exit_code, 1) << out.output;
    EXPECT_THAT(out.output, HasSubstr(":3:"));
    EXPECT_THAT(out.output, HasSubstr("zone name '' must be 1..31"));
    EXPECT_THAT(out.output, HasSubstr("zone 'big': 1GiB is out of range"));
    EXPECT_THAT(out.output, HasSubstr("zones: an external channel's layout is set by the host that creates it"));
}

}  // namespace
}  // namespace pylabhub::test
