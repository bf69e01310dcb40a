// A running pipeline as /metrics, /healthz and /api/status see it: a copy
// of its counters taken in one go (the data path is never touched: the
// DataBlock headers' counters and the runner's own).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/run_summary.hpp"

namespace pylabhub::host {

struct ChannelStatus {
    std::string name;
    std::string writer;  ///< the component that writes it ("" for an external channel)
    std::string sync, checksum;
    std::uint64_t slot_bytes = 0;
    std::uint32_t slot_count = 0;
    std::string schema_name, schema_version, schema_hash;
    datablock::DataBlockMetrics metrics;  ///< from the segment's header
    std::uint64_t committed = 0;          ///< slots committed in this run
    std::uint64_t bytes = 0;              ///< bytes committed in this run by the host's writer loop
    std::uint64_t writer_waits = 0;       ///< the writer found the ring full
    double rate = 0;                      ///< slots/s since the writer started
    double fill = 0;                      ///< of the ring, by the furthest-behind lossless reader (0..1)
};

struct InputStatus {
    std::string channel;
    std::string read;  ///< "lossless" or the read policy
    std::uint64_t slots = 0, gaps = 0, corrupt = 0;
    std::uint64_t lag = 0;  ///< slots committed that it has not read
};

struct ComponentStatus {
    std::string id, kind, plugin;
    std::string direction;  ///< transports: "in" / "out"
    std::string state;      ///< "running", "ended", "failed", "restarting"
    std::string last_error;
    std::uint32_t restarts = 0;
    std::vector<InputStatus> inputs;
    std::vector<std::uint64_t> latency_counts;  ///< per bucket of LatencyHistogram (readers)
    std::uint64_t latency_sum_ns = 0;
    std::map<std::string, std::uint64_t> counters;  ///< the plugin's metric_add ones and the runner's
};

struct PipelineStatus {
    std::string pipeline;
    double uptime = 0;  ///< seconds since the components started
    std::vector<ChannelStatus> channels;
    std::vector<ComponentStatus> components;
    /// The ids of failed components (healthy when empty).
    std::vector<std::string> failed() const;
};

/// What the status endpoints read: the runner's view of its runtimes and
/// the lock it holds while a restart replaces one.
struct LiveSource {
    RunSummary view;
    std::mutex* structure = nullptr;
    std::uint64_t started_ns = 0;
};

PipelineStatus snapshot(const LiveSource& source);

}  // namespace pylabhub::host
