#include "http/live_status.hpp"

#include <algorithm>

#include "pipeline/policy_reader.hpp"
#include "pylabhub/datablock/checksum.hpp"
#include "pylabhub/platform/clock.hpp"

namespace pylabhub::host {
namespace {

double per_second(std::uint64_t count, std::uint64_t since_ns, std::uint64_t until_ns) {
    return until_ns > since_ns ? double(count) / (double(until_ns - since_ns) * 1e-9) : 0.0;
}

std::string state_of(ComponentRuntime& c) {
    if (!c.failed().empty()) return c.restart_due_ns != 0 ? "restarting" : "failed";
    if (c.done) return c.ended ? "ended" : "finished";
    return "running";
}

ChannelStatus channel_status(const ChannelRuntime& channel, const RunSummary& view, std::uint64_t now) {
    ChannelStatus s;
    s.name = channel.plan->spec->name;
    s.sync = std::string(datablock::to_string(channel.config.sync));
    s.checksum = channel.config.checksum_policy != nullptr ? channel.config.checksum_policy->name
                                                           : std::string(datablock::to_string(channel.config.checksum));
    s.slot_bytes = channel.config.slot_bytes;
    s.slot_count = channel.config.slot_count;
    if (channel.schema) {
        s.schema_name = channel.schema->name;
        s.schema_version = channel.schema->version;
        s.schema_hash = channel.schema_hash_hex;
    }
    if (channel.producer) s.metrics = channel.producer->metrics();
    s.bytes = channel.bytes_written;
    s.committed = s.metrics.slots_written > channel.written_before ? s.metrics.slots_written - channel.written_before : 0;
    const ComponentRuntime* writer = nullptr;
    for (ProducerRuntime* p : view.writers) {
        if (p->channel == &channel) writer = p, s.writer_waits = p->backpressure_waits;
    }
    for (ProcessorRuntime* p : view.processors) {
        if (p->output == &channel) writer = p, s.writer_waits = p->backpressure_waits;
    }
    if (writer != nullptr) {
        s.writer = writer->plan->spec->id;
        s.rate = per_second(s.committed, writer->start_ns, writer->end_ns != 0 ? writer->end_ns.get() : now);
    }
    return s;
}

}  // namespace

std::vector<std::string> PipelineStatus::failed() const {
    std::vector<std::string> ids;
    for (const auto& c : components) {
        if (c.state == "failed" || c.state == "restarting") ids.push_back(c.id);
    }
    return ids;
}

PipelineStatus snapshot(const LiveSource& source) {
    std::lock_guard lock(*source.structure);  // a restart replaces instances and readers
    const RunSummary& view = source.view;
    const std::uint64_t now = platform::monotonic_time_ns();
    PipelineStatus status;
    status.pipeline = view.pipeline;
    status.uptime = double(now - source.started_ns) * 1e-9;
    for (const ChannelRuntime* channel : view.channels) status.channels.push_back(channel_status(*channel, view, now));
    auto channel_named = [&](const std::string& name) -> ChannelStatus* {
        for (auto& c : status.channels) {
            if (c.name == name) return &c;
        }
        return nullptr;
    };
    for (ComponentRuntime* c : view.all) {
        ComponentStatus s;
        s.id = c->plan->spec->id;
        s.kind = c->kind;
        s.plugin = c->plan->plugin->id;
        s.direction = c->plan->spec->direction;
        s.state = state_of(*c);
        s.last_error = c->failed();
        s.restarts = static_cast<std::uint32_t>(c->restarts.get());
        s.counters = counters_of(*c);
        if (auto* reader = dynamic_cast<ConsumerRuntime*>(c)) {
            for (std::size_t i = 0; i < reader->inputs.size() && i < reader->stats.size(); ++i) {
                const InputStats& stats = reader->stats[i];
                InputStatus in;
                in.channel = reader->inputs[i]->plan->spec->name;
                const auto* policy = i < c->plan->inputs.size() ? c->plan->inputs[i].policy : nullptr;
                in.read = policy != nullptr ? policy->id : "lossless";
                in.slots = stats.slots, in.gaps = stats.gaps, in.corrupt = stats.corrupt;
                if (ChannelStatus* channel = channel_named(in.channel)) {
                    const std::uint64_t committed = channel->metrics.commit_count;
                    in.lag =
                        stats.seen ? (committed > stats.last_sequence + 1 ? committed - stats.last_sequence - 1 : 0) : channel->committed;
                    if (policy == nullptr && channel->slot_count > 0) {
                        channel->fill = std::max(channel->fill, std::min(1.0, double(in.lag) / channel->slot_count));
                    }
                }
                s.inputs.push_back(in);
            }
            for (const LiveCounter& count : reader->latency.counts) s.latency_counts.push_back(count);
            s.latency_sum_ns = reader->latency.sum_ns;
        }
        status.components.push_back(std::move(s));
    }
    return status;
}

}  // namespace pylabhub::host
