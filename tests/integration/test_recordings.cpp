// Recordings as an operator checks them: `verify` finds corruption,
// truncation and impossible lengths, `dump` round-trips the values, and two
// recorders never share a file.
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "host_harness.hpp"

namespace pylabhub::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Verify, DetectsCorruptionAndTruncation) {
    PipelineFile pipeline("verify", R"(pipeline: v
channels:
  @: {slots: 16, slot_bytes: 64, sync: single_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 0, count: 200}}
consumers:
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}
)");
    const Outcome run = pylabhub({"run", pipeline.path()});
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("stopped: every component finished")) << "count: 200 ends the stream";
    ASSERT_EQ(pylabhub({"verify", pipeline.recording()}).exit_code, 0);

    const auto size = std::filesystem::file_size(pipeline.recording());
    char original = 0;
    {
        std::fstream file(pipeline.recording(), std::ios::in | std::ios::out | std::ios::binary);
        file.seekg(static_cast<std::streamoff>(size - 30));
        file.get(original);
        file.seekp(static_cast<std::streamoff>(size - 30));
        file.put(static_cast<char>(original ^ 0x55));
    }
    const Outcome corrupt = pylabhub({"verify", pipeline.recording()});
    EXPECT_EQ(corrupt.exit_code, 1);
    EXPECT_THAT(corrupt.output, HasSubstr("record with sequence 199"));
    EXPECT_THAT(corrupt.output, HasSubstr("fails its checksum"));

    const Outcome no_repair = pylabhub({"verify", "--repair", pipeline.recording()});
    EXPECT_EQ(no_repair.exit_code, 1) << "--repair never touches a corrupt record";
    {
        std::fstream file(pipeline.recording(), std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(static_cast<std::streamoff>(size - 30));
        file.put(original);
    }

    // A crash: only the tail is torn. Its own exit code, and --repair cuts it.
    std::filesystem::resize_file(pipeline.recording(), size - 10);
    const Outcome torn = pylabhub({"verify", pipeline.recording()});
    EXPECT_EQ(torn.exit_code, 5) << torn.output;
    EXPECT_THAT(torn.output, HasSubstr("is cut off"));
    EXPECT_THAT(torn.output, HasSubstr("the 199 records before it are intact"));
    EXPECT_THAT(torn.output, HasSubstr("TORN: a crash cut the last record short"));
    const Outcome repaired = pylabhub({"verify", "--repair", pipeline.recording()});
    EXPECT_EQ(repaired.exit_code, 0) << repaired.output;
    EXPECT_THAT(repaired.output, HasSubstr("repaired: removed the torn last record"));
    const Outcome clean = pylabhub({"verify", pipeline.recording()});
    EXPECT_EQ(clean.exit_code, 0) << clean.output;
    EXPECT_THAT(clean.output, HasSubstr("records   199 "));
}

TEST(Recorder, TwoRecordersOfOnePathAreRefusedAndAppendedRunsVerify) {
    PipelineFile pipeline("tworec", R"(pipeline: r
channels:
  @: {slots: 16, slot_bytes: 64, sync: sync_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 1000}}
consumers:
  a: {plugin: recorder, inputs: [@], config: {path: RECORDING, if_exists: append}}
)");
    PipelineFile other("tworec-other",
                       "pipeline: r2\nchannels:\n  @: {}\nproducers:\n  gen: {plugin: counter, channel: @}\n"
                       "consumers:\n  b: {plugin: recorder, inputs: [@], config: {path: " +
                           pipeline.recording() + ", if_exists: append}}\n");
    // In one pipeline, validate refuses it (Corpus 29); across hosts the file lock does.
    auto first = ChildProcess::spawn({pylabhub_exe(), "run", pipeline.path(), "--duration", "2"});
    wait_for_recording(pipeline.recording(), 1000);
    const Outcome both = pylabhub({"run", other.path(), "--duration", "1"});
    EXPECT_EQ(first.wait(20s), 0);
    std::filesystem::remove(pipeline.recording());
    EXPECT_EQ(both.exit_code, 1) << both.output;
    EXPECT_THAT(both.output, HasSubstr("is being written by another recorder"));

    PipelineFile single("onerec",
                        "pipeline: r\nchannels:\n  @: {slots: 16, slot_bytes: 64, sync: sync_reader}\nproducers:\n"
                        "  gen: {plugin: counter, channel: @, config: {rate_hz: 0, count: 100}}\nconsumers:\n"
                        "  a: {plugin: recorder, inputs: [@], config: {path: " +
                            pipeline.recording() + ", if_exists: append}}\n",
                        "tworec");
    for (int run = 0; run < 2; ++run) ASSERT_EQ(pylabhub({"run", single.path()}).exit_code, 0);
    const Outcome verify = pylabhub({"verify", pipeline.recording()});
    EXPECT_EQ(verify.exit_code, 0) << "each run's sequence starts anew after its start marker: " << verify.output;
    EXPECT_THAT(verify.output, HasSubstr("records   200 "));
    EXPECT_THAT(verify.output, HasSubstr("in 2 runs"));
}

