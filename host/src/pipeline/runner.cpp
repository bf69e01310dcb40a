#include "pipeline/runner.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <memory>
#include <mutex>
#include <ostream>
#include <random>
#include <sstream>
#include <system_error>
#include <thread>

#include "pipeline/broker_link.hpp"
#include "pipeline/component_runtime.hpp"
#include "pipeline/policy_reader.hpp"
#include "text/terminal.hpp"
#include "text/text_table.hpp"
#include "plugins/plugin_instance.hpp"
#include "pylabhub/datablock.hpp"
#include "pylabhub/log.hpp"
#include "pylabhub/platform/clock.hpp"
#include "pylabhub/platform/process.hpp"
#include "pylabhub/platform/signals.hpp"
#include "pylabhub/schema/schema_info.hpp"

namespace pylabhub::host {
namespace {

using namespace std::chrono_literals;

/// Descriptors a host needs besides its channels: stdio, ZeroMQ's contexts
/// (epoll, signalers) for the client and the embedded broker, their sockets,
/// plugin files while they load, logs.
constexpr std::uint64_t kBaseDescriptors = 64;

std::string micros(double ns) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(ns < 10'000 ? 1 : 0) << ns / 1000.0 << " us";
    return text.str();
}

double percentile(std::vector<std::uint32_t>& values, double p) {
    if (values.empty()) return 0;
    const auto index = static_cast<std::size_t>(std::min<double>(values.size() - 1, std::floor(p * double(values.size()))));
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index), values.end());
    return values[index];
}

double seconds(std::uint64_t start, std::uint64_t end) { return end > start ? double(end - start) * 1e-9 : 0.0; }

class Pipeline {
public:
    Pipeline(const PipelineSpec& spec, const PipelinePlan& plan, std::ostream& err) : spec_(spec), plan_(plan), err_(err) {}

    bool set_up() {
        setup_started_ = platform::monotonic_time_ns();
        // ZeroMQ aborts the process when it runs out of file descriptors in
        // one of its own threads: make sure there are enough before starting.
        std::uint64_t inputs = 0;
        for (const auto& c : plan_.consumers) inputs += c.spec->channels.size();
        for (const auto& c : plan_.processors) inputs += c.spec->channels.size();
        const std::uint64_t needed = kBaseDescriptors + 2 * plan_.channels.size() + inputs;
        if (const std::uint64_t limit = platform::raise_open_file_limit(needed); limit < needed) {
            return fail_setup("the open-file limit is " + std::to_string(limit) + ", and this pipeline needs about " +
                              std::to_string(needed) + " descriptors ('ulimit -n " + std::to_string(needed) +
                              "', or raise the hard limit)");
        }
        std::optional<messagehub::CurveClientKeys> curve;
        if (!spec_.broker_server_key.empty()) {
            auto server = messagehub::read_curve_key(spec_.broker_server_key);
            auto secret = messagehub::read_curve_key(spec_.broker_client_key);
            if (!server) return fail_setup(server.error().message);
            if (!secret) return fail_setup(secret.error().message);
            curve = messagehub::CurveClientKeys{*server, *secret};
        }
        auto link = BrokerLink::open(spec_.broker, curve);
        if (!link) return fail_setup(link.error().message);
        broker_ = std::move(link).value();
        for (const auto& planned : plan_.channels) {
            auto channel = std::make_unique<ChannelRuntime>();
            channel->plan = &planned;
            channel->config = planned.config;
            channels_.push_back(std::move(channel));
        }
        // Producers first: a producer may declare its schema when created,
        // and the channel records it.
        for (const auto& planned : plan_.producers) {
            auto runtime = std::make_unique<ProducerRuntime>();
            runtime->plan = &planned;
            runtime->channel = channel(planned.spec->channels.front());
            Wiring wiring;
            wiring.output = describe_channel(*runtime->channel);
            if (planned.plugin->schema) wiring.output->schema = planned.plugin->schema;
            auto instance = PluginInstance::create(*planned.plugin, planned.spec->id, planned.config, std::move(wiring));
            if (!instance) return fail_setup(instance.error().message);
            runtime->instance = std::move(instance).value();
            runtime->kind = "producer";
            if (!create_channel(*runtime->channel, *runtime->instance)) return false;
            producers_.push_back(std::move(runtime));
        }
        for (auto& channel : channels_) {
            const bool read_here = !channel->plan->consumer_ids.empty() || !channel->plan->policy_reader_ids.empty();
            if (channel->plan->spec->external && read_here && !find_external(*channel)) return false;
        }
        // In the plan's order: the writers of a processor's inputs exist.
        for (const auto& planned : plan_.processors) {
            auto runtime = std::make_unique<ProcessorRuntime>();
            runtime->kind = "processor";
            runtime->output = channel(planned.spec->output);
            if (!create_reader(*runtime, planned, describe_channel(*runtime->output))) return false;
            if (!create_channel(*runtime->output, *runtime->instance)) return false;
            processors_.push_back(std::move(runtime));
        }
        for (const auto& planned : plan_.consumers) {
            auto runtime = std::make_unique<ConsumerRuntime>();
            runtime->kind = "consumer";
            if (!create_reader(*runtime, planned, std::nullopt)) return false;
            consumers_.push_back(std::move(runtime));
        }
        return true;
    }

