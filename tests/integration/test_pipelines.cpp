// `pylabhub validate`, `run` and `verify` as an operator uses them: the real
// executable, real plugins, real shared memory, real signals.
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "child_process.hpp"
#include "host_harness.hpp"

namespace pylabhub::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kBroken = PLH_BROKEN_PIPELINES_DIR;

TEST(Run, RefusesABrokenPipelineWithoutStartingAnything) {
    const Outcome outcome = pylabhub({"run", kBroken + "/06_unknown_plugin.yaml", "--duration", "1"});
    EXPECT_EQ(outcome.exit_code, 1);
    EXPECT_THAT(outcome.output, HasSubstr("not started: 1 problem"));
}

// --- run: data flows, is recorded, verifies --------------------------------

TEST(Run, CounterToRecorderThenVerifyNoGapNoCorruptionCountMatches) {
    PipelineFile pipeline("rec", R"(pipeline: counter_to_recorder
channels:
  @: {slots: 32, slot_bytes: 128, sync: sync_reader, checksum: xxh3}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 20000, payload_bytes: 128}}
consumers:
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}
  sink: {plugin: null, inputs: [@]}
)");
    const Outcome run = pylabhub({"run", pipeline.path(), "--duration", "1.5"});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    const std::uint64_t written = number_after(run.output, "gen +([0-9]+) ");
    ASSERT_NE(written, UINT64_MAX) << run.output;
    EXPECT_GT(written, 1000U);
    EXPECT_EQ(number_after(run.output, "rec\\.records = ([0-9]+)"), written);
    EXPECT_EQ(number_after(run.output, "sink\\.slots = ([0-9]+)"), written);

    const Outcome verify = pylabhub({"verify", pipeline.recording()});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    EXPECT_EQ(number_after(verify.output, "records +([0-9]+) "), written);
    EXPECT_THAT(verify.output, HasSubstr("corrupt   0"));
    EXPECT_THAT(verify.output, HasSubstr("gaps      0 (0 slots missing)"));
    EXPECT_FALSE(std::filesystem::exists("/dev/shm/plh." + pipeline.channel())) << "segment unlinked";
}

TEST(Run, SigtermMidRunExitsZeroWithAValidRecordingAndNoResidue) {
    PipelineFile pipeline("term", R"(pipeline: sigterm
channels:
  @: {slots: 16, slot_bytes: 64, sync: single_reader, checksum: blake2b}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 5000}}
consumers:
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}
)");
    auto host = ChildProcess::spawn({pylabhub_exe(), "run", pipeline.path()});
    wait_for_recording(pipeline.recording(), 10000);  // data flows; now stop it as an operator does
    host.signal(SIGTERM);
    const std::string output = host.read_all(20s);
    EXPECT_EQ(host.wait(10s), 0) << output;
    EXPECT_THAT(output, HasSubstr("stopped: SIGTERM"));
    const std::uint64_t written = number_after(output, "gen +([0-9]+) ");
    EXPECT_EQ(number_after(output, "rec\\.records = ([0-9]+)"), written) << "every committed slot recorded";

    const Outcome verify = pylabhub({"verify", pipeline.recording()});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    EXPECT_FALSE(std::filesystem::exists("/dev/shm/plh." + pipeline.channel()));
}

TEST(Run, AHostKilledWithSigkillIsRecoveredByTheNextRunOfThePipeline) {
    const std::string yaml = R"(pipeline: crashy
channels:
  @: {slots: 32, slot_bytes: 64, sync: sync_reader, checksum: xxh3}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 2000}}