TEST(Verify, TheFileHeaderIsCoveredByItsChecksum) {
    PipelineFile pipeline("verifyhdr", R"(pipeline: v
channels:
  @: {slots: 16, slot_bytes: 64, sync: single_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 0, count: 5}}
consumers:
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}
)");
    ASSERT_EQ(pylabhub({"run", pipeline.path()}).exit_code, 0);
    ASSERT_EQ(pylabhub({"verify", pipeline.recording()}).exit_code, 0);
    for (const std::streamoff offset : {16, 40}) {  // created_unix_ns, a reserved byte
        std::fstream file(pipeline.recording(), std::ios::in | std::ios::out | std::ios::binary);
        char byte = 0;
        file.seekg(offset);
        file.get(byte);
        file.seekp(offset);
        file.put(static_cast<char>(byte ^ 0x01));
        file.close();
        const Outcome verify = pylabhub({"verify", pipeline.recording()});
        EXPECT_EQ(verify.exit_code, 1) << "offset " << offset << ": " << verify.output;
        EXPECT_THAT(verify.output, HasSubstr("the file header is corrupt"));
        file.open(pipeline.recording(), std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(offset);
        file.put(byte);
    }
    EXPECT_EQ(pylabhub({"verify", pipeline.recording()}).exit_code, 0);
}

TEST(Verify, AnImpossibleLengthFieldIsCorruptionNotAnAllocation) {
    PipelineFile pipeline("verifylen", R"(pipeline: v
channels:
  @: {slots: 16, slot_bytes: 64, sync: single_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 0, count: 20}}
consumers:
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}
)");
    ASSERT_EQ(pylabhub({"run", pipeline.path()}).exit_code, 0);
    const auto size = std::filesystem::file_size(pipeline.recording());
    {
        // The last record (32-byte header + 64-byte payload): its length field says 4 GiB - 1.
        std::fstream file(pipeline.recording(), std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(static_cast<std::streamoff>(size - 96 + 4));
        const std::uint32_t huge = 0xFFFFFFFF;
        file.write(reinterpret_cast<const char*>(&huge), sizeof huge);
    }
    const Outcome verify = pylabhub({"verify", pipeline.recording()});
    EXPECT_EQ(verify.exit_code, 1) << verify.output;
    EXPECT_THAT(verify.output, HasSubstr("more than a slot holds"));
    EXPECT_THAT(verify.output, HasSubstr("records   19 "));
}

TEST(Dump, CsvRoundTripsTheCounterValuesWithUtcTimes) {
    PipelineFile pipeline("dump", R"(pipeline: d
channels:
  @: {slots: 16, slot_bytes: 64, sync: single_reader}
producers:
  gen: {plugin: counter, channel: @, config: {rate_hz: 1000, count: 50}}
consumers:
  rec: {plugin: recorder, inputs: [@], config: {path: RECORDING}}
)");
    const auto before = std::chrono::system_clock::now();
    ASSERT_EQ(pylabhub({"run", pipeline.path()}).exit_code, 0);
    const auto after = std::chrono::system_clock::now();
    const Outcome csv = pylabhub({"dump", "--csv", pipeline.recording()});
    ASSERT_EQ(csv.exit_code, 0) << csv.output;
    std::istringstream lines(csv.output);
    std::string line;
    std::getline(lines, line);
    EXPECT_EQ(line.rfind("sequence,commit_ns,time_utc,seq,counter,pattern[0],", 0), 0U) << line;
    std::uint64_t rows = 0;
    while (std::getline(lines, line)) {
        std::vector<std::string> cells;
        std::stringstream split(line);
        for (std::string cell; std::getline(split, cell, ',');) cells.push_back(cell);
        ASSERT_GE(cells.size(), 5U) << line;
        EXPECT_EQ(cells[0], std::to_string(rows)) << "sequence";
        EXPECT_EQ(cells[3], std::to_string(rows)) << "the counter's seq field, decoded";
        EXPECT_EQ(cells[4], std::to_string(rows * 3 + 1)) << "its counter field (3 seq + 1)";
        // The UTC time of each record lies within the run's wall-clock window.
        std::tm parts{};
        ASSERT_NE(::strptime(cells[2].c_str(), "%Y-%m-%dT%H:%M:%S", &parts), nullptr) << cells[2];
        const auto at = std::chrono::system_clock::from_time_t(::timegm(&parts));
        EXPECT_GE(at, std::chrono::time_point_cast<std::chrono::seconds>(before) - 1s) << cells[2];
        EXPECT_LE(at, after + 1s) << cells[2];
        ++rows;
    }
    EXPECT_EQ(rows, 50U);
    const Outcome tail = pylabhub({"dump", "--json", "--tail", "2", pipeline.recording()});
    EXPECT_THAT(tail.output, HasSubstr("\"sequence\":48"));
    EXPECT_THAT(tail.output, HasSubstr("\"sequence\":49"));
    EXPECT_THAT(tail.output, Not(HasSubstr("\"sequence\":47")));
    const Outcome head = pylabhub({"dump", "--head", "1", pipeline.recording()});
    EXPECT_THAT(head.output, HasSubstr("#0 20"));
    EXPECT_THAT(head.output, HasSubstr(" seq=0 counter="));
}

}  // namespace
}  // namespace pylabhub::test