    int run(const RunOptions& options, std::ostream& out) {
        if (const std::string failed = start_threads(); !failed.empty()) {
            err_ << "error: " << failed << "\n";
            RunOptions no_drain = options;
            no_drain.drain_timeout = std::chrono::milliseconds(0);
            shut_down(no_drain);  // what started stops; the channels are removed with the pipeline
            err_ << "not started: the components that did start were stopped and every channel removed\n";
            return run_setup_failed;
        }
        const std::uint64_t start = platform::monotonic_time_ns();
        std::string reason = wait_for_end(options, start);
        log::logger().info("pipeline '{}': stopping ({})", terminal_safe(spec_.name), reason);
        const std::uint64_t stopping = platform::monotonic_time_ns();
        shut_down(options);
        const std::uint64_t end = platform::monotonic_time_ns();
        print_summary(out, reason, {seconds(setup_started_, start), seconds(start, stopping), seconds(stopping, end)});
        bool any_failed = false;
        for (auto* component : all_components()) {
            if (auto failure = component->failed(); !failure.empty()) {
                err_ << "error: " << terminal_safe(failure) << "\n";
                any_failed = true;
            }
        }
        return any_failed ? run_component_failed : run_ok;
    }

    ~Pipeline() {
        for (auto* component : all_components()) {
            component->instance.reset();  // destroy on the control thread, after its thread ended
        }
        broker_.reset();  // deregisters this host's channels
    }

private:
    ChannelRuntime* channel(const std::string& name) {
        for (auto& c : channels_) {
            if (c->plan->spec->name == name) return c.get();
        }
        return nullptr;
    }

    /// A channel as the ABI describes it to the instances wired to it.
    static InputDescription describe_channel(const ChannelRuntime& channel) {
        const auto& config = channel.config;
        InputDescription description{channel.plan->spec->name, channel.schema, channel.schema_hash_hex, config.slot_bytes,
                                     config.slot_count, static_cast<std::uint32_t>(config.sync),
                                     config.checksum_policy ? config.checksum_policy->id : static_cast<std::uint32_t>(config.checksum),
                                     config.flex_zones, true};
        return description;
    }

    bool fail_setup(const std::string& message) {
        err_ << "error: " << terminal_safe(message) << "\n";
        return false;
    }

