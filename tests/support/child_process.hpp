// A worker process started with fork/exec, bounded in time, never leaked.
//
// The child's stdout is a pipe the test reads line by line, so a test waits
// for "locked" instead of sleeping. The destructor SIGKILLs and reaps a
// child that is still running, so a failing assertion leaves no process.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace pylabhub::test {

class ChildProcess {
public:
    /// Runs the test worker (tests/support/worker_main.cpp) with `args`.
    static ChildProcess spawn_worker(const std::vector<std::string>& args);
    /// Runs any program (argv[0] is its path); stdout and stderr both go to
    /// the pipe that read_line/read_all read.
    static ChildProcess spawn(const std::vector<std::string>& argv);

    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&&) = delete;
    ChildProcess(const ChildProcess&) = delete;
    ~ChildProcess();

    pid_t pid() const { return pid_; }

    /// Next line of the child's stdout, or nullopt on timeout or EOF.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);

    /// Everything the child writes until it closes its output (or `timeout`).
    std::string read_all(std::chrono::milliseconds timeout);

    /// Waits for the child to exit; its exit code, or 128+signal, or nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);

    /// Sends `signal` without reaping: a SIGKILLed child stays a zombie until wait().
    void signal(int signal);

    /// SIGKILL and reap; returns when the process is gone.
    void kill_and_reap();

private:
    ChildProcess(pid_t pid, int stdout_fd) : pid_(pid), stdout_fd_(stdout_fd) {}
    static ChildProcess start(const std::vector<std::string>& argv, bool merge_stderr);

    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    bool reaped_ = false;
    std::string buffer_;
};

}  // namespace pylabhub::test
