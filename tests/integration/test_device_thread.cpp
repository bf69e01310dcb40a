// Producers whose data arrives on a thread of their own (camera and DAQ SDK
// callbacks): `frames` with mode: callback writes with host().write_slot
// while the host runs, stops, closes the channel and destroys the instance.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "host_harness.hpp"

namespace pylabhub::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(DeviceThread, FramesDeliveredFromAPluginThreadAreRecordedAndVerify) {
    PipelineFile pipeline("callback", R"(pipeline: camera
channels:
  @: {slots: 8, slot_bytes: 4KiB, sync: sync_reader, checksum: xxh3}
producers:
  cam: {plugin: frames, channel: @, config: {width: 32, height: 32, fps: 500, mode: callback}}
consumers:
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}
)");
    const Outcome run = pylabhub({"run", pipeline.path(), "--duration", "1"});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    const std::uint64_t delivered = number_after(run.output, "cam\\.delivered = ([0-9]+)");
    EXPECT_GT(delivered, 200U) << run.output;
    EXPECT_NE(delivered, UINT64_MAX);
    EXPECT_EQ(number_after(run.output, "rec\\.records = ([0-9]+)"), delivered) << "every delivered frame recorded";
    const Outcome verify = pylabhub({"verify", pipeline.recording()});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

// The device thread does not stop when the channel closes (it stops in the
// plugin's destructor, later): every write in between must be refused with
// PLH_END, never reach the freed channel. Run under ASan/TSan to see it.
TEST(DeviceThread, WritesAfterTheChannelClosedAreRefusedNotAUseAfterFree) {
    PipelineFile pipeline("callbackstop", R"(pipeline: camera
channels:
  @: {slots: 4, slot_bytes: 4KiB, sync: latest_only}
producers:
  cam: {plugin: frames, channel: @, config: {width: 16, height: 16, fps: 20000, mode: callback}}
consumers:
  slow: {plugin: null, inputs: [@]}
)");
    for (int round = 0; round < 5; ++round) {
        const Outcome run = pylabhub({"run", pipeline.path(), "--duration", "0.3"});
        ASSERT_EQ(run.exit_code, 0) << "round " << round << ": " << run.output;
        EXPECT_THAT(run.output, Not(HasSubstr("ERROR: AddressSanitizer")));
        EXPECT_THAT(run.output, Not(HasSubstr("WARNING: ThreadSanitizer")));
        EXPECT_GT(number_after(run.output, "cam\\.delivered = ([0-9]+)"), 100U) << run.output;
    }
}

}  // namespace
}  // namespace pylabhub::test