    bool create_channel(ChannelRuntime& channel, PluginInstance& writer) {
        datablock::ProducerOptions options;
        options.wait = datablock::WaitStrategy::blocking;
        options.schema = std::nullopt;
        channel.schema = writer.schema();
        if (channel.schema) {
            auto info = schema::SchemaInfo::from_blds(channel.schema->name, channel.schema->blds, channel.schema->version);
            if (!info) return fail_setup(writer.describe() + ": " + info.error().message);
            if (info->struct_size > channel.plan->config.slot_bytes) {
                const auto& keys = channel.plan->spec->key_positions;
                const SourcePosition where = keys.count("slot_bytes") ? keys.at("slot_bytes") : channel.plan->spec->position;
                return fail_setup(where.to_string() + "channel '" + channel.plan->spec->name + "' has slot_bytes " +
                                  std::to_string(channel.plan->config.slot_bytes) + ", but " + writer.describe() +
                                  " writes '" + info->name + "' of " + std::to_string(info->struct_size) + " bytes");
            }
            channel.schema_hash_hex = info->hash_hex();
            options.schema = std::move(info).value();
        }
        auto created = datablock::Producer::create(channel.plan->shm_name, channel.plan->config, std::move(options));
        if (!created && created.error().code == ErrorCode::already_exists) {
            return fail_setup("channel '" + channel.plan->spec->name + "': " + created.error().message);
        }
        if (!created) return fail_setup("channel '" + channel.plan->spec->name + "': " + created.error().message);
        channel.producer.emplace(std::move(created).value());
        channel.written_before = channel.producer->metrics().slots_written;
        channel.secret = channel.producer->secret();
        writer.bind_producer(&*channel.producer);
        writer.set_output(describe_channel(channel));
        messagehub::ChannelRecord record;
        record.channel = channel.plan->spec->name;
        record.shm_name = channel.plan->shm_name;
        record.secret_hex = crypto::to_hex(channel.secret);
        if (channel.schema) {
            record.schema_name = channel.schema->name;
            record.schema_version = channel.schema->version;
            record.schema_blds = channel.schema->blds;
            record.schema_hash = channel.schema_hash_hex;
        }
        record.producer_pid = platform::current_pid();
        record.producer_host = host_name();
        if (auto registered = broker_->register_channel(record); !registered) {
            return fail_setup("channel '" + record.channel + "': " + registered.error().message);
        }
        return true;
    }

    bool find_external(ChannelRuntime& channel) {
        const std::string& name = channel.plan->spec->name;
        auto found = broker_->discover(name);
        if (!found) {
            return fail_setup("channel '" + name + "' is external, but the broker at " + broker_->endpoint() +
                              " does not know it (" + found.error().message +
                              "): start the pipeline that produces it first");
        }
        auto secret = crypto::from_hex_fixed<32>(found->secret_hex);
        if (!secret) return fail_setup("channel '" + name + "': the broker gave a malformed secret");
        channel.secret = *secret;
        if (!found->schema_blds.empty()) {
            channel.schema = SchemaDescription{found->schema_name, found->schema_version, found->schema_blds};
        }
        channel.schema_hash_hex = found->schema_hash;
        // Read it as its creator made it: sync, geometry, checksum and mode.
        auto layout = existing_channel_layout(channel.plan->shm_name, plan_.checksum_plugins);
        if (!layout) return fail_setup("channel '" + name + "' (external): " + layout.error().message);
        channel.config = *layout;
        if (auto why = consumer_count_problem(name, channel.config, channel.plan->consumer_ids.size()); !why.empty()) {
            return fail_setup(channel.plan->spec->position.to_string() + why + " (as its creator made it)");
        }
        return true;
    }

