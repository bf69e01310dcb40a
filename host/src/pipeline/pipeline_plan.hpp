// A pipeline checked against the plugins that exist: what `validate`
// reports on and what `run` starts. Building a plan starts nothing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pipeline/pipeline_spec.hpp"
#include "plugins/plugin_registry.hpp"
#include "pylabhub/datablock/config.hpp"

namespace pylabhub::host {

struct PlannedChannel {
    const ChannelSpec* spec = nullptr;
    std::string shm_name;  ///< "/plh.<channel>"
    datablock::DataBlockConfig config;
    std::string producer_id;                     ///< its writer: a producer or a processor; empty for external channels
    std::vector<std::string> consumer_ids;       ///< readers that take a place in its consumer table
    std::vector<std::string> policy_reader_ids;  ///< readers by a read policy (no place; never waited for)
    /// False for an external channel whose segment does not exist yet, and
    /// for one an inbound transport writes (its sync and slot size arrive
    /// with the stream): `config` is then a placeholder until the run knows.
    bool layout_known = true;
    bool fed_by_transport = false;  ///< written by an inbound transport
};

/// How one input is read: by the channel's own protocol (`policy` null),
/// or by a read policy plugin with its checked config.
struct PlannedInput {
    const PluginInfo* policy = nullptr;
    ResolvedConfig config;
};

struct PlannedComponent {
    const ComponentSpec* spec = nullptr;
    const PluginInfo* plugin = nullptr;
    ResolvedConfig config;
    std::vector<PlannedInput> inputs;  ///< consumers and processors, one per input
};

struct PipelinePlan {
    std::vector<PlannedChannel> channels;
    std::vector<PlannedComponent> producers;
    std::vector<PlannedComponent> consumers;
    /// In an order where every processor comes after the writers of its inputs.
    std::vector<PlannedComponent> processors;
    std::vector<PlannedComponent> transports;  ///< `in` and `out`, as written
    std::uint64_t shared_memory_bytes = 0;     ///< of the channels this pipeline creates
    /// Every checksum plugin found: an external channel may use any of them.
    std::vector<const datablock::ChecksumPolicy*> checksum_plugins;
};

/// The layout an existing segment was created with (geometry, sync,
/// checksum and mode), its plugin checksum resolved among `checksum_plugins`.
/// An external channel is consumed with this, never with YAML defaults.
Result<datablock::DataBlockConfig> existing_channel_layout(const std::string& shm_name,
                                                           const std::vector<const datablock::ChecksumPolicy*>& checksum_plugins);

/// Why `consumers` readers cannot share a channel of this layout (its sync
/// policy or consumer table), or "" when they can.
std::string consumer_count_problem(const std::string& channel, const datablock::DataBlockConfig& config, std::size_t consumers);

/// Whether a consumer that declares `wanted` may read a channel carrying
/// `carried` (docs/schema.md); the error says "consumer 'ID' cannot read
/// channel 'NAME': ..." with both schemas and hashes.
Result<void> check_consumer_schema(const std::string& consumer, const std::string& channel, const SchemaDescription& wanted,
                                   const SchemaDescription& carried);

/// The segment name of a channel: channel names are machine-wide.
std::string channel_shm_name(const std::string& channel);

/// Checks everything that can be checked without starting anything; appends
/// every problem found to `problems`.
PipelinePlan plan_pipeline(const PipelineSpec& spec, const PluginRegistry& registry, std::vector<PipelineProblem>& problems);

/// Sorted by file position, printed as "file:line:col: message".
std::string format_problems(std::vector<PipelineProblem> problems);

}  // namespace pylabhub::host
