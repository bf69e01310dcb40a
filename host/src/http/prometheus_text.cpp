#include "http/prometheus_text.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "pylabhub/platform/process.hpp"

namespace pylabhub::host {
namespace {

/// A label value with \, " and newline escaped, as the format asks.
std::string escaped(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string number(double value) {
    if (std::isnan(value)) return "NaN";
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", value);
    return text;
}

class Exposition {
public:
    /// Starts a family: its HELP and TYPE lines, once.
    Exposition& family(const std::string& name, const char* type, const std::string& help) {
        out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
        return *this;
    }
    Exposition& sample(const std::string& name, const std::string& labels, double value) {
        out_ << name;
        if (!labels.empty()) out_ << "{" << labels << "}";
        out_ << " " << number(value) << "\n";
        return *this;
    }
    std::string text() const { return out_.str(); }

private:
    std::ostringstream out_;
};

std::string label(const char* name, const std::string& value) { return std::string(name) + "=\"" + escaped(value) + "\""; }

}  // namespace

std::string prometheus_text(const PipelineStatus& status, const BuildInfo& build) {
    Exposition e;
    e.family("pylabhub_build_info", "gauge", "Version, commit and plugin ABI of the host (always 1).")
        .sample("pylabhub_build_info",
                label("version", build.version) + "," + label("commit", build.commit) + "," + label("abi", build.abi), 1);
    const std::string pipeline = label("pipeline", status.pipeline);
    e.family("pylabhub_pipeline_uptime_seconds", "gauge", "Seconds since the pipeline's components started.")
        .sample("pylabhub_pipeline_uptime_seconds", pipeline, status.uptime);

    auto per_channel = [&](const std::string& name, const char* type, const std::string& help, auto value) {
        e.family(name, type, help);
        for (const auto& c : status.channels) e.sample(name, label("channel", c.name), double(value(c)));
    };
    per_channel("pylabhub_channel_slots_written_total", "counter", "Slots committed to the channel in this run.",
                [](const ChannelStatus& c) { return c.committed; });
    per_channel("pylabhub_channel_bytes_written_total", "counter", "Payload bytes committed by this host's writer in this run.",
                [](const ChannelStatus& c) { return c.bytes; });
    per_channel("pylabhub_channel_ring_slots", "gauge", "Slots in the channel's ring.",
                [](const ChannelStatus& c) { return c.slot_count; });
    per_channel("pylabhub_channel_ring_fill_ratio", "gauge",
                "Share of the ring the furthest-behind lossless reader has yet to read (0..1).",
                [](const ChannelStatus& c) { return c.fill; });
    per_channel("pylabhub_channel_writer_waits_total", "counter", "Times the writer found the ring full and waited.",
                [](const ChannelStatus& c) { return c.writer_waits; });
    per_channel("pylabhub_channel_checksum_failures_total", "counter", "Slots whose checksum did not match when read.",
                [](const ChannelStatus& c) { return c.metrics.checksum_failures; });
    per_channel("pylabhub_channel_schema_mismatches_total", "counter", "Attaches refused for another schema.",
                [](const ChannelStatus& c) { return c.metrics.schema_mismatches; });
    per_channel("pylabhub_channel_torn_reads_total", "counter", "Reads the writer overtook (latest_only), never handed out.",
                [](const ChannelStatus& c) { return c.metrics.torn_reads; });
    per_channel("pylabhub_channel_recovery_actions_total", "counter", "Dead readers retired and dead writers' locks reclaimed.",
                [](const ChannelStatus& c) { return c.metrics.recovery_actions; });
    per_channel("pylabhub_channel_consumers", "gauge", "Consumers attached now (any process).",
                [](const ChannelStatus& c) { return c.metrics.consumers; });

    auto per_input = [&](const std::string& name, const char* type, const std::string& help, auto value) {
        e.family(name, type, help);
        for (const auto& c : status.components) {
            for (const auto& in : c.inputs)
                e.sample(name, label("component", c.id) + "," + label("channel", in.channel), double(value(in)));
        }
    };
    per_input("pylabhub_consumer_slots_read_total", "counter", "Slots read from the channel.",
              [](const InputStatus& in) { return in.slots; });
    per_input("pylabhub_consumer_gaps_total", "counter", "Slots the reader never got (skipped by its policy, or lost).",
              [](const InputStatus& in) { return in.gaps; });
    per_input("pylabhub_consumer_corrupt_total", "counter", "Slots refused for a checksum or a torn copy.",
              [](const InputStatus& in) { return in.corrupt; });
    per_input("pylabhub_consumer_lag_slots", "gauge", "Slots committed that the reader has not read yet.",
              [](const InputStatus& in) { return in.lag; });

    e.family("pylabhub_consumer_latency_seconds", "histogram", "Commit to hand-over latency of the slots each reader read.");
    for (const auto& c : status.components) {
        if (c.latency_counts.empty()) continue;
        const std::string who = label("component", c.id);
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b < c.latency_counts.size(); ++b) {
            cumulative += c.latency_counts[b];
            const std::string le = b < kLatencyBuckets ? number(double(LatencyHistogram::upper_ns(b)) * 1e-9) : "+Inf";
            e.sample("pylabhub_consumer_latency_seconds_bucket", who + "," + label("le", le), double(cumulative));
        }
        e.sample("pylabhub_consumer_latency_seconds_sum", who, double(c.latency_sum_ns) * 1e-9);
        e.sample("pylabhub_consumer_latency_seconds_count", who, double(cumulative));
    }

