// A channel one host creates and another consumes (`external: true`): the
// consumer must read it as its creator made it, never with YAML defaults.
#include <csignal>
#include <filesystem>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "host_harness.hpp"

namespace pylabhub::test {
namespace {

using ::testing::HasSubstr;

/// Runs `creator` in the background until its segment is there and
/// registered, then the reader's `pylabhub` command to its end.
struct TwoHosts {
    Outcome reader;
    Outcome creator;
};

TwoHosts run_creator_then_reader(const PipelineFile& creator, const char* creator_seconds, std::vector<std::string> reader_command) {
    auto host = ChildProcess::spawn({pylabhub_exe(), "run", creator.path(), "--duration", creator_seconds});
    wait_for_segment(creator.channel());
    std::this_thread::sleep_for(300ms);  // creating the segment comes just before registering it
    TwoHosts outcome;
    outcome.reader = pylabhub(std::move(reader_command));
    outcome.creator.output = host.read_all(30s);
    outcome.creator.exit_code = host.wait(10s).value_or(-1);
    return outcome;
}

TEST(External, ALatestOnlyChannelIsCopiedAndValidatedAndRecordedAsLatestOnly) {
    PipelineFile creator("lo_creator", R"(pipeline: creator
channels:
  @: {slots: 4, slot_bytes: 4KiB, sync: latest_only, checksum: xxh3}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 20000}}
)",
                         "lo");
    PipelineFile reader("lo_reader", R"(pipeline: reader
channels:
  @: {external: true}
consumers:
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}
)",
                        "lo");
    const TwoHosts run = run_creator_then_reader(creator, "4", {"run", reader.path(), "--duration", "1"});
    EXPECT_EQ(run.reader.exit_code, 0) << run.reader.output;
    EXPECT_GT(number_after(run.reader.output, "rec\\.records = ([0-9]+)"), 100U) << run.reader.output;
    const Outcome verify = pylabhub({"verify", reader.recording()});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    EXPECT_THAT(verify.output, HasSubstr("latest_only")) << "the recording describes the channel as it is";
    EXPECT_EQ(run.creator.exit_code, 0) << run.creator.output;
}

TEST(External, TwoConsumersOfASyncReaderChannelValidateAndRun) {
    PipelineFile creator("sr_creator", R"(pipeline: creator
channels:
  @: {slots: 64, slot_bytes: 64, sync: sync_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 2000}}
)",
                         "sr");
    PipelineFile reader("sr_reader", R"(pipeline: reader
channels:
  @: {external: true}
consumers:
  a: {plugin: null, inputs: [@]}
  b: {plugin: stats, inputs: [@]}
)",
                        "sr");
    const Outcome before = pylabhub({"validate", reader.path()});
    EXPECT_EQ(before.exit_code, 0) << "the layout is unknown until the creator runs: " << before.output;
    auto host = ChildProcess::spawn({pylabhub_exe(), "run", creator.path(), "--duration", "4"});
    wait_for_segment(creator.channel());
    std::this_thread::sleep_for(300ms);
    const Outcome during = pylabhub({"validate", reader.path()});
    EXPECT_EQ(during.exit_code, 0) << "checked against the live segment (sync_reader): " << during.output;
    const Outcome run = pylabhub({"run", reader.path(), "--duration", "1"});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_GT(number_after(run.output, "\\na +\\S+ +([0-9]+)"), 500U) << "consumer a read: " << run.output;
    EXPECT_GT(number_after(run.output, "\\nb +\\S+ +([0-9]+)"), 500U) << "consumer b read: " << run.output;
    host.read_all(30s);
    EXPECT_EQ(host.wait(10s), 0);
}

