// The DataBlock's sync protocols as plugins of the sync kind.
#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

struct LatestOnly : sdk::SyncPolicy {
    static constexpr sdk::PluginInfo info{"latest_only", "1.0.0", "readers get the newest slot; the writer never waits"};
    static constexpr std::uint32_t policy_id = 1;
    static constexpr std::uint32_t lossless = 0;
    static constexpr std::uint32_t max_consumers = 0;
};

struct SingleReader : sdk::SyncPolicy {
    static constexpr sdk::PluginInfo info{"single_reader", "1.0.0", "one lossless consumer; the writer waits when the ring is full"};
    static constexpr std::uint32_t policy_id = 2;
    static constexpr std::uint32_t lossless = 1;
    static constexpr std::uint32_t max_consumers = 1;
};

struct SyncReader : sdk::SyncPolicy {
    static constexpr sdk::PluginInfo info{"sync_reader", "1.0.0", "lossless consumers; the writer waits for the slowest live one"};
    static constexpr std::uint32_t policy_id = 3;
    static constexpr std::uint32_t lossless = 1;
    static constexpr std::uint32_t max_consumers = 0;
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(LatestOnly, SingleReader, SyncReader)