consumers:
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING IF_EXISTS}}
)";
    PipelineFile pipeline("kill9", std::regex_replace(yaml, std::regex(" IF_EXISTS"), ""));
    auto crashed = ChildProcess::spawn({pylabhub_exe(), "run", pipeline.path()});
    wait_for_recording(pipeline.recording(), 5000);
    crashed.kill_and_reap();  // SIGKILL: segment, consumer rows and the embedded broker's socket are left behind
    ASSERT_TRUE(std::filesystem::exists("/dev/shm/plh." + pipeline.channel()));

    // if_exists: append continues it after its intact prefix.
    PipelineFile resumed("kill9-resume",
                         std::regex_replace(std::regex_replace(yaml, std::regex("RECORDING"), pipeline.recording()),
                                            std::regex(" IF_EXISTS"), ", if_exists: append"),
                         "kill9");
    const Outcome again = pylabhub({"run", resumed.path(), "--duration", "1"});
    EXPECT_EQ(again.exit_code, 0) << again.output;
    EXPECT_THAT(again.output, HasSubstr("reusing its segment"));
    EXPECT_THAT(again.output, HasSubstr("took over the consumer row of dead pid"));
    EXPECT_THAT(again.output, HasSubstr("appending to '" + pipeline.recording() + "' after "));
    const std::uint64_t written = number_after(again.output, "gen +([0-9]+) ");
    EXPECT_GT(written, 500U);
    // This run's writes, and what the killed recorder had not read yet
    // (its row held the writer back, so those slots were still there).
    EXPECT_GE(number_after(again.output, "rec\\.records = ([0-9]+)"), written) << "this run's writes, all recorded";
    const Outcome verify = pylabhub({"verify", pipeline.recording()});
    EXPECT_THAT(verify.output, HasSubstr("corrupt   0"));
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    EXPECT_THAT(verify.output, Not(HasSubstr("disorder"))) << "the second run continued the sequence";
    EXPECT_GT(number_after(verify.output, "records +([0-9]+)"), written) << "both runs' records: " << verify.output;
    EXPECT_FALSE(std::filesystem::exists("/dev/shm/plh." + pipeline.channel())) << "cleaned up this time";

    const auto recorded_bytes = std::filesystem::file_size(pipeline.recording());
    // By default a recording is never replaced: the pipeline does not start.
    const Outcome refused = pylabhub({"run", pipeline.path(), "--duration", "1"});
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_THAT(refused.output, HasSubstr("exists (an earlier recording?) and if_exists is refuse"));
    EXPECT_EQ(std::filesystem::file_size(pipeline.recording()), recorded_bytes) << "not a byte of it lost";
}

TEST(Run, AFailingConsumerIsReportedAndTheRestKeepRunning) {
    PipelineFile pipeline("fail", R"(pipeline: failing
plugin_path: )" PLH_TEST_PLUGIN_DIR R"(
channels:
  @: {slots: 16, slot_bytes: 64, sync: sync_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 2000}}
consumers:
  flaky: {plugin: fails-after, inputs: [@], config: {after: 50}}
  sink: {plugin: null, inputs: [@]}
)");
    const Outcome run = pylabhub({"run", pipeline.path(), "--duration", "1"});
    EXPECT_EQ(run.exit_code, 4) << run.output;
    EXPECT_THAT(run.output, HasSubstr("instance 'flaky'"));
    EXPECT_THAT(run.output, HasSubstr("consume returned PLH_ERR_IO: injected failure after 50 slots"));
    const std::uint64_t written = number_after(run.output, "gen +([0-9]+) ");
    EXPECT_GT(written, 1000U) << "the producer kept going after the failure";
    EXPECT_EQ(number_after(run.output, "sink\\.slots = ([0-9]+)"), written);
    EXPECT_THAT(run.output, ::testing::ContainsRegex("flaky +@?[^\\n]*FAILED"));
}

TEST(Run, TheStopLineCountsFailuresAndNamesTheComponentThatStoppedTheRun) {
    const std::string yaml = R"(pipeline: failing
plugin_path: )" PLH_TEST_PLUGIN_DIR R"(
ON_FAILURE
channels:
  @: {slots: 16, slot_bytes: 64, sync: sync_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 0, count: 300}}
consumers:
  flaky: {plugin: fails-after, inputs: [@], config: {after: 50}}
  sink: {plugin: null, inputs: [@]}
)";
    PipelineFile finishing("stopline", std::regex_replace(yaml, std::regex("ON_FAILURE"), "on_failure: continue"));
    const Outcome all_done = pylabhub({"run", finishing.path()});
    EXPECT_EQ(all_done.exit_code, 4) << all_done.output;
    EXPECT_THAT(all_done.output, HasSubstr("stopped: every component finished (1 failed)"));
    PipelineFile stopping("stopline2", std::regex_replace(yaml, std::regex("ON_FAILURE"), "on_failure: stop"));
    const Outcome stopped = pylabhub({"run", stopping.path()});
    EXPECT_EQ(stopped.exit_code, 4) << stopped.output;
    EXPECT_THAT(stopped.output, HasSubstr("stopped: 'flaky' failed (on_failure: stop)"));
}

