// What the runner keeps per channel and per component while a pipeline
// runs, and the loop each component's thread runs (component_loops.cpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/pipeline_plan.hpp"
#include "plugins/plugin_instance.hpp"
#include "pylabhub/datablock.hpp"

namespace pylabhub::host {

/// How long a component's thread waits in one call before it checks whether to stop.
inline constexpr std::chrono::milliseconds kPollTimeout{100};
inline constexpr std::size_t kMaxLatencySamples = 1 << 20;

struct ChannelRuntime {
    const PlannedChannel* plan = nullptr;
    /// The layout in force: the plan's for a channel this host creates, the
    /// segment's own for an external one (never YAML defaults).
    datablock::DataBlockConfig config;
    std::optional<datablock::Producer> producer;  // channels this host creates
    crypto::SharedSecret secret{};
    std::optional<SchemaDescription> schema;
    std::string schema_hash_hex;
    std::uint64_t written_before = 0;           // a reused segment counts an earlier producer's writes too
    datablock::DataBlockMetrics final_metrics;  // taken when the channel closes
};

struct ComponentRuntime {
    const char* kind = "component";  ///< "producer", "consumer", "processor": for messages
    const PlannedComponent* plan = nullptr;
    std::unique_ptr<PluginInstance> instance;
    std::thread thread;
    std::atomic<bool> done{false};
    std::atomic<bool> ended{false};  // the producer ended its stream
    std::mutex failure_mutex;
    std::string failure;
    std::uint64_t start_ns = 0;
    std::uint64_t end_ns = 0;

    /// Logged at error level when it happens (a run may go on for hours),
    /// and kept for the summary. Only the first failure counts.
    void fail(const std::string& what);
    std::string failed() {
        std::lock_guard lock(failure_mutex);
        return failure;
    }
};

struct ProducerRuntime : ComponentRuntime {
    ChannelRuntime* channel = nullptr;
    std::uint64_t backpressure_waits = 0;
};

struct InputStats {
    std::uint64_t slots = 0;
    std::uint64_t gaps = 0;
    std::uint64_t corrupt = 0;
    std::uint64_t last_sequence = 0;
    bool seen = false;
};

class PolicyReader;  // policy_reader.hpp

/// How one input is read: a place in the channel's consumer table
/// (`lossless`, the channel's own protocol) or a read policy.
struct InputReader {
    std::optional<datablock::Consumer> lossless;
    std::unique_ptr<PolicyReader> policy;
    InputReader();
    InputReader(InputReader&&) noexcept;
    InputReader& operator=(InputReader&&) noexcept;
    ~InputReader();
};

struct ConsumerRuntime : ComponentRuntime {
    std::vector<ChannelRuntime*> inputs;
    std::vector<InputReader> readers;
    std::vector<InputStats> stats;
    std::vector<std::uint32_t> latencies_ns;
    std::uint64_t latency_count = 0;
    std::minstd_rand random{42};

    void record_latency(std::uint64_t ns) {
        const auto value = static_cast<std::uint32_t>(std::min<std::uint64_t>(ns, UINT32_MAX));
        ++latency_count;
        if (latencies_ns.size() < kMaxLatencySamples) {
            latencies_ns.push_back(value);
        } else if (auto slot = random() % latency_count; slot < kMaxLatencySamples) {
            latencies_ns[slot] = value;  // reservoir sampling keeps the percentiles fair
        }
    }
};

/// A processor reads like a consumer and writes `output` like a producer.
struct ProcessorRuntime : ConsumerRuntime {
    ChannelRuntime* output = nullptr;
    std::uint64_t backpressure_waits = 0;
    std::uint64_t emitted = 0;
};

/// The thread of a producer: wait_next, acquire a slot, fill, commit.
void run_producer(ProducerRuntime& p);

/// The thread of a processor: every input slot to process() with the output
/// channel's next slot, committed when the plugin wrote into it; then flush.
void run_processor(ProcessorRuntime& p);

/// The thread of a consumer: read its inputs in turn and hand each slot
/// over (latest_only inputs copied and validated first), then flush.
void run_consumer(ConsumerRuntime& c);

} // namespace pylabhub::host
