// SDK plugins that fail in create: the host must report their message and
// carry on.
#include <stdexcept>

#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

class ThrowsOnCreate final : public sdk::Producer {
public:
    static constexpr sdk::PluginInfo info{"throws-on-create", "0.0.1", "its constructor throws"};
    explicit ThrowsOnCreate(sdk::Host host) : Producer(host) { throw std::runtime_error("sensor not connected"); }
    WaitResult wait_next(std::chrono::nanoseconds) override { return WaitResult::end_of_stream; }
    std::size_t fill(std::span<std::byte>) override { return 0; }
};

class ReadsMissingConfig final : public sdk::Consumer {
public:
    static constexpr sdk::PluginInfo info{"reads-missing-config", "0.0.1", "asks for a config key it never declared"};
    explicit ReadsMissingConfig(sdk::Host host) : Consumer(host) { (void)host.config_int("undeclared"); }
    void consume(std::span<const std::byte>, const plh_slot_info&) override {}
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(ThrowsOnCreate, ReadsMissingConfig)