/// The log line's time of day in seconds: "2026-11-30T11:28:48.350 ..." -> 40128.350.
double log_time_of(const std::string& output, const std::string& pattern) {
    std::smatch match;
    if (!std::regex_search(output, match, std::regex("T([0-9]{2}):([0-9]{2}):([0-9]{2}\\.[0-9]{3})[^\n]*" + pattern))) return -1;
    return std::stod(match[1]) * 3600 + std::stod(match[2]) * 60 + std::stod(match[3]);
}

TEST(Run, AFailingProducerIsReportedWhenItFailsNotWhenTheRunEnds) {
    PipelineFile pipeline("failprod", R"(pipeline: failing
plugin_path: )" PLH_TEST_PLUGIN_DIR R"(
channels:
  @: {slots: 16, slot_bytes: 64, sync: sync_reader}
  @.healthy: {slots: 16, slot_bytes: 64, sync: sync_reader}
producers:
  broken: {plugin: fails-after-producer, channel: @, config: {after: 100, rate_hz: 1000}}
  gen: {plugin: counter, channel: @.healthy, config: {rate_hz: 1000}}
consumers:
  sink: {plugin: null, inputs: [@.healthy]}
)");
    const Outcome run = pylabhub({"run", pipeline.path(), "--duration", "2.5"});
    EXPECT_EQ(run.exit_code, 4) << run.output;
    const double failed_at = log_time_of(run.output,
                                         "error +\\[pylabhub\\] broken failed: instance 'broken' \\(plugin "
                                         "'fails-after-producer' from [^)]+\\): fill returned PLH_ERR_IO: injected failure");
    const double stopped_at = log_time_of(run.output, "stopping \\(duration reached\\)");
    ASSERT_GT(failed_at, 0) << "an error line naming instance, plugin, file and message: " << run.output;
    ASSERT_GT(stopped_at, 0) << run.output;
    EXPECT_GT(stopped_at - failed_at, 1.5) << "reported when it failed, about 0.1 s in";
    EXPECT_TRUE(std::regex_search(run.output, std::regex("\\n" + pipeline.channel() + " +broken +100 [^\\n]*FAILED\\n")))
        << "the summary marks the producer: " << run.output;
    EXPECT_TRUE(std::regex_search(run.output, std::regex("\\n" + pipeline.channel() + "\\.healthy +gen +[0-9]+ [^\\n]* ok\\n")))
        << run.output;
}

TEST(Run, AProducerFailingInsideARunOfSlotsPublishesTheSamplesBeforeIt) {
    // Unpaced: the host fills runs of slots (here up to 8) with the samples
    // that are ready; the 102nd fill fails inside one (101 = 12 x 8 + 5).
    PipelineFile pipeline("failrun", R"(pipeline: failing-run
plugin_path: )" PLH_TEST_PLUGIN_DIR R"(
channels:
  @: {slots: 32, slot_bytes: 64, sync: sync_reader}
producers:
  broken: {plugin: fails-after-producer, channel: @, config: {after: 101, rate_hz: 0}}
consumers:
  sink: {plugin: null, inputs: [@]}
)");
    const Outcome run = pylabhub({"run", pipeline.path(), "--duration", "5"});
    EXPECT_EQ(run.exit_code, 4) << run.output;
    EXPECT_THAT(run.output, HasSubstr("fill returned PLH_ERR_IO: injected failure after 101 slots")) << run.output;
    EXPECT_TRUE(std::regex_search(run.output, std::regex("\\n" + pipeline.channel() + " +broken +101 [^\\n]*FAILED\\n")))
        << "the 101 samples before the failing one are published: " << run.output;
    EXPECT_TRUE(std::regex_search(run.output, std::regex("\\nsink +" + pipeline.channel() + " +101 "))) << "and read: " << run.output;
}