    e.family("pylabhub_component_up", "gauge", "1 while the component runs or has ended normally, 0 when it failed.");
    for (const auto& c : status.components) {
        e.sample("pylabhub_component_up", label("component", c.id) + "," + label("kind", c.kind) + "," + label("plugin", c.plugin),
                 c.state == "failed" || c.state == "restarting" ? 0 : 1);
    }
    e.family("pylabhub_component_restarts_total", "counter", "Restarts after failures (on_failure: restart).");
    for (const auto& c : status.components) e.sample("pylabhub_component_restarts_total", label("component", c.id), c.restarts);
    e.family("pylabhub_component_counter_total", "counter", "Each counter a plugin reports (metric_add) and the runner keeps for it.");
    for (const auto& c : status.components) {
        for (const auto& [name, value] : c.counters) {
            e.sample("pylabhub_component_counter_total", label("component", c.id) + "," + label("counter", name), double(value));
        }
    }
    auto per_transport = [&](const std::string& name, const std::string& help, const char* counter) {
        e.family(name, "counter", help);
        for (const auto& c : status.components) {
            if (c.kind != "transport") continue;
            auto found = c.counters.find(counter);
            e.sample(name, label("transport", c.id) + "," + label("direction", c.direction),
                     found != c.counters.end() ? double(found->second) : 0.0);
        }
    };
    per_transport("pylabhub_transport_slots_sent_total", "Slots an outbound transport sent (confirmed, where the link confirms).",
                  "slots_sent");
    per_transport("pylabhub_transport_slots_received_total", "Slots an inbound transport received.", "slots_received");
    per_transport("pylabhub_transport_gaps_total", "Sequence ids an inbound stream skipped.", "gaps");
    per_transport("pylabhub_transport_reconnects_total", "Times a transport's link was made again.", "reconnects");

    const platform::ProcessUsage usage = platform::current_process_usage();
    e.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.")
        .sample("process_cpu_seconds_total", "", usage.cpu_seconds);
    e.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
        .sample("process_resident_memory_bytes", "", double(usage.resident_bytes));
    e.family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.")
        .sample("process_virtual_memory_bytes", "", double(usage.virtual_bytes));
    e.family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.")
        .sample("process_start_time_seconds", "", usage.start_time_seconds);
    e.family("process_open_fds", "gauge", "Number of open file descriptors.").sample("process_open_fds", "", double(usage.open_fds));
    e.family("process_max_fds", "gauge", "Maximum number of open file descriptors.").sample("process_max_fds", "", double(usage.max_fds));
    return e.text();
}

}  // namespace pylabhub::host
