// What every benchmark case shares: timing, statistics, child processes,
// and the result table. Benchmarks measure; they never assert (CI does not
// time anything): make bench prints the figures and the ratios.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pylabhub::bench {

inline constexpr int kRepetitions = 3;

struct Percentiles {
    double p50 = 0;
    double p95 = 0;
    double p99 = 0;
};

Percentiles percentiles(std::vector<double> samples);
double median(std::vector<double> values);

/// One figure of the run: e.g. {"latency", "datablock", 64, "p50", 120.0, "ns"}.
struct Result {
    std::string group;
    std::string system;
    std::uint64_t bytes = 0;
    std::string metric;
    double value = 0;
    std::string unit;
};

class Results {
public:
    void add(Result result) { results_.push_back(std::move(result)); }
    /// The value of a figure, or NaN when it was not measured.
    double get(const std::string& group, const std::string& system, std::uint64_t bytes, const std::string& metric) const;
    const std::vector<Result>& all() const { return results_; }

private:
    std::vector<Result> results_;
};

/// Runs `body` in a forked child (which exits when it returns) with a
/// 120 s alarm, so no benchmark child can outlive a run.
int fork_child(const std::function<void()>& body);
/// Waits for a child; false if it failed.
bool wait_child(int pid);

/// A pipe to pass a few bytes between a parent and a child.
struct Pipe {
    Pipe();
    ~Pipe();
    void write_all(const void* data, std::size_t bytes) const;
    void read_all(void* data, std::size_t bytes) const;
    int read_fd = -1;
    int write_fd = -1;
};

std::string human_bytes(std::uint64_t bytes);

/// How a paced producer waits for its next due time: asleep on a timer, as
/// an instrument's producer does, or spinning on the clock, which keeps one
/// core busy (half of a 2-core machine) and so takes it from the readers.
enum class Pacing { sleep, spin };
void pace_until(std::uint64_t due_ns, Pacing pacing);

/// ZeroMQ baselines on any endpoint (ipc://, tcp://): one-way latencies
/// (half a REQ/REP round trip), and PUSH/PULL slots per second.
std::vector<double> zmq_req_rep(const std::string& endpoint, std::uint64_t bytes, int iterations);
double zmq_push_pull(const std::string& endpoint, std::uint64_t bytes, std::uint64_t count);

// The cases, one file each group.
void run_datablock_cases(Results& results);
void run_baseline_cases(Results& results);
void run_host_cases(Results& results);
void run_transport_cases(Results& results);
void run_nats_cases(Results& results);
void run_python_cases(Results& results);
void run_scaling_cases(Results& results);
void run_iceoryx_cases(Results& results);  // only with PLH_HAVE_ICEORYX

}  // namespace pylabhub::bench
