#include "pipeline/pipeline_plan.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "pylabhub/datablock/checksum.hpp"
#include "pylabhub/datablock/diagnostics.hpp"
#include "pylabhub/datablock/producer.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "pylabhub/schema/schema_info.hpp"

namespace pylabhub::host {
namespace {

SourcePosition key_position(const ChannelSpec& channel, const std::string& key) {
    auto found = channel.key_positions.find(key);
    return found != channel.key_positions.end() ? found->second : channel.position;
}

std::string mib(std::uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / 1048576.0);
    return text;
}

}  // namespace

std::string channel_shm_name(const std::string& channel) { return "/plh." + channel; }

Result<datablock::DataBlockConfig> existing_channel_layout(const std::string& shm_name,
                                                           const std::vector<const datablock::ChecksumPolicy*>& checksum_plugins) {
    auto segment = datablock::Inspector::open(shm_name);
    if (!segment) return std::move(segment).error();
    const datablock::SegmentDiagnostic seen = segment->recorded();
    datablock::DataBlockConfig config = seen.config;
    if (seen.checksum_id >= datablock::kFirstPluginChecksumId) {
        for (const datablock::ChecksumPolicy* policy : checksum_plugins) {
            if (policy->id == seen.checksum_id) config.checksum_policy = policy;
        }
        if (config.checksum_policy == nullptr) {
            return make_error(ErrorCode::not_found,
                              "datablock '" + shm_name + "' uses checksum plugin id " + std::to_string(seen.checksum_id) +
                                  ", which no checksum plugin found here provides (add its directory to plugin_path)");
        }
    }
    return config;
}

std::string consumer_count_problem(const std::string& channel, const datablock::DataBlockConfig& config, std::size_t consumers) {
    if (config.sync == datablock::SyncPolicy::single_reader && consumers > 1) {
        return "channel '" + channel + "' is single_reader but has " + std::to_string(consumers) +
            " consumers; use sync_reader (lossless, several) or latest_only";
    }
    if (config.sync == datablock::SyncPolicy::sync_reader && consumers > config.max_consumers) {
        return "channel '" + channel + "' has " + std::to_string(consumers) + " consumers but max_consumers " +
            std::to_string(config.max_consumers);
    }
    return {};
}

Result<void> check_consumer_schema(const std::string& consumer, const std::string& channel, const SchemaDescription& wanted,
                                   const SchemaDescription& carried) {
    auto want = schema::SchemaInfo::from_blds(wanted.name, wanted.blds, wanted.version);
    auto have = schema::SchemaInfo::from_blds(carried.name, carried.blds, carried.version);
    if (!want || !have) return {};  // malformed schemas are reported where they are declared
    if (auto compatible = schema::check_compatible(*want, *have); !compatible) {
        return make_error(ErrorCode::mismatch,
                          "consumer '" + consumer + "' cannot read channel '" + channel + "': " + compatible.error().message);
    }
    return {};
}

std::string format_problems(std::vector<PipelineProblem> problems) {
    std::stable_sort(problems.begin(), problems.end(), [](const PipelineProblem& a, const PipelineProblem& b) {
        return std::tie(a.position.line, a.position.column) < std::tie(b.position.line, b.position.column);
    });
    std::ostringstream out;
    for (const auto& p : problems) out << p.position.to_string() << p.message << "\n";
    return out.str();
}

