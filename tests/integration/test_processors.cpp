// Processors between instrument and consumers: downsample's means checked
// against the raw recording, select's schema against the declared subset.
#include <cmath>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "host_harness.hpp"
#include "pylabhub/crypto/crypto.hpp"

namespace pylabhub::test {
namespace {

using ::testing::HasSubstr;

/// `pylabhub dump --csv` as rows of numbers; the columns after sequence,
/// commit_ns and time_utc are the payload's fields.
std::vector<std::vector<double>> csv_fields(const std::string& recording) {
    const Outcome dump = pylabhub({"dump", recording, "--csv"});
    std::vector<std::vector<double>> rows;
    std::istringstream lines(dump.output);
    std::string line;
    std::getline(lines, line);
    while (std::getline(lines, line)) {
        std::istringstream cells(line);
        std::string cell;
        std::vector<double> row;
        for (int column = 0; std::getline(cells, cell, ','); ++column) {
            if (column >= 3) row.push_back(std::stod(cell));
        }
        if (!row.empty()) rows.push_back(std::move(row));
    }
    return rows;
}

TEST(Processors, DownsampleEmitsTheMeanOfEachWindowAndTheChainVerifies) {
    const std::string raw_path = "/tmp/plh_test_ds_raw_" + std::to_string(::getpid()) + ".plhrec";
    PipelineFile file("proc_ds",
                      R"(pipeline: proc_ds
channels:
  @: {slots: 256, slot_bytes: 256, sync: sync_reader, checksum: xxh3}
  @_10: {slots: 64, slot_bytes: 256, sync: single_reader, checksum: blake2b}
producers:
  sine: {plugin: sine, channel: @, config: {channels: 4, rate_hz: 2000, frequency_hz: 3}}
processors:
  down: {plugin: downsample, inputs: [@], channel: @_10, config: {factor: 20}}
consumers:
  rec: {plugin: recorder, inputs: [@_10], config: {path: RECORDING}}
  raw: {plugin: recorder, inputs: [@], config: {path: )" +
                          raw_path + R"(}}
)",
                      "pds");
    const Outcome run = pylabhub({"run", file.path(), "--duration", "1.5"});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, ::testing::ContainsRegex("down \\(processor\\) +[1-9][0-9]*"));
    const Outcome verify = pylabhub({"verify", file.recording()});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    const auto means = csv_fields(file.recording());
    const auto raw = csv_fields(raw_path);
    std::filesystem::remove(raw_path);
    ASSERT_GT(means.size(), 50U);
    ASSERT_GE(raw.size(), means.size() * 20);
    // Fields: seq (u64), t_ns (u64), value[0..3] (f32): every one averaged.
    for (std::size_t w = 0; w < means.size(); ++w) {
        for (std::size_t field = 0; field < means[w].size(); ++field) {
            double sum = 0;
            for (std::size_t i = 0; i < 20; ++i) sum += raw[w * 20 + i][field];
            const double expected = sum / 20;
            const double tolerance = field < 2 ? 0.5001 : 1e-6 + 1e-6 * std::fabs(expected);  // integers round; f32 digits
            EXPECT_NEAR(means[w][field], expected, tolerance) << "window " << w << " field " << field;
        }
    }
}

TEST(Processors, SelectDeclaresTheSubSchemaItWrites) {
    PipelineFile file("proc_sel", R"(pipeline: proc_sel
channels:
  @: {slots: 64, slot_bytes: 256, sync: sync_reader}
  @_t: {slots: 64, slot_bytes: 64, sync: single_reader}
producers:
  sine: {plugin: sine, channel: @, config: {channels: 4, rate_hz: 1000}}
processors:
  pick: {plugin: select, inputs: [@], channel: @_t, config: {fields: [value, seq]}}
consumers:
  rec: {plugin: recorder, inputs: [@_t], config: {path: RECORDING}}
)",
                      "psel");
    const Outcome run = pylabhub({"run", file.path(), "--duration", "1"});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    const Outcome verify = pylabhub({"verify", file.recording()});
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    const std::string expected_blds = "{value@0:f32[4];seq@16:u64}#24";
    EXPECT_THAT(verify.output, HasSubstr(expected_blds)) << verify.output;
    // The recording's header carries the schema as the channel declared it.
    std::ifstream in(file.recording(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_THAT(bytes, HasSubstr("\"hash\":\"" + crypto::to_hex(crypto::blake2b_256(expected_blds)) + "\""));
    const auto rows = csv_fields(file.recording());
    ASSERT_GT(rows.size(), 100U);
    for (std::size_t i = 1; i < rows.size(); ++i) EXPECT_EQ(rows[i][4], rows[i - 1][4] + 1) << "seq travels in order";
}

TEST(Processors, WiringMistakesArePointedAt) {
    PipelineFile file("proc_bad", R"(pipeline: proc_bad
channels:
  @: {slots: 64, slot_bytes: 256}
  b: {slots: 64, slot_bytes: 256}
  c: {slots: 64, slot_bytes: 256}
producers:
  sine: {plugin: sine, channel: @}
processors:
  twice: {plugin: downsample, inputs: [@], channel: @}
  p1: {plugin: downsample, inputs: [c], channel: b}
  p2: {plugin: downsample, inputs: [b], channel: c}
  wrong: {plugin: stats, inputs: [@], channel: b}
consumers:
  rec: {plugin: null, inputs: [b]}
)",
                      "pbad");
    const Outcome out = pylabhub({"validate", file.path()});
    EXPECT_EQ(out.exit_code, 1) << out.output;
    EXPECT_THAT(out.output, ::testing::ContainsRegex(":9:[0-9]+: channel '" + file.channel() + "' already has writer 'sine'"));
    EXPECT_THAT(out.output, HasSubstr("processors 'p1', 'p2' read each other's channels in a cycle"));
    EXPECT_THAT(out.output, HasSubstr("plugin 'stats' is a consumer plugin, not a processor"));
}

}  // namespace
}  // namespace pylabhub::test
