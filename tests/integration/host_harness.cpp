#include "host_harness.hpp"

#include "pylabhub/recording/reader.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "child_process.hpp"

namespace pylabhub::test {
namespace {

/// Each test process gets its own runtime directory, so the hosts it starts
/// share one default broker endpoint, and parallel tests never share one.
class IsolatedRuntimeDirectory : public ::testing::Environment {
public:
    void SetUp() override {
        directory_ = std::filesystem::temp_directory_path() / ("plh-runtime-" + std::to_string(::getpid()));
        std::filesystem::create_directories(directory_);
        ::setenv("XDG_RUNTIME_DIR", directory_.c_str(), 1);
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }

private:
    std::filesystem::path directory_;
};
[[maybe_unused]] auto* const kRuntimeDirectory = ::testing::AddGlobalTestEnvironment(new IsolatedRuntimeDirectory);

}  // namespace

const std::string& pylabhub_exe() {
    static const std::string exe = PLH_PYLABHUB_EXE;
    return exe;
}

Outcome run_program(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
    auto child = ChildProcess::spawn(argv);
    Outcome outcome;
    outcome.output = child.read_all(timeout);
    outcome.exit_code = child.wait(5s).value_or(-1);
    return outcome;
}

Outcome pylabhub(std::vector<std::string> arguments, std::chrono::seconds timeout) {
    arguments.insert(arguments.begin(), pylabhub_exe());
    return run_program(arguments, timeout);
}

PipelineFile::PipelineFile(const std::string& tag, std::string yaml, const std::string& channel_tag) {
    const std::string prefix = "test." + std::to_string(::getpid()) + ".";
    channel_ = prefix + (channel_tag.empty() ? tag : channel_tag);
    yaml = std::regex_replace(yaml, std::regex("@"), channel_);
    path_ = std::filesystem::temp_directory_path() / ("plh-" + prefix + tag + ".yaml");
    recording_ = std::filesystem::temp_directory_path() / ("plh-" + prefix + tag + ".plhrec");
    yaml = std::regex_replace(yaml, std::regex("RECORDING"), recording_.string());
    std::filesystem::remove(recording_);  // left by an earlier, killed run of this test
    std::ofstream(path_) << yaml;
}

PipelineFile::~PipelineFile() {
    std::filesystem::remove(path_);
    std::filesystem::remove(recording_);
}

std::uint64_t number_after(const std::string& text, const std::string& pattern) {
    std::smatch match;
    if (!std::regex_search(text, match, std::regex(pattern))) return UINT64_MAX;
    return std::stoull(match[1]);
}

void wait_for_segment(const std::string& channel) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline && !std::filesystem::exists("/dev/shm/plh." + channel)) {
        std::this_thread::sleep_for(10ms);
    }
}

void wait_for_recording(const std::string& file, std::uintmax_t bytes) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline && (!std::filesystem::exists(file) || std::filesystem::file_size(file) < bytes)) {
        std::this_thread::sleep_for(10ms);
    }
}

std::vector<std::uint64_t> recorded_sequences(const std::string& recording) {
    const Outcome dump = pylabhub({"dump", recording, "--csv"});
    std::vector<std::uint64_t> sequences;
    std::istringstream lines(dump.output);
    std::string line;
    std::getline(lines, line);  // header
    while (std::getline(lines, line)) {
        if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0]))) sequences.push_back(std::stoull(line));
    }
    return sequences;
}

std::string check_counter_recording(const std::string& recording, std::uint64_t bytes, std::size_t count, std::size_t stride) {
    std::string error;
    auto reader = recording::Reader::open(recording, error);
    if (!reader) return error;
    recording::Record record;
    std::size_t records = 0;
    auto expected = [](std::uint64_t seq, std::size_t i) { return static_cast<std::uint8_t>(seq + (i - 16) * 7); };
    while (reader->next(record, error) == recording::ReadStatus::record) {
        const std::string where = "record " + std::to_string(records) + " (sequence " + std::to_string(record.header.sequence) + ")";
        if (record.header.payload_bytes != bytes) return where + " holds " + std::to_string(record.header.payload_bytes) + " bytes";
        std::uint64_t seq = 0;
        std::memcpy(&seq, record.payload.data(), sizeof seq);
        if (seq != record.header.sequence) return where + " carries the counter's sequence " + std::to_string(seq);
        for (std::size_t i = 16; i < bytes;
             i = i + stride < bytes - 8 ? i + stride : std::max(i + 1, static_cast<std::size_t>(bytes - 8))) {
            if (static_cast<std::uint8_t>(record.payload[i]) != expected(seq, i))
                return where + ": byte " + std::to_string(i) + " is wrong";
        }
        ++records;
    }
    if (records != count) return std::to_string(records) + " records, not " + std::to_string(count);
    return {};
}

std::uint16_t free_tcp_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;  // the kernel picks a free one
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        if (fd >= 0) ::close(fd);
        ADD_FAILURE() << "no free TCP port on 127.0.0.1";
        return 0;
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

}  // namespace pylabhub::test