PipelinePlan plan_pipeline(const PipelineSpec& spec, const PluginRegistry& registry, std::vector<PipelineProblem>& problems) {
    PipelinePlan plan;
    auto problem = [&](const SourcePosition& where, std::string message) { problems.push_back({where, std::move(message)}); };

    std::vector<std::string> channel_names;
    for (const auto& c : spec.channels) channel_names.push_back(c.name);
    for (const auto& p : registry.plugins()) {
        if (p.checksum) plan.checksum_plugins.push_back(&*p.checksum);
    }

    for (const auto& channel : spec.channels) {
        PlannedChannel planned;
        planned.spec = &channel;
        planned.shm_name = channel_shm_name(channel.name);
        datablock::DataBlockConfig& config = planned.config;
        config.slot_count = channel.slots;
        config.slot_bytes = channel.slot_bytes;
        config.sync = datablock::parse_sync_policy(channel.sync).value();
        config.checksum_mode = channel.checksum_mode == "manual" ? datablock::ChecksumMode::manual : datablock::ChecksumMode::enforced;
        config.max_consumers = channel.max_consumers;
        config.permissions = channel.permissions;
        for (const auto& zone : channel.zones) config.flex_zones.push_back({zone.name, zone.bytes});
        if (channel.external) {
            // Its creator chose the layout. When its segment exists already,
            // check against that; else the run checks once it attaches.
            auto existing = existing_channel_layout(planned.shm_name, plan.checksum_plugins);
            if (existing) config = *existing;
            else if (existing.error().code != ErrorCode::not_found)
                problem(channel.position, "channel '" + channel.name + "': " + existing.error().message);
            planned.layout_known = existing.has_value();
            plan.channels.push_back(std::move(planned));
            continue;
        }
        if (auto builtin = datablock::parse_checksum_kind(channel.checksum)) {
            config.checksum = *builtin;
        } else if (const PluginInfo* plugin = registry.find(channel.checksum); plugin != nullptr && plugin->checksum) {
            config.checksum_policy = &*plugin->checksum;
        } else {
            std::vector<std::string> known = {"none", "blake2b", "xxh3"};
            for (const auto& p : registry.plugins()) {
                if (p.checksum && std::find(known.begin(), known.end(), p.id) == known.end()) known.push_back(p.id);
            }
            std::string message = "checksum: '" + channel.checksum + "' is neither a built-in policy nor a checksum plugin";
            if (auto guess = did_you_mean(channel.checksum, known)) message += " (did you mean '" + *guess + "'?)";
            problem(key_position(channel, "checksum"), message);
        }
        if (!channel.external) plan.shared_memory_bytes += datablock::Producer::segment_bytes(config);
        plan.channels.push_back(std::move(planned));
    }

    auto find_channel = [&](const std::string& name) -> PlannedChannel* {
        for (auto& c : plan.channels) {
            if (c.spec->name == name) return &c;
        }
        return nullptr;
    };
    auto unknown_channel = [&](const SourcePosition& where, const std::string& name) {
        std::string message = "no channel '" + name + "' in this pipeline";
        if (auto guess = did_you_mean(name, channel_names)) message += " (did you mean '" + *guess + "'?)";
        else message += " (declare it under channels:)";
        problem(where, message);
    };
    auto resolve_plugin = [&](const ComponentSpec& component, plh_plugin_kind kind) -> const PluginInfo* {
        if (component.plugin.empty()) return nullptr;
        const PluginInfo* plugin = registry.find(component.plugin, kind);
        if (plugin == nullptr) plugin = registry.find(component.plugin);  // of another kind: said below
        if (plugin == nullptr) {
            if (std::string failed = registry.load_failure_text(component.plugin); !failed.empty()) {
                problem(component.plugin_position, std::move(failed));
                return nullptr;
            }
            std::string message = "unknown plugin '" + component.plugin + "'";
            if (auto guess = registry.suggest(component.plugin)) message += " (did you mean '" + *guess + "'?)";
            message += "; searched:";
            for (const auto& dir : registry.searched()) message += " " + dir.string();
            if (registry.searched().empty()) message += " (no plugin directory exists)";
            problem(component.plugin_position, message);
            return nullptr;
        }
        if (plugin->kind != kind) {
            problem(component.plugin_position,
                    "plugin '" + component.plugin + "' is a " + std::string(kind_name(plugin->kind)) + " plugin, not a " +
                        std::string(kind_name(kind)));
            return nullptr;
        }
        return plugin;
    };
    auto resolve_component = [&](const ComponentSpec& component, plh_plugin_kind kind) -> std::optional<PlannedComponent> {
        const PluginInfo* plugin = resolve_plugin(component, kind);
        if (plugin == nullptr) return std::nullopt;
        auto resolved = resolve_config(plugin->config, component.config, component.config_position);
        if (auto* found = std::get_if<std::vector<ConfigProblem>>(&resolved)) {
            for (auto& p : *found) {
                p.message = std::string(kind_name(kind)) + " '" + component.id + "' (plugin " + plugin->id + "): " + p.message;
                problems.push_back(std::move(p));
            }
            return std::nullopt;
        }
        return PlannedComponent{&component, plugin, std::get<ResolvedConfig>(std::move(resolved))};
    };

    std::map<std::string, std::string> ids;  // id -> kind, for duplicates across sections
    auto check_id = [&](const ComponentSpec& component, const char* kind) {
        if (auto found = ids.find(component.id); found != ids.end()) {
            problem(component.position, "id '" + component.id + "' is already used by a " + found->second);
        }
        ids[component.id] = kind;
    };

    bool producer_reference_unresolved = false;  // then "no producer" may be that typo's echo
    for (const auto& producer : spec.producers) {
        check_id(producer, "producer");
        auto planned = resolve_component(producer, PLH_KIND_PRODUCER);
        for (std::size_t i = 0; i < producer.channels.size(); ++i) {
            PlannedChannel* channel = find_channel(producer.channels[i]);
            if (channel == nullptr) {
                unknown_channel(producer.channel_positions[i], producer.channels[i]);
                producer_reference_unresolved = true;
                continue;
            }
            if (channel->spec->external) {
                problem(producer.channel_positions[i],
                        "channel '" + producer.channels[i] + "' is external (created by another host); a producer here cannot write it");
            } else if (!channel->producer_id.empty()) {
                problem(producer.channel_positions[i],
                        "channel '" + producer.channels[i] + "' already has producer '" + channel->producer_id +
                            "'; a channel has exactly one");
            } else {
                channel->producer_id = producer.id;
            }
            if (planned && planned->plugin->schema) {
                auto summary = schema::parse_blds(planned->plugin->schema->blds);
                if (summary && summary->struct_size > channel->config.slot_bytes) {
                    problem(producer.channel_positions[i],
                            "producer '" + producer.id + "' writes '" + planned->plugin->schema->name + "' of " +
                                std::to_string(summary->struct_size) + " bytes; channel '" + channel->spec->name + "' has slot_bytes " +
                                std::to_string(channel->config.slot_bytes));
                }
            }
        }
        if (planned) plan.producers.push_back(std::move(*planned));
    }

    // The writer of a channel: a producer or a processor, exactly one.
    auto claim_channel = [&](const ComponentSpec& writer, const char* kind) -> PlannedChannel* {
        PlannedChannel* channel = find_channel(writer.output);
        if (channel == nullptr) {
            unknown_channel(writer.output_position, writer.output);
            producer_reference_unresolved = true;
            return nullptr;
        }
        if (channel->spec->external) {
            problem(writer.output_position,
                    "channel '" + writer.output + "' is external (created by another host); a " + kind + " here cannot write it");
        } else if (!channel->producer_id.empty()) {
            problem(writer.output_position,
                    "channel '" + writer.output + "' already has writer '" + channel->producer_id +
                        "'; a channel has exactly one (a producer or a processor)");
        } else {
            channel->producer_id = writer.id;
        }
        return channel;
    };
    std::vector<PlannedComponent> processors;
    for (const auto& processor : spec.processors) {
        check_id(processor, "processor");
        auto planned = resolve_component(processor, PLH_KIND_PROCESSOR);
        claim_channel(processor, "processor");
        if (planned) processors.push_back(std::move(*planned));
    }
    // An inbound transport is its channel's writer; the sender decides the
    // sync policy and the slot size, so those are known once it streams.
    for (const auto& transport : spec.transports) {
        check_id(transport, "transport");
        if (transport.direction != "in") continue;
        if (PlannedChannel* channel = claim_channel(transport, "transport"); channel != nullptr && !channel->spec->external) {
            channel->fed_by_transport = true;
            channel->layout_known = channel->spec->key_positions.count("sync") != 0;
        }
    }

    auto writer_plugin = [&](const PlannedChannel& channel) -> const PluginInfo* {
        for (const auto* list : {&plan.producers, &processors}) {
            for (const auto& p : *list) {
                if (p.spec->id == channel.producer_id) return p.plugin;
            }
        }
        return nullptr;
    };
    // Each input: the channel exists, the read policy fits the channel, and
    // the reader's schema fits what the writer declares.
    auto plan_inputs = [&](const ComponentSpec& reader, const char* kind, std::optional<PlannedComponent>& planned) {
        for (std::size_t i = 0; i < reader.channels.size(); ++i) {
            const InputOptions options = i < reader.inputs.size() ? reader.inputs[i] : InputOptions{};
            PlannedChannel* channel = find_channel(reader.channels[i]);
            if (channel == nullptr) {
                unknown_channel(reader.channel_positions[i], reader.channels[i]);
                continue;
            }
            PlannedInput input;
            if (options.read.empty() || options.read == "lossless") {
                if (options.read == "lossless" && channel->layout_known && channel->config.sync == datablock::SyncPolicy::latest_only) {
                    problem(options.read_position,
                            "read: lossless on channel '" + channel->spec->name +
                                "', whose writer never waits (sync: latest_only); read it without 'read:' "
                                "(newest slots) or make the channel single_reader or sync_reader");
                }
                channel->consumer_ids.push_back(reader.id);
            } else {
                const PluginInfo* policy = registry.find(options.read);
                if (policy == nullptr || !policy->sync || policy->sync->select == nullptr) {
                    std::vector<std::string> known = {"lossless"};
                    for (const auto& p : registry.plugins()) {
                        if (p.sync && p.sync->select != nullptr) known.push_back(p.id);
                    }
                    std::string message = "read: '" + options.read + "' is not a read policy (known:";
                    for (const auto& k : known) message += " " + k;
                    message += ")";
                    if (auto guess = did_you_mean(options.read, known)) message += "; did you mean '" + *guess + "'?";
                    problem(options.read_position, message);
                    continue;
                }
                auto resolved = resolve_config(policy->config, options.config, options.config_position);
                if (auto* found = std::get_if<std::vector<ConfigProblem>>(&resolved)) {
                    for (auto& p : *found) {
                        p.message = std::string(kind) + " '" + reader.id + "', input '" + channel->spec->name + "' (read policy " +
                            policy->id + "): " + p.message;
                        problems.push_back(std::move(p));
                    }
                    continue;
                }
                input.policy = policy;
                input.config = std::get<ResolvedConfig>(std::move(resolved));
                channel->policy_reader_ids.push_back(reader.id);
            }
            if (planned) planned->inputs.push_back(std::move(input));
            if (!planned || !planned->plugin->schema || channel->producer_id.empty()) continue;
            // Both schemas known now: a mismatch is found before anything runs.
            const PluginInfo* producer_plugin = writer_plugin(*channel);
            if (producer_plugin == nullptr || !producer_plugin->schema) continue;
            if (auto fits = check_consumer_schema(reader.id, channel->spec->name, *planned->plugin->schema, *producer_plugin->schema);
                !fits) {
                problem(reader.channel_positions[i], fits.error().message);
            }
        }
    };
    for (auto& processor : processors) {
        std::optional<PlannedComponent> planned = std::move(processor);
        planned->inputs.clear();
        plan_inputs(*planned->spec, "processor", planned);
        processor = std::move(*planned);
    }
    // Processors start after the writers of their inputs: order them, and
    // refuse a cycle (nothing in it could ever start).
    {
        std::vector<PlannedComponent> pending = std::move(processors);
        std::set<std::string> written;  // channels whose writer is placed
        for (const auto& p : plan.producers) written.insert(p.spec->output);
        for (const auto& t : spec.transports) written.insert(t.output);
        for (const auto& c : plan.channels) {
            if (c.spec->external || c.producer_id.empty()) written.insert(c.spec->name);
        }
        while (!pending.empty()) {
            const auto ready = std::find_if(pending.begin(), pending.end(), [&](const PlannedComponent& p) {
                return std::all_of(p.spec->channels.begin(), p.spec->channels.end(),
                                   [&](const std::string& ch) { return written.count(ch) != 0 || find_channel(ch) == nullptr; });
            });
            if (ready == pending.end()) {
                std::string cycle;
                for (const auto& p : pending) cycle += (cycle.empty() ? "'" : ", '") + p.spec->id + "'";
                problem(pending.front().spec->position,
                        "processors " + cycle + " read each other's channels in a cycle; none of them could start");
                break;
            }
            written.insert(ready->spec->output);
            plan.processors.push_back(std::move(*ready));
            pending.erase(ready);
        }
    }

    for (const auto& consumer : spec.consumers) {
        check_id(consumer, "consumer");
        auto planned = resolve_component(consumer, PLH_KIND_CONSUMER);
        plan_inputs(consumer, "consumer", planned);
        if (planned) plan.consumers.push_back(std::move(*planned));
    }

    for (const auto& transport : spec.transports) {
        auto planned = resolve_component(transport, PLH_KIND_TRANSPORT);
        if (transport.direction == "out") plan_inputs(transport, "transport", planned);
        if (planned) plan.transports.push_back(std::move(*planned));
    }

    // Two consumers writing one file would interleave their records: a
    // consumer's `path` names what it writes, so no two may share one. An
    // existing directory is no such file (the python plugin's `path` is
    // where it finds its module), so any number may name it.
    std::map<std::string, const PlannedComponent*> writers;
    for (const auto& consumer : plan.consumers) {
        const auto found = consumer.config.find("path");
        const auto* path = found != consumer.config.end() ? std::get_if<std::string>(&found->second) : nullptr;
        if (path == nullptr || path->empty()) continue;
        const std::string key = std::filesystem::path(*path).lexically_normal().string();
        if (std::error_code ignored; std::filesystem::is_directory(key, ignored)) continue;
        if (auto [first, fresh] = writers.emplace(key, &consumer); !fresh) {
            problem(consumer.spec->config_position,
                    "consumer '" + consumer.spec->id + "' writes '" + *path + "', as consumer '" + first->second->spec->id +
                        "' does; give each its own path");
        }
    }

    for (const auto& channel : plan.channels) {
        if (!channel.spec->external && channel.producer_id.empty() && !producer_reference_unresolved) {
            problem(channel.spec->position,
                    "channel '" + channel.spec->name +
                        "' has no producer; give it one (or a processor), or mark it 'external: true' to read a "
                        "channel another pylabhub process creates");
        }
        if (!channel.layout_known) continue;
        if (auto why = consumer_count_problem(channel.spec->name, channel.config, channel.consumer_ids.size()); !why.empty()) {
            const bool too_many = channel.config.sync == datablock::SyncPolicy::sync_reader;
            problem(key_position(*channel.spec, too_many ? "max_consumers" : "sync"), why);
        }
    }

    if (auto free_bytes = platform::SharedMemory::available_bytes(); free_bytes && plan.shared_memory_bytes > *free_bytes) {
        problem({spec.file.string(), 1, 1},
                "the channels need " + mib(plan.shared_memory_bytes) + " of shared memory but /dev/shm has " + mib(*free_bytes) +
                    " free; use fewer or smaller slots");
    }
    return plan;
}

}  // namespace pylabhub::host
