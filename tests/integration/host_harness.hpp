// What the host's end-to-end tests share: the real `pylabhub` executable
// run as a child, pipeline files with channel names unique to the test
// process, and waits for data to flow.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pylabhub::test {

using namespace std::chrono_literals;

struct Outcome {
    int exit_code = -1;
    std::string output;  ///< stdout and stderr together
};

/// Runs `pylabhub ARGUMENTS...` to its end (killed after `timeout`).
Outcome pylabhub(std::vector<std::string> arguments, std::chrono::seconds timeout = 60s);

/// Runs any program (argv[0] is its path) to its end, e.g. pylabhub under
/// env, prlimit or setpriv.
Outcome run_program(const std::vector<std::string>& argv, std::chrono::seconds timeout = 60s);

/// The path of the `pylabhub` executable under test.
const std::string& pylabhub_exe();

/// A pipeline file written for one test, with channel names unique to this
/// process (channels are machine-wide) and removed afterwards.
class PipelineFile {
public:
    /// '@' in `yaml` stands for this process's channel named `channel_tag`
    /// (default `tag`); RECORDING for a recording path of this test.
    PipelineFile(const std::string& tag, std::string yaml, const std::string& channel_tag = "");
    ~PipelineFile();
    PipelineFile(const PipelineFile&) = delete;
    PipelineFile& operator=(const PipelineFile&) = delete;

    std::string path() const { return path_.string(); }
    std::string recording() const { return recording_.string(); }
    /// The unique channel name '@' stood for.
    const std::string& channel() const { return channel_; }

private:
    std::filesystem::path path_;
    std::filesystem::path recording_;
    std::string channel_;
};

/// The number captured by the first group of `pattern` in `text`, or UINT64_MAX.
std::uint64_t number_after(const std::string& text, const std::string& pattern);

/// Waits (at most 10 s) until the host has created the channel's segment.
void wait_for_segment(const std::string& channel);

/// Waits (at most 10 s) until a recording holds at least `bytes`: data flows.
void wait_for_recording(const std::string& file, std::uintmax_t bytes);

/// The sequence ids in a recording, in order (`pylabhub dump --csv`).
std::vector<std::uint64_t> recorded_sequences(const std::string& recording);

/// Checks a recording of the `counter` producer with `bytes`-byte payloads:
/// `count` records, each with its sequence id in its first 8 bytes and the
/// counter's pattern, sampled every `stride` bytes and in the last 8 (so
/// every frame or part boundary of a transport is crossed). "" when right,
/// else the first thing wrong.
std::string check_counter_recording(const std::string& recording, std::uint64_t bytes, std::size_t count, std::size_t stride);

/// A TCP port on 127.0.0.1 that nobody listens on right now.
std::uint16_t free_tcp_port();

}  // namespace pylabhub::test
