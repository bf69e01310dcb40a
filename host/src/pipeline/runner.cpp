#include "pipeline/runner.hpp"

#include <algorithm>
#include <memory>
#include <ostream>
#include <system_error>
#include <tuple>
#include <thread>

#include "http/live_status.hpp"
#include "pipeline/broker_link.hpp"
#include "pipeline/component_runtime.hpp"
#include "pipeline/policy_reader.hpp"
#include "pipeline/restart_policy.hpp"
#include "pipeline/run_summary.hpp"
#include "text/terminal.hpp"
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
            if (!create_channel(*runtime->channel, *runtime->instance, runtime->instance->schema())) return false;
            producers_.push_back(std::move(runtime));
        }
        for (const auto& planned : plan_.transports) {
            if (planned.spec->direction == "in" && !create_inbound(planned)) return false;
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
            Wiring wiring;
            wiring.output = describe_channel(*runtime->output);
            if (!create_reader(*runtime, planned, std::move(wiring))) return false;
            if (!create_channel(*runtime->output, *runtime->instance, runtime->instance->schema())) return false;
            processors_.push_back(std::move(runtime));
        }
        for (const auto& planned : plan_.consumers) {
            auto runtime = std::make_unique<ConsumerRuntime>();
            runtime->kind = "consumer";
            if (!create_reader(*runtime, planned, {})) return false;
            consumers_.push_back(std::move(runtime));
        }
        for (const auto& planned : plan_.transports) {
            if (planned.spec->direction != "out") continue;
            auto runtime = std::make_unique<OutboundRuntime>();
            runtime->kind = "transport";
            Wiring wiring;
            wiring.transport_direction = PLH_TRANSPORT_OUT;
            wiring.directory = directory(planned);
            if (!create_reader(*runtime, planned, std::move(wiring))) return false;
            outbound_.push_back(std::move(runtime));
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
        if (options.on_running) options.on_running(LiveSource{view(), &structure_mutex_, start});
        std::string reason = wait_for_end(options, start);
        log::logger().info("pipeline '{}': stopping ({})", terminal_safe(spec_.name), reason);
        const std::uint64_t stopping = platform::monotonic_time_ns();
        if (options.on_stopping) options.on_stopping();
        shut_down(options);
        const std::uint64_t end = platform::monotonic_time_ns();
        RunSummary summary = view();
        std::tie(summary.reason, summary.set_up, summary.run, summary.stop) =
            std::tuple(reason, seconds(setup_started_, start), seconds(start, stopping), seconds(stopping, end));
        print_summary(out, summary);
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
    /// Every runtime, as the summary and the HTTP endpoints see them.
    RunSummary view() {
        RunSummary summary{spec_.name, "", 0, 0, 0, writers(), {}, {}, all_components(), {}};
        for (auto& p : processors_) {
            summary.processors.push_back(p.get());
            summary.readers.push_back(p.get());
        }
        for (auto& c : consumers_) summary.readers.push_back(c.get());
        for (auto& t : outbound_) summary.readers.push_back(t.get());
        for (auto& c : channels_) summary.channels.push_back(c.get());
        return summary;
    }

    ChannelRuntime* channel(const std::string& name) {
        auto found = std::find_if(channels_.begin(), channels_.end(), [&](const auto& c) { return c->plan->spec->name == name; });
        return found != channels_.end() ? found->get() : nullptr;
    }

    bool fail_setup(const std::string& message) {
        err_ << "error: " << terminal_safe(message) << "\n";
        return false;
    }

    /// Creates the channel `writer` writes, carrying `schema` (the writer's
    /// own unless an inbound stream brought one).
    bool create_channel(ChannelRuntime& channel, PluginInstance& writer, std::optional<SchemaDescription> schema) {
        datablock::ProducerOptions options;
        options.wait = datablock::WaitStrategy::blocking;
        options.schema = std::nullopt;
        channel.schema = std::move(schema);
        if (channel.schema) {
            auto info = schema::SchemaInfo::from_blds(channel.schema->name, channel.schema->blds, channel.schema->version);
            if (!info) return fail_setup(writer.describe() + ": " + info.error().message);
            if (info->struct_size > channel.config.slot_bytes) {
                const auto& keys = channel.plan->spec->key_positions;
                const SourcePosition where = keys.count("slot_bytes") ? keys.at("slot_bytes") : channel.plan->spec->position;
                return fail_setup(where.to_string() + "channel '" + channel.plan->spec->name + "' has slot_bytes " +
                                  std::to_string(channel.config.slot_bytes) + ", but " + writer.describe() + " writes '" + info->name +
                                  "' of " + std::to_string(info->struct_size) + " bytes");
            }
            channel.schema_hash_hex = info->hash_hex();
            options.schema = std::move(info).value();
        }
        auto created = datablock::Producer::create(channel.plan->shm_name, channel.config, std::move(options));
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

    /// How a transport's advertise and discover reach this pipeline's broker.
    NetworkDirectory directory(const PlannedComponent& planned) {
        NetworkDirectory directory;
        BrokerLink* broker = broker_.get();
        const std::string channel = planned.spec->output.empty() ? planned.spec->channels.front() : planned.spec->output;
        const std::string who = planned.spec->id + " (" + planned.plugin->id + ")";
        directory.advertise = [broker, channel, who](const NetworkEndpoint& at) -> Result<void> {
            return broker->advertise({channel, at.endpoint, at.curve_public_key, who, 0, "", 0});
        };
        directory.discover = [broker](const std::string& name) -> Result<NetworkEndpoint> {
            auto found = broker->discover_endpoint(name);
            if (!found) return std::move(found).error();
            return NetworkEndpoint{found->endpoint, found->curve_public_key};
        };
        return directory;
    }

    /// An inbound transport: its instance, then its channel, laid out as the
    /// sender's stream says (waiting for it), starting at the sender's id.
    bool create_inbound(const PlannedComponent& planned) {
        auto runtime = std::make_unique<InboundRuntime>();
        runtime->plan = &planned;
        runtime->kind = "transport";
        runtime->channel = channel(planned.spec->output);
        ChannelRuntime& target = *runtime->channel;
        Wiring wiring;
        wiring.output = describe_channel(target);
        wiring.transport_direction = PLH_TRANSPORT_IN;
        wiring.directory = directory(planned);
        auto instance = PluginInstance::create(*planned.plugin, planned.spec->id, planned.config, std::move(wiring));
        if (!instance) return fail_setup(instance.error().message);
        runtime->instance = std::move(instance).value();
        log::logger().info("transport '{}': waiting for the stream of channel '{}'", planned.spec->id, planned.spec->output);
        auto stream = wait_for_stream(*runtime, [] { return platform::wait_for_shutdown_signal(0ms).has_value(); });
        if (!stream) return fail_setup(stream.error().message);
        runtime->stream = *stream;
        // The sender decides the slot size and the sync policy, unless the
        // YAML says otherwise (then they must fit).
        const auto& keys = target.plan->spec->key_positions;
        if (keys.count("slot_bytes") == 0) target.config.slot_bytes = stream->slot_bytes;
        if (keys.count("sync") == 0) target.config.sync = static_cast<datablock::SyncPolicy>(stream->sync_policy);
        if (auto why = stream_fit_problem(*stream, target.config); !why.empty()) {
            const SourcePosition where = keys.count("slot_bytes") ? keys.at("slot_bytes") : target.plan->spec->position;
            return fail_setup(where.to_string() + "channel '" + target.plan->spec->name + "' (transport '" + planned.spec->id + "' from " +
                              stream->peer + "): " + why);
        }
        if (auto why = consumer_count_problem(target.plan->spec->name, target.config, target.plan->consumer_ids.size()); !why.empty()) {
            return fail_setup(target.plan->spec->position.to_string() + why + " (as the sender " + stream->peer + " streams it)");
        }
        if (!create_channel(target, *runtime->instance, stream->schema)) return false;
        // UINT64_MAX: the sender does not know yet; its first slot says.
        const std::uint64_t first = stream->first_sequence == UINT64_MAX ? 0 : stream->first_sequence;
        if (auto started = target.producer->skip_to(std::max(first, target.producer->next_sequence()), 1s); !started) {
            return fail_setup("channel '" + target.plan->spec->name + "': " + started.error().message);
        }
        log::logger().info("transport '{}': channel '{}' streams from {} ({}, {} bytes a slot, at sequence {})", planned.spec->id,
                           target.plan->spec->name, stream->peer, datablock::to_string(target.config.sync), target.config.slot_bytes,
                           target.producer->next_sequence());
        inbound_.push_back(std::move(runtime));
        return true;
    }

    bool find_external(ChannelRuntime& channel) {
        const std::string& name = channel.plan->spec->name;
        auto found = broker_->discover(name);
        if (!found) {
            return fail_setup("channel '" + name + "' is external, but the broker at " + broker_->endpoint() + " does not know it (" +
                              found.error().message + "): start the pipeline that produces it first");
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
    bool create_reader(ConsumerRuntime& runtime, const PlannedComponent& planned, Wiring wiring) {
        runtime.plan = &planned;
        for (std::size_t i = 0; i < planned.spec->channels.size(); ++i) {
            const std::string& name = planned.spec->channels[i];
            ChannelRuntime* input = channel(name);
            runtime.inputs.push_back(input);
            wiring.inputs.push_back(describe_channel(*input));
            wiring.inputs.back().read_lossless =
                planned.inputs.at(i).policy == nullptr && input->config.sync != datablock::SyncPolicy::latest_only;
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
        for (auto& t : outbound_) start(*t, [t = t.get()] { run_outbound(*t); });
        for (auto& c : consumers_) start(*c, [c = c.get()] { run_consumer(*c); });
        for (auto& p : processors_) start(*p, [p = p.get()] { run_processor(*p); });
        for (auto& p : producers_) start(*p, [p = p.get()] { run_producer(*p); });
        for (auto& t : inbound_) start(*t, [t = t.get()] { run_inbound(*t); });
        return failure;
    }

    /// Producers and inbound transports: the writers that start the data flow.
    std::vector<ProducerRuntime*> writers() {
        std::vector<ProducerRuntime*> all;
        for (auto& p : producers_) all.push_back(p.get());
        for (auto& t : inbound_) all.push_back(t.get());
        return all;
    }

    std::vector<ComponentRuntime*> all_components() {
        std::vector<ComponentRuntime*> all;
        for (auto& p : producers_) all.push_back(p.get());
        for (auto& t : inbound_) all.push_back(t.get());
        for (auto& p : processors_) all.push_back(p.get());
        for (auto& c : consumers_) all.push_back(c.get());
        for (auto& t : outbound_) all.push_back(t.get());
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
                if (!component->failed().empty() && failure_policy(*component, spec_) == OnFailure::stop) {
                    return "'" + component->plan->spec->id + "' failed (on_failure: stop)";
                }
                const bool restarting = supervise(*component, now);
                all_done = all_done && component->done.load() && !restarting;
            }
            // A producer that ended its stream closes its channel now, so
            // that its consumers drain and finish (not one about to restart).
            for (ProducerRuntime* p : writers()) {
                if (p->done && p->restart_due_ns == 0 && p->channel->producer) close_channel(*p->channel);
            }
            for (auto& p : processors_) {
                if (p->done && p->restart_due_ns == 0 && p->output->producer) close_channel(*p->output);
            }
            if (all_done) {
                std::size_t failed = 0;
                for (auto* component : all_components()) failed += component->failed().empty() ? 0 : 1;
                return failed == 0 ? "every component finished" : "every component finished (" + std::to_string(failed) + " failed)";
            }
        }
    }

    /// on_failure: restart. True while `c` waits for its restart or was just
    /// restarted (it does not count as done, its channel stays open).
    bool supervise(ComponentRuntime& c, std::uint64_t now) {
        if (!c.done || c.failed().empty() || c.restarts >= kMaxRestarts || failure_policy(c, spec_) != OnFailure::restart) return false;
        if (c.restart_due_ns == 0) {
            const auto delay = restart_delay(c.restarts);
            c.restart_due_ns = now + static_cast<std::uint64_t>(delay.count());
            log::logger().warn("{} '{}' failed; restarting it in {:.1f} s (restart {} of {})", c.kind, c.plan->spec->id,
                               double(delay.count()) * 1e-9, c.restarts + 1, kMaxRestarts);
            return true;
        }
        if (now < c.restart_due_ns) return true;
        std::lock_guard lock(structure_mutex_);  // the HTTP endpoints read what a restart replaces
        ++c.restarts;
        if (c.thread.joinable()) c.thread.join();
        const bool restarted = std::string(c.kind) == "producer" ? restart_producer(static_cast<ProducerRuntime&>(c))
                                                                 : restart_reader(static_cast<ConsumerRuntime&>(c));
        c.restart_due_ns = 0;
        if (restarted) log::logger().info("{} '{}' restarted ({} of {})", c.kind, c.plan->spec->id, c.restarts, kMaxRestarts);
        return restarted;
    }

    /// A new instance of the plugin on the channel the failed one wrote.
    bool restart_producer(ProducerRuntime& p) {
        p.instance.reset();
        Wiring wiring;
        wiring.output = describe_channel(*p.channel);
        auto instance = PluginInstance::create(*p.plan->plugin, p.plan->spec->id, p.plan->config, std::move(wiring));
        if (!instance) {
            p.fail(instance.error().message);  // logged; stays failed
            return false;
        }
        p.instance = std::move(instance).value();
        p.instance->bind_producer(&*p.channel->producer);
        p.instance->set_output(describe_channel(*p.channel));
        p.clear_failure();
        p.done = false;
        p.thread = std::thread([raw = &p] { run_producer(*raw); });
        return true;
    }

    /// A new instance reading the same inputs (the failed one left them): a
    /// consumer, a processor (writing on into its output channel, kept open)
    /// or an outbound transport.
    bool restart_reader(ConsumerRuntime& c) {
        auto* processor = dynamic_cast<ProcessorRuntime*>(&c);
        auto* outbound = dynamic_cast<OutboundRuntime*>(&c);
        c.instance.reset();
        std::vector<InputStats> stats = std::move(c.stats);  // counted across restarts
        c.inputs.clear();
        c.readers.clear();
        c.stats.clear();
        Wiring wiring;
        if (processor != nullptr) wiring.output = describe_channel(*processor->output);
        if (outbound != nullptr) {
            wiring.transport_direction = PLH_TRANSPORT_OUT;
            wiring.directory = directory(*c.plan);
        }
        if (!create_reader(c, *c.plan, std::move(wiring))) {
            c.fail(std::string(c.kind).append(" '").append(c.plan->spec->id).append("' could not be restarted (see above)"));
            return false;
        }
        if (processor != nullptr) {
            processor->instance->bind_producer(&*processor->output->producer);
            processor->instance->set_output(describe_channel(*processor->output));
        }
        c.stats = std::move(stats);
        c.clear_failure();
        c.done = false;
        if (processor != nullptr) c.thread = std::thread([processor] { run_processor(*processor); });
        else if (outbound != nullptr) c.thread = std::thread([outbound] { run_outbound(*outbound); });
        else c.thread = std::thread([raw = &c] { run_consumer(*raw); });
        return true;
    }

    void close_channel(ChannelRuntime& channel) {
        // First no plugin thread may write to it (a device thread of the
        // producer may still be calling write_slot), then it closes.
        for (ProducerRuntime* p : writers()) {
            if (p->channel == &channel) p->instance->bind_producer(nullptr);
        }
        for (auto& p : processors_) {
            if (p->output == &channel) p->instance->bind_producer(nullptr);
        }
        channel.final_metrics = channel.producer->metrics();
        channel.producer.reset();  // closed: consumers read what was committed, then see the end
    }

    void shut_down(const RunOptions& options) {
        for (ProducerRuntime* p : writers()) p->instance->request_stop();
        for (ProducerRuntime* p : writers()) {
            if (p->thread.joinable()) p->thread.join();
            if (p->channel->producer) close_channel(*p->channel);
        }
        // Readers of channels another host owns have nothing to drain (those go on). The others drain
        // what was committed, within a bound: processors first, in order, each closing its output after
        // it, so that what they emitted reaches the consumers too.
        const auto deadline = std::chrono::steady_clock::now() + options.drain_timeout;
        auto drain = [&](ConsumerRuntime& c) {
            const bool reads_external =
                std::any_of(c.inputs.begin(), c.inputs.end(), [](const ChannelRuntime* input) { return input->plan->spec->external; });
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
        for (auto& t : outbound_) drain(*t);
    }

    const PipelineSpec& spec_;
    const PipelinePlan& plan_;
    std::ostream& err_;
    std::uint64_t setup_started_ = 0;
    std::unique_ptr<BrokerLink> broker_;
    std::mutex structure_mutex_;  // held while a restart replaces runtimes the HTTP endpoints read
    std::vector<std::unique_ptr<ChannelRuntime>> channels_;
    std::vector<std::unique_ptr<ProducerRuntime>> producers_;
    std::vector<std::unique_ptr<InboundRuntime>> inbound_;
    std::vector<std::unique_ptr<OutboundRuntime>> outbound_;
    std::vector<std::unique_ptr<ConsumerRuntime>> consumers_;
    std::vector<std::unique_ptr<ProcessorRuntime>> processors_;  // in the plan's order
};

}  // namespace

int run_pipeline(const PipelineSpec& spec, const PipelinePlan& plan, const RunOptions& options, std::ostream& out, std::ostream& err) {
    Pipeline pipeline(spec, plan, err);
    if (!pipeline.set_up()) return run_setup_failed;
    return pipeline.run(options, out);
}

}  // namespace pylabhub::host