TEST(Run, ASecondHostConsumesAChannelTheFirstCreated) {
    PipelineFile first("creator", R"(pipeline: creator
channels:
  @: {slots: 64, slot_bytes: 64, sync: sync_reader, checksum: xxh3}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 2000}}
consumers:
  local: {plugin: null, inputs: [@]}
)",
                       "shared");
    PipelineFile second("reader", R"(pipeline: reader
channels:
  @: {external: true}
consumers:
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}
)",
                        "shared");
    // The creator embeds a broker (none runs on this test's default endpoint)
    // and registers its channel there; the reader finds it by name.
    auto creator = ChildProcess::spawn({pylabhub_exe(), "run", first.path(), "--duration", "4"});
    wait_for_segment(first.channel());
    std::this_thread::sleep_for(300ms);  // creating the segment comes just before registering it
    const Outcome reader = pylabhub({"run", second.path(), "--duration", "1"});
    EXPECT_EQ(reader.exit_code, 0) << reader.output;
    const std::uint64_t recorded = number_after(reader.output, "rec\\.records = ([0-9]+)");
    EXPECT_GT(recorded, 500U) << reader.output;
    const Outcome verify = pylabhub({"verify", second.recording()});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    EXPECT_THAT(verify.output, HasSubstr("pylabhub.counter")) << "the schema came from the creating host";
    const std::string creator_output = creator.read_all(20s);
    EXPECT_EQ(creator.wait(10s), 0) << creator_output;
}

TEST(Run, AnExternalChannelNobodyCreatedIsAClearError) {
    PipelineFile pipeline("none", "pipeline: orphan\nchannels:\n  @: {external: true}\nconsumers:\n  s: {plugin: stats, inputs: [@]}\n");
    const Outcome run = pylabhub({"run", pipeline.path(), "--duration", "1"});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_THAT(run.output, HasSubstr("is external, but the broker at ipc://"));
    EXPECT_THAT(run.output, HasSubstr("does not know it"));
    EXPECT_THAT(run.output, HasSubstr("start the pipeline that produces it first"));
}

TEST(Observe, EchoDecodesAndHzMeasuresALiveChannelWithoutSlowingIt) {
    PipelineFile pipeline("watch", R"(pipeline: watched
channels:
  @: {slots: 8, slot_bytes: 64, sync: single_reader}
producers:
  gen: {plugin: sine, channel: @, config: {channels: 2, rate_hz: 500}}
consumers:
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}
)");
    auto host = ChildProcess::spawn({pylabhub_exe(), "run", pipeline.path(), "--duration", "3"});
    wait_for_segment(pipeline.channel());
    std::this_thread::sleep_for(300ms);

    const Outcome echo = pylabhub({"echo", pipeline.channel(), "-n", "3"});
    EXPECT_EQ(echo.exit_code, 0) << echo.output;
    EXPECT_THAT(echo.output, HasSubstr("pylabhub.sine 1.0.0 {seq@0:u64;t_ns@8:u64;value@16:f32[2]}#24"));
    EXPECT_THAT(echo.output, ::testing::ContainsRegex("seq [0-9]+: seq=[0-9]+ t_ns=[0-9]+ value=\\[[-0-9.e]+, [-0-9.e]+\\]"));

    const Outcome hz = pylabhub({"hz", pipeline.channel(), "--duration", "1.5"});
    EXPECT_EQ(hz.exit_code, 0) << hz.output;
    EXPECT_THAT(hz.output, ::testing::ContainsRegex("average rate: [0-9.]+/s"));
    EXPECT_THAT(hz.output, HasSubstr("std dev:"));

    const Outcome unknown = pylabhub({"echo", "no-such-channel-here", "-n", "1"});  // while the host's broker runs
    EXPECT_EQ(unknown.exit_code, 1);
    EXPECT_THAT(unknown.output, HasSubstr("no channel 'no-such-channel-here' is registered"));

    const std::string output = host.read_all(20s);
    EXPECT_EQ(host.wait(10s), 0) << output;
    const std::uint64_t written = number_after(output, "gen +([0-9]+) ");
    EXPECT_EQ(number_after(output, "rec\\.records = ([0-9]+)"), written) << "the single_reader consumer kept every slot";
    EXPECT_EQ(number_after(output, "gen +[0-9]+ +[0-9.]+ +([0-9]+) "), 0U) << "no waits on a full ring";
}

