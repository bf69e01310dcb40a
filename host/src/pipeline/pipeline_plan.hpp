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
    std::string producer_id;  ///< empty for external channels
    std::vector<std::string> consumer_ids;
};

struct PlannedComponent {
    const ComponentSpec* spec = nullptr;
    const PluginInfo* plugin = nullptr;
    ResolvedConfig config;
};

struct PipelinePlan {
    std::vector<PlannedChannel> channels;
    std::vector<PlannedComponent> producers;
    std::vector<PlannedComponent> consumers;
    std::uint64_t shared_memory_bytes = 0;  ///< of the channels this pipeline creates
};

/// Whether a consumer that declares `wanted` may read a channel carrying
/// `carried` (docs/schema.md); the error says "consumer 'ID' cannot read
/// channel 'NAME': ..." with both schemas and hashes.
Result<void> check_consumer_schema(const std::string& consumer, const std::string& channel,
                                   const SchemaDescription& wanted, const SchemaDescription& carried);

/// The segment name of a channel: channel names are machine-wide.
std::string channel_shm_name(const std::string& channel);

/// Checks everything that can be checked without starting anything; appends
/// every problem found to `problems`.
PipelinePlan plan_pipeline(const PipelineSpec& spec, const PluginRegistry& registry,
                           std::vector<PipelineProblem>& problems);

/// Sorted by file position, printed as "file:line:col: message".
std::string format_problems(std::vector<PipelineProblem> problems);

} // namespace pylabhub::host
