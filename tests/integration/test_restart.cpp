// on_failure: restart: a failed producer or consumer is started again with
// backoff and a limit, re-attached to its channels, counted in the summary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "host_harness.hpp"

namespace pylabhub::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Restart, AProducerThatFailsTwiceIsRestartedTwiceAndItsChannelRecordsWithoutAGap) {
    PipelineFile pipeline("restart_producer", R"(pipeline: restarting
plugin_path: )" PLH_TEST_PLUGIN_DIR R"(
channels:
  @: {slots: 64, slot_bytes: 64, sync: single_reader}
producers:
  flaky: {plugin: fails-after-producer, channel: @, on_failure: restart, config: {after: 200, rate_hz: 2000, times: 2}}
consumers:
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}
)");
    const Outcome run = pylabhub({"run", pipeline.path(), "--duration", "3"});
    EXPECT_EQ(run.exit_code, 0) << "it recovered: " << run.output;
    EXPECT_THAT(run.output, HasSubstr("producer 'flaky' failed; restarting it in 0.2 s (restart 1 of 5)"));
    EXPECT_THAT(run.output, HasSubstr("producer 'flaky' failed; restarting it in 0.4 s (restart 2 of 5)"));
    EXPECT_THAT(run.output, HasSubstr("ok (2 restarts)"));
    const std::uint64_t written = number_after(run.output, "flaky +([0-9]+) ");
    EXPECT_GT(written, 400U) << run.output;
    EXPECT_EQ(number_after(run.output, "rec\\.records = ([0-9]+)"), written) << "every slot of every run of it recorded";
    const Outcome verify = pylabhub({"verify", pipeline.recording()});
    EXPECT_EQ(verify.exit_code, 0) << "the restarted producer goes on with the channel's ids: " << verify.output;
}

TEST(Restart, AConsumerThatFailsTwiceIsRestartedTwiceAndTheRunSucceeds) {
    PipelineFile pipeline("restart_twice", R"(pipeline: restarting
plugin_path: )" PLH_TEST_PLUGIN_DIR R"(
channels:
  @: {slots: 64, slot_bytes: 64, sync: sync_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 1000}}
consumers:
  flaky: {plugin: fails-after, inputs: [@], on_failure: restart, config: {after: 100, times: 2}}
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}
)");
    const Outcome run = pylabhub({"run", pipeline.path(), "--duration", "2"});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, ::testing::ContainsRegex("flaky +test[^ ]* +[0-9]+ .*ok \\(2 restarts\\)")) << run.output;
    const std::uint64_t written = number_after(run.output, "gen +([0-9]+) ");
    EXPECT_EQ(number_after(run.output, "rec\\.records = ([0-9]+)"), written) << "its neighbour lost nothing";
    const Outcome verify = pylabhub({"verify", pipeline.recording()});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

TEST(Restart, AConsumerThatAlwaysFailsStopsAfterTheLimitAndIsReported) {
    PipelineFile pipeline("restart_consumer", R"(pipeline: restarting
plugin_path: )" PLH_TEST_PLUGIN_DIR R"(
on_failure: restart
channels:
  @: {slots: 64, slot_bytes: 64, sync: sync_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 2000}}
consumers:
  flaky: {plugin: fails-after, inputs: [@], config: {after: 20}}
  sink: {plugin: null, inputs: [@]}
)");
    const Outcome run = pylabhub({"run", pipeline.path(), "--duration", "9"});
    EXPECT_EQ(run.exit_code, 4) << run.output;
    for (const char* delay : {"0.2", "0.4", "0.8", "1.6", "3.2"}) {
        EXPECT_THAT(run.output, HasSubstr(std::string("restarting it in ") + delay + " s")) << "the backoff doubles";
    }
    EXPECT_THAT(run.output, Not(HasSubstr("restart 6 of 5")));
    EXPECT_THAT(run.output, ::testing::ContainsRegex("flaky +test[^ ]* +[0-9]+ .*FAILED \\(5 restarts\\)"));
    const std::uint64_t written = number_after(run.output, "gen +([0-9]+) ");
    EXPECT_EQ(number_after(run.output, "sink\\.slots = ([0-9]+)"), written) << "the rest of the pipeline went on";
}

TEST(Restart, AProcessorIsRestartedOnItsInputsAndWritesOnIntoTheSameChannel) {
    PipelineFile pipeline("restart_processor", R"(pipeline: restarting
plugin_path: )" PLH_TEST_PLUGIN_DIR R"(
channels:
  @: {slots: 64, slot_bytes: 64, sync: single_reader}
  @_out: {slots: 64, slot_bytes: 64, sync: single_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 1000}}
processors:
  pass: {plugin: fails-after-processor, inputs: [@], channel: @_out, on_failure: restart, config: {after: 300, times: 1}}
consumers:
  rec: {plugin: recorder, inputs: [@_out], config: {path: RECORDING}}
)");
    const Outcome run = pylabhub({"run", pipeline.path(), "--duration", "2"});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("processor 'pass' failed; restarting it in 0.2 s (restart 1 of 5)"));
    EXPECT_THAT(run.output, HasSubstr("ok (1 restart)"));
    EXPECT_GT(number_after(run.output, "rec\\.records = ([0-9]+)"), 1000U) << "it wrote on after its restart: " << run.output;
    const Outcome verify = pylabhub({"verify", pipeline.recording()});
    EXPECT_EQ(verify.exit_code, 0) << "its output channel stayed open, its ids going on: " << verify.output;
}

TEST(Restart, OnFailureIsCheckedWhereItIsWritten) {
    PipelineFile pipeline("restart_bad", R"(pipeline: bad
channels:
  @: {slots: 8}
producers:
  gen: {plugin: counter, channel: @, on_failure: reboot}
consumers:
  sink: {plugin: null, inputs: [@]}
)");
    const Outcome validate = pylabhub({"validate", pipeline.path()});
    EXPECT_EQ(validate.exit_code, 1);
    EXPECT_THAT(validate.output, ::testing::ContainsRegex(":5:[0-9]+: on_failure: 'reboot' is not one of continue stop restart"));
}

}  // namespace
}  // namespace pylabhub::test