/// A standalone broker for one test, on its own endpoint.
class StandaloneBroker {
public:
    StandaloneBroker()
        : endpoint_("ipc://" + (std::filesystem::temp_directory_path() / ("plh-broker-" + std::to_string(::getpid()) + ".ipc")).string()) {
        start();
    }
    void start() {
        process_.emplace(ChildProcess::spawn({pylabhub_exe(), "broker", "--bind", endpoint_}));
        for (int i = 0; i < 100; ++i) {
            if (pylabhub({"channels", "--broker", endpoint_}).exit_code == 0) return;
            std::this_thread::sleep_for(20ms);
        }
    }
    void kill() { process_.reset(); }  // SIGKILL: its registry is lost
    const std::string& endpoint() const { return endpoint_; }

private:
    std::string endpoint_;
    std::optional<ChildProcess> process_;
};

TEST(Broker, TwoPipelinesConnectedOnlyByChannelNameThroughAStandaloneBroker) {
    StandaloneBroker broker;
    PipelineFile producer("named-producer", "pipeline: producer\nbroker: " + broker.endpoint() + R"(
channels:
  @: {slots: 32, slot_bytes: 64, sync: sync_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 1000}}
)",
                          "named");
    PipelineFile consumer("named-consumer", "pipeline: consumer\nbroker: " + broker.endpoint() + R"(
channels:
  @: {external: true}
consumers:
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}
)",
                          "named");
    auto host = ChildProcess::spawn({pylabhub_exe(), "run", producer.path(), "--duration", "4"});
    for (int i = 0; i < 100 && pylabhub({"channels", "--broker", broker.endpoint()}).output.find(producer.channel()) == std::string::npos;
         ++i) {
        std::this_thread::sleep_for(20ms);
    }
    auto reader = ChildProcess::spawn({pylabhub_exe(), "run", consumer.path(), "--duration", "1.5"});
    std::this_thread::sleep_for(500ms);
    const Outcome listed = pylabhub({"channels", "--broker", broker.endpoint()});
    EXPECT_THAT(listed.output, ::testing::ContainsRegex(producer.channel() + " .*rec \\(pid [0-9]+\\)")) << listed.output;
    const std::string reader_output = reader.read_all(20s);
    EXPECT_EQ(reader.wait(10s), 0) << reader_output;
    EXPECT_GT(number_after(reader_output, "rec\\.records = ([0-9]+)"), 500U);
    EXPECT_EQ(pylabhub({"verify", consumer.recording()}).exit_code, 0);
    EXPECT_EQ(host.wait(20s), 0);
}

TEST(Broker, RestartedMidRunHostsReRegisterAndDataKeepsFlowing) {
    StandaloneBroker broker;
    PipelineFile pipeline("restart", "pipeline: steady\nbroker: " + broker.endpoint() + R"(
channels:
  @: {slots: 32, slot_bytes: 64, sync: sync_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 2000}}
consumers:
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}
)");
    auto host = ChildProcess::spawn({pylabhub_exe(), "run", pipeline.path(), "--duration", "6"});
    std::this_thread::sleep_for(1s);
    ASSERT_THAT(pylabhub({"channels", "--broker", broker.endpoint()}).output, HasSubstr(pipeline.channel()));
    broker.kill();
    std::this_thread::sleep_for(500ms);
    broker.start();  // empty registry
    bool back = false;
    for (int i = 0; i < 60 && !back; ++i) {  // heartbeats every 2 s re-register
        back = pylabhub({"channels", "--broker", broker.endpoint()}).output.find(pipeline.channel()) != std::string::npos;
        if (!back) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(back) << "the host registered its channel with the new broker";
    EXPECT_THAT(pylabhub({"channels", "--broker", broker.endpoint()}).output, HasSubstr("rec (pid")) << "and its consumer";
    const std::string output = host.read_all(30s);
    EXPECT_EQ(host.wait(10s), 0) << output;
    const std::uint64_t written = number_after(output, "gen +([0-9]+) ");
    EXPECT_EQ(number_after(output, "rec\\.records = ([0-9]+)"), written) << "data flowed through the DataBlock meanwhile";
    EXPECT_EQ(pylabhub({"verify", pipeline.recording()}).exit_code, 0);
}

