// What the runner keeps per channel and per component while a pipeline
// runs, and the loop each component's thread runs (component_loops.cpp).
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/live_counter.hpp"
#include "pipeline/pipeline_plan.hpp"
#include "plugins/plugin_instance.hpp"
#include "pylabhub/datablock.hpp"

namespace pylabhub::host {

/// on_failure: restart — at most this many restarts of one component, the
/// first after kFirstRestartDelay, each later one after twice the last (up to 30 s).
inline constexpr std::uint32_t kMaxRestarts = 5;
inline constexpr std::chrono::milliseconds kFirstRestartDelay{200};
inline constexpr std::chrono::milliseconds kMaxRestartDelay{30'000};

/// How long a component's thread waits in one call before it checks whether to stop.
inline constexpr std::chrono::milliseconds kPollTimeout{100};
/// The reservoir of latency samples behind a consumer's summary percentiles:
/// 64 Ki samples (256 KiB, taken at the first sample) estimate a p99 well,
/// and a long run's memory stays flat once it is full (a 1 Mi reservoir
/// grew the host by 4 MiB a consumer over its first minutes to hours, which
/// the soak saw as growth).
inline constexpr std::size_t kMaxLatencySamples = 1 << 16;

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
    LiveCounter bytes_written = 0;              // by this host's writer (not a plugin's own device thread)
};

/// A channel as the ABI describes it to the instances wired to it.
InputDescription describe_channel(const ChannelRuntime& channel);

struct ComponentRuntime {
    virtual ~ComponentRuntime() = default;
    const char* kind = "component";  ///< "producer", "consumer", "processor", "transport": for messages
    const PlannedComponent* plan = nullptr;
    std::unique_ptr<PluginInstance> instance;
    std::thread thread;
    std::atomic<bool> done{false};
    std::atomic<bool> ended{false};  // the producer ended its stream
    std::mutex failure_mutex;
    std::string failure;
    LiveCounter start_ns = 0;
    LiveCounter end_ns = 0;
    LiveCounter restarts = 0;          ///< on_failure: restart
    std::uint64_t restart_due_ns = 0;  ///< when the next restart is due; 0: none pending

    /// Logged at error level when it happens (a run may go on for hours),
    /// and kept for the summary. Only the first failure counts.
    void fail(const std::string& what);
    std::string failed() {
        std::lock_guard lock(failure_mutex);
        return failure;
    }
    /// Before a restart: the failure was logged and counted; the new run starts clean.
    void clear_failure() {
        std::lock_guard lock(failure_mutex);
        failure.clear();
    }
};

struct ProducerRuntime : ComponentRuntime {
    ChannelRuntime* channel = nullptr;
    LiveCounter backpressure_waits = 0;
};

struct InputStats {
    LiveCounter slots = 0;
    LiveCounter gaps = 0;
    LiveCounter corrupt = 0;
    LiveCounter last_sequence = 0;
    LiveCounter seen = 0;  ///< 1 once a slot was read
};

/// Commit -> read latencies for /metrics: bucket i holds those up to
/// 1 us x 4^i (i < kLatencyBuckets), the last everything above.
inline constexpr std::size_t kLatencyBuckets = 11;
struct LatencyHistogram {
    std::array<LiveCounter, kLatencyBuckets + 1> counts{};
    LiveCounter sum_ns = 0;
    static constexpr std::uint64_t upper_ns(std::size_t bucket) { return 1000ULL << (2 * bucket); }
    void add(std::uint64_t ns) {
        const std::uint64_t micros = (ns + 999) / 1000;
        const std::size_t bucket = micros <= 1 ? 0 : static_cast<std::size_t>(std::bit_width(micros - 1) + 1) / 2;
        ++counts[std::min(bucket, kLatencyBuckets)];
        sum_ns += ns;
    }
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

    LatencyHistogram latency;

    void record_latency(std::uint64_t ns) {
        latency.add(ns);
        const auto value = static_cast<std::uint32_t>(std::min<std::uint64_t>(ns, UINT32_MAX));
        ++latency_count;
        if (latencies_ns.capacity() == 0) latencies_ns.reserve(kMaxLatencySamples);
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
    LiveCounter backpressure_waits = 0;
    LiveCounter emitted = 0;
};

/// An outbound transport reads its one channel like a consumer and hands
/// every slot to send(), again while it says "no credit yet".
struct OutboundRuntime : ConsumerRuntime {
    LiveCounter credit_waits = 0;  ///< send() calls that timed out: the link held the ring back
};

/// What an inbound stream says about the channel it fills.
struct StreamLayout {
    std::uint32_t sync_policy = 0;
    std::optional<SchemaDescription> schema;
    std::uint64_t slot_bytes = 0;
    std::uint64_t first_sequence = 0;
    std::string peer;
};

/// An inbound transport writes its channel like a producer, with the
/// sender's sequence ids (a jump is a gap, mirrored with skip_to).
struct InboundRuntime : ProducerRuntime {
    StreamLayout stream;
    LiveCounter received = 0;
    LiveCounter gaps = 0;            ///< sequences the stream skipped (lost upstream or while disconnected)
    LiveCounter stream_changes = 0;  ///< the sender restarted
    LiveCounter already_here = 0;    ///< slots sent again that the channel holds already
    bool new_stream = false;         ///< a restarted sender's first slot is next
    bool renumbering = false;        ///< its ids went back: numbered on from the channel's
};

/// Asks an inbound transport for its stream until it describes one, or
/// `give_up()` says to stop waiting (an error then says why).
Result<StreamLayout> wait_for_stream(InboundRuntime& t, const std::function<bool()>& give_up);

/// Why `layout` cannot fill a channel of `config` (slot size, sync), or "".
std::string stream_fit_problem(const StreamLayout& layout, const datablock::DataBlockConfig& config);

/// The thread of an outbound transport: every slot of its channel to send().
void run_outbound(OutboundRuntime& t);

/// The thread of an inbound transport: receive() into the channel's next
/// slot, committed with the sender's sequence id.
void run_inbound(InboundRuntime& t);

/// "instance 'x' (...): fill returned PLH_ERR_IO: <the plugin's reason>".
std::string describe_status(PluginInstance& instance, const char* call, plh_status status);

/// The thread of a producer: wait_next, acquire a slot, fill, commit.
void run_producer(ProducerRuntime& p);

/// The thread of a processor: every input slot to process() with the output
/// channel's next slot, committed when the plugin wrote into it; then flush.
void run_processor(ProcessorRuntime& p);

/// The thread of a consumer: read its inputs in turn and hand each slot
/// over (latest_only inputs copied and validated first), then flush.
void run_consumer(ConsumerRuntime& c);

}  // namespace pylabhub::host
