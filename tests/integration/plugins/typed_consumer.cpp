// A consumer that reads one schema only (lab.Temperature): the host must
// refuse to give it a channel of another, naming both schemas and hashes.
#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

class TemperatureReader final : public sdk::Consumer {
public:
    static constexpr sdk::PluginInfo info{"temperature-reader", "0.0.1", "reads lab.Temperature slots only (tests)"};
    static constexpr plh_schema_desc schema{sizeof(plh_schema_desc), "lab.Temperature", "1.0.0", "{t@0:u64;celsius@8:f64}#16"};

    explicit TemperatureReader(sdk::Host host) : Consumer(host) {}
    void consume(std::span<const std::byte>, const plh_slot_info&) override {}
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(TemperatureReader)