TEST(Broker, AConsumerOnlyHostIsRegisteredAgainAfterABrokerRestart) {
    StandaloneBroker broker;
    PipelineFile producer("co-producer", "pipeline: producer\nbroker: " + broker.endpoint() + R"(
channels:
  @: {slots: 32, slot_bytes: 64, sync: sync_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 1000}}
)",
                          "co");
    PipelineFile consumer("co-consumer", "pipeline: consumer\nbroker: " + broker.endpoint() + R"(
channels:
  @: {external: true}
consumers:
  watcher: {plugin: null, inputs: [@]}
)",
                          "co");
    auto host = ChildProcess::spawn({pylabhub_exe(), "run", producer.path(), "--duration", "9"});
    for (int i = 0; i < 100 && pylabhub({"channels", "--broker", broker.endpoint()}).output.find(producer.channel()) == std::string::npos;
         ++i) {
        std::this_thread::sleep_for(20ms);
    }
    auto reader = ChildProcess::spawn({pylabhub_exe(), "run", consumer.path(), "--duration", "7"});
    std::this_thread::sleep_for(1s);
    ASSERT_THAT(pylabhub({"channels", "--broker", broker.endpoint()}).output, HasSubstr("watcher (pid"));
    broker.kill();
    std::this_thread::sleep_for(500ms);
    broker.start();  // empty registry
    bool back = false;
    for (int i = 0; i < 80 && !back; ++i) {  // the producer host re-registers, then the consumer-only host
        back = pylabhub({"channels", "--broker", broker.endpoint()}).output.find("watcher (pid") != std::string::npos;
        if (!back) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(back) << "the consumer-only host registered its consumer with the new broker";
    const std::string reader_output = reader.read_all(30s);
    EXPECT_EQ(reader.wait(10s), 0) << reader_output;
    host.read_all(30s);
    EXPECT_EQ(host.wait(10s), 0);
}

TEST(Run, ANamedBrokerThatDoesNotAnswerIsAClearError) {
    PipelineFile pipeline("nobroker",
                          "pipeline: x\nbroker: ipc:///tmp/plh-no-broker-here.ipc\nchannels:\n  @: {}\n"
                          "producers:\n  g: {plugin: sine, channel: @}\n");
    const Outcome run = pylabhub({"run", pipeline.path(), "--duration", "1"});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_THAT(run.output, HasSubstr("broker: no answer from ipc:///tmp/plh-no-broker-here.ipc"));
    EXPECT_FALSE(std::filesystem::exists("/dev/shm/plh." + pipeline.channel())) << "nothing half-started";
}

TEST(Admin, ValidateChecksASegmentWithItsChecksumPlugin) {
    PipelineFile pipeline("adminfl", R"(pipeline: x
plugin_path: )" PLH_TEST_PLUGIN_DIR R"(
channels:
  @: {slots: 16, slot_bytes: 64, sync: latest_only, checksum: fletcher32}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 500}}
)");
    auto host = ChildProcess::spawn({pylabhub_exe(), "run", pipeline.path(), "--duration", "3"});
    wait_for_segment(pipeline.channel());
    std::this_thread::sleep_for(300ms);
    const Outcome without = pylabhub({"admin", "validate", pipeline.channel()});
    EXPECT_EQ(without.exit_code, 1) << without.output;
    EXPECT_THAT(without.output, HasSubstr("belongs to a checksum plugin not found here (--plugin-path DIR)"));
    const Outcome with = pylabhub({"admin", "validate", pipeline.channel(), "--plugin-path", PLH_TEST_PLUGIN_DIR});
    EXPECT_EQ(with.exit_code, 0) << with.output;
    EXPECT_THAT(with.output, ::testing::ContainsRegex(" ([1-9][0-9]*) committed slots checked, 0 problems"));
    host.read_all(20s);
    EXPECT_EQ(host.wait(10s), 0);
}

}  // namespace
}  // namespace pylabhub::test
