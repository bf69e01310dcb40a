// Per-input read policies: one instrument, a lossless recorder and readers
// that take what they have time for, without ever holding the writer back.
#include <csignal>
#include <regex>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "host_harness.hpp"

namespace pylabhub::test {
namespace {

using ::testing::HasSubstr;

TEST(ReadPolicies, AStoppedLatestViewerNeverHoldsTheWriterAndResumesWithTheNewest) {
    PipelineFile writer("rp_writer", R"(pipeline: rp_writer
channels:
  @: {slots: 64, slot_bytes: 64, sync: single_reader, checksum: xxh3}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 2000}}
consumers:
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}
)",
                        "rp");
    PipelineFile viewer("rp_viewer", R"(pipeline: rp_viewer
channels:
  @: {external: true}
consumers:
  view: {plugin: stats, inputs: [{channel: @, read: latest}]}
)",
                        "rp");
    auto host = ChildProcess::spawn({pylabhub_exe(), "run", writer.path(), "--duration", "6"});
    wait_for_segment(writer.channel());
    std::this_thread::sleep_for(300ms);
    // A second reader of a single_reader channel: only a policy reader may be.
    auto view = ChildProcess::spawn({pylabhub_exe(), "run", viewer.path(), "--duration", "5"});
    std::this_thread::sleep_for(1s);
    view.signal(SIGSTOP);
    std::this_thread::sleep_for(3s);
    view.signal(SIGCONT);
    const std::string viewed = view.read_all(30s);
    EXPECT_EQ(view.wait(10s).value_or(-1), 0) << viewed;
    const std::string written = host.read_all(30s);
    EXPECT_EQ(host.wait(10s).value_or(-1), 0) << written;
    // The writer went on at its rate while the viewer was stopped: a
    // waited-for viewer would have cut the 6 s to about 3 s of slots.
    const std::uint64_t records = number_after(written, "rec\\.records = ([0-9]+)");
    EXPECT_GT(records, 8000U) << written;
    EXPECT_EQ(number_after(written, "gen +[0-9]+ +[0-9.]+ +([0-9]+) "), 0U) << "no full-ring waits: " << written;
    const Outcome verify = pylabhub({"verify", writer.recording()});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    EXPECT_THAT(verify.output, HasSubstr("gaps      0 "));
    // It skipped what came while it was stopped, and read on afterwards.
    EXPECT_GT(number_after(viewed, "view +[a-z._0-9]+ \\(read: latest\\) +[0-9]+ +[0-9.]+ +([0-9]+) "), 1000U) << viewed;
    EXPECT_GT(number_after(viewed, "view\\.slots = ([0-9]+)"), 1000U) << viewed;
}

TEST(ReadPolicies, DecimateReadsEveryNthSequenceAndMaxRateBoundsTheRate) {
    PipelineFile file("rp_decimate", R"(pipeline: rp_decimate
channels:
  @: {slots: 256, slot_bytes: 64, sync: sync_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 1000}}
consumers:
  thumbs: {plugin: recorder, inputs: [{channel: @, read: decimate, config: {every: 10}}], config: {path: RECORDING}}
  slow: {plugin: null, inputs: [{channel: @, read: max_rate, config: {rate_hz: 50}}]}
)",
                      "rpd");
    const Outcome run = pylabhub({"run", file.path(), "--duration", "2"});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    const auto sequences = recorded_sequences(file.recording());
    ASSERT_GT(sequences.size(), 100U);
    for (std::size_t i = 0; i < sequences.size(); ++i) EXPECT_EQ(sequences[i], 10 * i) << "record " << i;
    const Outcome verify = pylabhub({"verify", file.recording()});
    EXPECT_EQ(verify.exit_code, 0) << "gaps are expected of a read policy: " << verify.output;
    EXPECT_THAT(verify.output, HasSubstr("expected: recorded by a read policy"));
    // At most 50 a second by the reader's clock, over 2 s (and the first).
    const std::uint64_t slow = number_after(run.output, "slow\\.slots = ([0-9]+)");
    EXPECT_LE(slow, 101U) << run.output;
    EXPECT_GE(slow, 20U) << run.output;
}

TEST(ReadPolicies, APolicyWrittenInCIsNamedInAPipeline) {
    PipelineFile file("rp_c", R"(pipeline: rp_c
plugin_path: )" PLH_TEST_PLUGIN_DIR R"(
channels:
  @: {slots: 256, slot_bytes: 64, sync: single_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 1000}}
consumers:
  rec: {plugin: recorder, inputs: [{channel: @, read: every-third}], config: {path: RECORDING}}
)",
                      "rpc");
    const Outcome run = pylabhub({"run", file.path(), "--duration", "1"});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    const auto sequences = recorded_sequences(file.recording());
    ASSERT_GT(sequences.size(), 50U);
    for (std::size_t i = 0; i < sequences.size(); ++i) EXPECT_EQ(sequences[i], 3 * i) << "record " << i;
}

TEST(ReadPolicies, APolicyChoosingAnUncommittedSlotIsRefusedAndNamed) {
    PipelineFile file("rp_ahead", R"(pipeline: rp_ahead
plugin_path: )" PLH_TEST_PLUGIN_DIR R"(
channels:
  @: {slots: 64, slot_bytes: 64, sync: single_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 1000}}
consumers:
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}
  bad: {plugin: null, inputs: [{channel: @, read: reads-ahead}]}
)",
                      "rpa");
    const Outcome run = pylabhub({"run", file.path(), "--duration", "1"});
    EXPECT_EQ(run.exit_code, 4) << "a component failed: " << run.output;
    EXPECT_TRUE(std::regex_search(run.output,
                                  std::regex("'reads-ahead' from [^)]+\\): chose slot [0-9]+, outside the slots it may "
                                             "read .*refused, never read")))
        << run.output;
    const Outcome verify = pylabhub({"verify", file.recording()});
    EXPECT_EQ(verify.exit_code, 0) << "the rest of the pipeline ran on: " << verify.output;
}

TEST(ReadPolicies, RefusedCombinationsArePointedAt) {
    PipelineFile file("rp_bad", R"(pipeline: rp_bad
channels:
  @: {slots: 64, slot_bytes: 64, sync: latest_only}
producers:
  gen: {plugin: counter, channel: @}
consumers:
  a: {plugin: null, inputs: [{channel: @, read: lossless}]}
  b: {plugin: null, inputs: [{channel: @, read: decimate, config: {every: 0}}]}
  c: {plugin: null, inputs: [{channel: @, read: lates}]}
  d: {plugin: null, inputs: [{channel: @, config: {every: 2}}]}
)",
                      "rpb");
    const Outcome out = pylabhub({"validate", file.path()});
    EXPECT_EQ(out.exit_code, 1) << out.output;
    EXPECT_THAT(out.output, ::testing::ContainsRegex(":7:[0-9]+: read: lossless on channel"));
    EXPECT_THAT(out.output, HasSubstr("(sync: latest_only)"));
    EXPECT_THAT(out.output, HasSubstr(":8:"));
    EXPECT_THAT(out.output, HasSubstr("(read policy decimate): config 'every': 0 is out of range 1 .. 1e+09"));
    EXPECT_THAT(out.output, HasSubstr("read: 'lates' is not a read policy (known: lossless"));
    EXPECT_THAT(out.output, HasSubstr("did you mean 'latest'?"));
    EXPECT_THAT(out.output, HasSubstr("inputs: 'config:' belongs to a read policy; add 'read: POLICY'"));
}

}  // namespace
}  // namespace pylabhub::test