    /// The reading side of a consumer or processor: its instance (with its
    /// output, for a processor) and a reader for each input.
    bool create_reader(ConsumerRuntime& runtime, const PlannedComponent& planned, std::optional<InputDescription> output) {
        runtime.plan = &planned;
        Wiring wiring;
        wiring.output = std::move(output);
        for (std::size_t i = 0; i < planned.spec->channels.size(); ++i) {
            const std::string& name = planned.spec->channels[i];
            ChannelRuntime* input = channel(name);
            runtime.inputs.push_back(input);
            wiring.inputs.push_back(describe_channel(*input));
            wiring.inputs.back().read_lossless = planned.inputs.at(i).policy == nullptr &&
                                                 input->config.sync != datablock::SyncPolicy::latest_only;
            // The reader's declared schema against what the channel carries.
            if (planned.plugin->schema && input->schema) {
                if (auto fits = check_consumer_schema(planned.spec->id, name, *planned.plugin->schema, *input->schema); !fits) {
                    return fail_setup(fits.error().message);
                }
            }
        }
        auto instance = PluginInstance::create(*planned.plugin, planned.spec->id, planned.config, wiring);
        if (!instance) return fail_setup(instance.error().message);
        runtime.instance = std::move(instance).value();
        for (std::size_t i = 0; i < runtime.inputs.size(); ++i) {
            ChannelRuntime* input = runtime.inputs[i];
            InputReader reader;
            if (const PlannedInput& how = planned.inputs.at(i); how.policy != nullptr) {
                auto policy = PolicyReader::open(*input, how, planned.spec->id, wiring.inputs[i]);
                if (!policy) return fail_setup(std::string(runtime.kind) + " '" + planned.spec->id + "': " + policy.error().message);
                reader.policy = std::move(policy).value();
            } else {
                datablock::ConsumerOptions options;
                options.secret = input->secret;
                options.wait = datablock::WaitStrategy::blocking;
                options.checksum_policies = plan_.checksum_plugins;
                options.allow_other_owner = input->plan->spec->allow_other_owner;
                auto attached = datablock::Consumer::attach(input->plan->shm_name, std::move(options));
                if (!attached) return fail_setup(std::string(runtime.kind) + " '" + planned.spec->id + "': " + attached.error().message);
                reader.lossless.emplace(std::move(attached).value());
            }
            runtime.readers.push_back(std::move(reader));
            runtime.stats.emplace_back();
            broker_->register_consumer(input->plan->spec->name, planned.spec->id);
        }
        runtime.instance->bind_zone_reader([c = &runtime](std::uint32_t index, std::string_view zone, std::span<std::byte> out,
                                                          std::chrono::nanoseconds timeout) -> Result<std::uint64_t> {
            const InputReader& reader = c->readers.at(index);
            return reader.policy ? reader.policy->read_zone(zone, out, timeout) : reader.lossless->read_zone(zone, out, timeout);
        });
        return true;
    }

    /// One thread per component; "" when all started, else why not. A
    /// component whose thread did not start counts as done.
    std::string start_threads() {
        std::string failure;
        auto start = [&](ComponentRuntime& component, auto body) {
            if (!failure.empty()) {
                component.done = true;
                return;
            }
            try {
                component.thread = std::thread(body);
            } catch (const std::system_error& e) {
                failure = "cannot start a thread for '" + component.plan->spec->id + "': " + e.what() +
                          " (the process or user thread limit, 'ulimit -u'?)";
                component.done = true;
            }
        };
        for (auto& c : consumers_) start(*c, [c = c.get()] { run_consumer(*c); });
        for (auto& p : processors_) start(*p, [p = p.get()] { run_processor(*p); });
        for (auto& p : producers_) start(*p, [p = p.get()] { run_producer(*p); });
        return failure;
    }

    std::vector<ComponentRuntime*> all_components() {
        std::vector<ComponentRuntime*> all;
        for (auto& p : producers_) all.push_back(p.get());
        for (auto& p : processors_) all.push_back(p.get());
        for (auto& c : consumers_) all.push_back(c.get());
        return all;
    }

