// A channel as the plugin ABI describes it to the instances wired to it.
#include "pipeline/component_runtime.hpp"
#include "pylabhub/datablock/checksum.hpp"

namespace pylabhub::host {

InputDescription describe_channel(const ChannelRuntime& channel) {
    const auto& config = channel.config;
    InputDescription description;
    description.channel = channel.plan->spec->name;
    description.schema = channel.schema;
    description.schema_hash_hex = channel.schema_hash_hex;
    description.slot_bytes = config.slot_bytes;
    description.slot_count = config.slot_count;
    description.sync_policy = static_cast<std::uint32_t>(config.sync);
    description.checksum_policy = config.checksum_policy ? config.checksum_policy->id : static_cast<std::uint32_t>(config.checksum);
    description.zones = config.flex_zones;
    description.read_lossless = true;
    return description;
}

}  // namespace pylabhub::host
