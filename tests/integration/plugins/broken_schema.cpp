// A producer whose schema does not parse (two members overlap): the host
// must refuse to load it and say why wherever the plugin is asked for.
#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

class BrokenSchema final : public sdk::Producer {
public:
    static constexpr sdk::PluginInfo info{"broken-schema", "0.0.1", "declares an impossible schema (tests)"};
    static constexpr plh_schema_desc schema{sizeof(plh_schema_desc), "lab.Bad", "1.0.0", "{t@0:u64;x@4:f64}#16"};

    explicit BrokenSchema(sdk::Host host) : Producer(host) {}
    WaitResult wait_next(std::chrono::nanoseconds) override { return WaitResult::ready; }
    std::size_t fill(std::span<std::byte>) override { return 0; }
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(BrokenSchema)