    std::string wait_for_end(const RunOptions& options, std::uint64_t start) {
        for (;;) {
            if (auto signal = platform::wait_for_shutdown_signal(50ms)) return std::string(platform::signal_name(*signal));
            const std::uint64_t now = platform::monotonic_time_ns();
            if (options.duration && now - start >= static_cast<std::uint64_t>(options.duration->count())) return "duration reached";
            bool all_done = true;
            for (auto* component : all_components()) {
                if (component->instance->pipeline_stop_requested()) return "plugin '" + component->plan->spec->id + "' asked to stop";
                if (spec_.stop_on_failure && !component->failed().empty()) {
                    return "'" + component->plan->spec->id + "' failed (on_failure: stop)";
                }
                all_done = all_done && component->done.load();
            }
            // A producer that ended its stream closes its channel now, so
            // that its consumers drain and finish.
            for (auto& p : producers_) {
                if (p->done && p->channel->producer) close_channel(*p->channel);
            }
            for (auto& p : processors_) {
                if (p->done && p->output->producer) close_channel(*p->output);
            }
            if (all_done) {
                std::size_t failed = 0;
                for (auto* component : all_components()) failed += component->failed().empty() ? 0 : 1;
                return failed == 0 ? "every component finished"
                                   : "every component finished (" + std::to_string(failed) + " failed)";
            }
        }
    }

    void close_channel(ChannelRuntime& channel) {
        // First no plugin thread may write to it (a device thread of the
        // producer may still be calling write_slot), then it closes.
        for (auto& p : producers_) {
            if (p->channel == &channel) p->instance->bind_producer(nullptr);
        }
        for (auto& p : processors_) {
            if (p->output == &channel) p->instance->bind_producer(nullptr);
        }
        channel.final_metrics = channel.producer->metrics();
        channel.producer.reset();  // closed: consumers read what was committed, then see the end
    }