TEST(External, ASingleReaderChannelRefusesASecondConsumerWithTheRealPolicyNamed) {
    PipelineFile creator("single_creator", R"(pipeline: creator
channels:
  @: {slots: 16, slot_bytes: 64, sync: single_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 1000}}
)",
                         "single");
    PipelineFile reader("single_reader", R"(pipeline: reader
channels:
  @: {external: true}
consumers:
  a: {plugin: null, inputs: [@]}
  b: {plugin: null, inputs: [@]}
)",
                        "single");
    auto host = ChildProcess::spawn({pylabhub_exe(), "run", creator.path(), "--duration", "3"});
    wait_for_segment(creator.channel());
    std::this_thread::sleep_for(300ms);
    const Outcome validate = pylabhub({"validate", reader.path()});
    EXPECT_EQ(validate.exit_code, 1) << validate.output;
    EXPECT_THAT(validate.output, HasSubstr("is single_reader but has 2 consumers"));
    host.read_all(30s);
    EXPECT_EQ(host.wait(10s), 0);
}

TEST(External, AChannelWithAPluginChecksumIsVerifiedWithThatPlugin) {
    PipelineFile creator("fl_creator", R"(pipeline: creator
plugin_path: )" PLH_TEST_PLUGIN_DIR R"(
channels:
  @: {slots: 64, slot_bytes: 64, sync: sync_reader, checksum: fletcher32}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 2000}}
)",
                         "fl");
    PipelineFile reader("fl_reader", R"(pipeline: reader
plugin_path: )" PLH_TEST_PLUGIN_DIR R"(
channels:
  @: {external: true}
consumers:
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}
)",
                        "fl");
    const TwoHosts run = run_creator_then_reader(creator, "4", {"run", reader.path(), "--duration", "1"});
    EXPECT_EQ(run.reader.exit_code, 0) << run.reader.output;
    EXPECT_GT(number_after(run.reader.output, "rec\\.records = ([0-9]+)"), 500U) << run.reader.output;
    const Outcome verify = pylabhub({"verify", reader.recording()});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    EXPECT_EQ(run.creator.exit_code, 0) << run.creator.output;
}

TEST(External, AStoppedConsumerIsNamedByTheWaitingProducerAndByDiagnose) {
    PipelineFile creator("stall_creator", R"(pipeline: creator
channels:
  @: {slots: 16, slot_bytes: 64, sync: sync_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 2000}}
)",
                         "stall");
    PipelineFile reader("stall_reader", R"(pipeline: reader
channels:
  @: {external: true}
consumers:
  slow: {plugin: null, inputs: [@]}
)",
                        "stall");
    auto producer = ChildProcess::spawn({pylabhub_exe(), "run", creator.path(), "--duration", "7"});
    wait_for_segment(creator.channel());
    std::this_thread::sleep_for(300ms);
    auto consumer = ChildProcess::spawn({pylabhub_exe(), "run", reader.path(), "--duration", "5"});
    std::this_thread::sleep_for(800ms);
    consumer.signal(SIGSTOP);  // attached, then frozen: the lossless writer must wait for it
    std::this_thread::sleep_for(2500ms);
    const Outcome diagnose = pylabhub({"admin", "diagnose", creator.channel()});
    consumer.signal(SIGCONT);
    EXPECT_EQ(diagnose.exit_code, 1) << diagnose.output;
    EXPECT_THAT(diagnose.output, HasSubstr("the ring is full: the writer waits for row"));
    EXPECT_THAT(diagnose.output, HasSubstr("(pid " + std::to_string(consumer.pid()) + ","));
    EXPECT_THAT(diagnose.output, HasSubstr("STALLED"));
    const std::string consumer_output = consumer.read_all(30s);
    EXPECT_EQ(consumer.wait(10s), 0) << consumer_output;
    const std::string producer_output = producer.read_all(30s);
    EXPECT_EQ(producer.wait(10s), 0) << producer_output;
    EXPECT_THAT(producer_output, HasSubstr("producer 'gen' has waited"));
    EXPECT_THAT(producer_output, HasSubstr("waiting for consumer pid " + std::to_string(consumer.pid())));
    EXPECT_THAT(producer_output, HasSubstr("producer 'gen': room again after"));
}

}  // namespace
}  // namespace pylabhub::test