    void shut_down(const RunOptions& options) {
        for (auto& p : producers_) p->instance->request_stop();
        for (auto& p : producers_) {
            if (p->thread.joinable()) p->thread.join();
        }
        for (auto& p : producers_) {
            if (p->channel->producer) close_channel(*p->channel);
        }
        // Readers of channels another host owns have nothing to drain: those
        // channels go on. The others drain what was committed, within a
        // bound: processors first, in order, each closing its output after
        // it, so that what they emitted reaches the consumers too.
        const auto deadline = std::chrono::steady_clock::now() + options.drain_timeout;
        auto drain = [&](ConsumerRuntime& c) {
            const bool reads_external = std::any_of(c.inputs.begin(), c.inputs.end(),
                                                    [](const ChannelRuntime* input) { return input->plan->spec->external; });
            if (reads_external) c.instance->request_stop();
            while (!c.done && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
            if (!c.done) {
                log::logger().warn("{} '{}' did not drain within {} ms; stopping it", c.kind, c.plan->spec->id,
                                   options.drain_timeout.count());
            }
            c.instance->request_stop();
            if (c.thread.joinable()) c.thread.join();
        };
        for (auto& p : processors_) {
            drain(*p);
            if (p->output->producer) close_channel(*p->output);
        }
        for (auto& channel : channels_) {
            if (channel->producer) close_channel(*channel);
        }
        for (auto& c : consumers_) drain(*c);
    }

    struct Phases {
        double set_up = 0, run = 0, stop = 0;  // seconds
    };

    void print_summary(std::ostream& out, const std::string& reason, const Phases& took) {
        // "ran" is the time the components ran; set-up and stop are said
        // apart, so a slow start (a thousand channels) is not hidden.
        out << "pipeline " << terminal_safe(spec_.name) << ": ran " << std::fixed << std::setprecision(2) << took.run
            << " s (set-up " << took.set_up << " s, stop " << took.stop << " s), stopped: " << reason << "\n\n";
        using Align = TextTable::Align;
        auto number = [](double value, int precision) {
            std::ostringstream text;
            text << std::fixed << std::setprecision(precision) << value;
            return text.str();
        };
        TextTable channels({{"CHANNEL"}, {"PRODUCER"}, {"WRITTEN", Align::right}, {"RATE/s", Align::right},
                            {"FULL-WAITS", Align::right}, {"CHECKSUM", Align::right}, {"STATUS"}});
        for (auto& p : producers_) {
            const auto& m = p->channel->final_metrics;
            const std::uint64_t written = m.slots_written - p->channel->written_before;
            const double secs = seconds(p->start_ns, p->end_ns);
            channels.add({p->channel->plan->spec->name, p->plan->spec->id, std::to_string(written),
                          number(secs > 0 ? double(written) / secs : 0.0, 1), std::to_string(p->backpressure_waits),
                          std::to_string(m.checksum_failures), p->failed().empty() ? (p->ended ? "ended" : "ok") : "FAILED"});
        }
        for (auto& p : processors_) {
            const auto& m = p->output->final_metrics;
            const std::uint64_t written = m.slots_written - p->output->written_before;
            const double secs = seconds(p->start_ns, p->end_ns);
            channels.add({p->output->plan->spec->name, p->plan->spec->id + " (processor)", std::to_string(written),
                          number(secs > 0 ? double(written) / secs : 0.0, 1), std::to_string(p->backpressure_waits),
                          std::to_string(m.checksum_failures), p->failed().empty() ? "ok" : "FAILED"});
        }
        if (!producers_.empty()) channels.print(out);
        TextTable consumers({{"CONSUMER"}, {"INPUT"}, {"READ", Align::right}, {"RATE/s", Align::right}, {"GAPS", Align::right},
                             {"CORRUPT", Align::right}, {"LAT p50", Align::right}, {"LAT p99", Align::right}, {"STATUS"}});
        std::vector<ConsumerRuntime*> readers;
        for (auto& p : processors_) readers.push_back(p.get());
        for (auto& c : consumers_) readers.push_back(c.get());
        for (ConsumerRuntime* c : readers) {
            const double secs = seconds(c->start_ns, c->end_ns);
            const double p50 = percentile(c->latencies_ns, 0.50);
            const double p99 = percentile(c->latencies_ns, 0.99);
            const std::string status = c->failed().empty() ? "ok" : "FAILED";
            for (std::size_t i = 0; i < c->inputs.size(); ++i) {
                const InputStats& s = c->stats[i];
                std::string input = c->inputs[i]->plan->spec->name;
                if (const auto* policy = c->plan->inputs.at(i).policy) input += " (read: " + policy->id + ")";
                consumers.add({i == 0 ? c->plan->spec->id : "", input, std::to_string(s.slots),
                               number(secs > 0 ? double(s.slots) / secs : 0.0, 1), std::to_string(s.gaps), std::to_string(s.corrupt),
                               i == 0 ? micros(p50) : "", i == 0 ? micros(p99) : "", i == 0 ? status : ""});
            }
        }
        if (!readers.empty()) {
            if (!producers_.empty()) out << "\n";
            consumers.print(out);
        }
        for (auto* component : all_components()) {
            for (const auto& [name, value] : component->instance->metrics()) {
                out << "    " << component->plan->spec->id << "." << name << " = " << value << "\n";
            }
        }
    }

    const PipelineSpec& spec_;
    const PipelinePlan& plan_;
    std::ostream& err_;
    std::uint64_t setup_started_ = 0;
    std::unique_ptr<BrokerLink> broker_;
    std::vector<std::unique_ptr<ChannelRuntime>> channels_;
    std::vector<std::unique_ptr<ProducerRuntime>> producers_;
    std::vector<std::unique_ptr<ConsumerRuntime>> consumers_;
    std::vector<std::unique_ptr<ProcessorRuntime>> processors_;  // in the plan's order
};

} // namespace

int run_pipeline(const PipelineSpec& spec, const PipelinePlan& plan, const RunOptions& options, std::ostream& out,
                 std::ostream& err) {
    Pipeline pipeline(spec, plan, err);
    if (!pipeline.set_up()) return run_setup_failed;
    return pipeline.run(options, out);
}

} // namespace pylabhub::host
