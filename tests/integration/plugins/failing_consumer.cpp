// A consumer that fails on its Nth slot: the host must report it and keep
// the rest of the pipeline running.
#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

class FailsAfter final : public sdk::Consumer {
public:
    static constexpr sdk::PluginInfo info{"fails-after", "0.0.1", "fails on its Nth slot (tests)"};
    static constexpr plh_config_entry config[] = {sdk::integer("after", "100", "slots to take before failing", 1, 1e9)};

    explicit FailsAfter(sdk::Host host) : Consumer(host), after_(static_cast<std::uint64_t>(host.config_int("after"))) {}

    void consume(std::span<const std::byte>, const plh_slot_info&) override {
        if (++seen_ >= after_) throw sdk::PluginError(PLH_ERR_IO, "injected failure after " + std::to_string(seen_) + " slots");
    }

private:
    std::uint64_t after_;
    std::uint64_t seen_ = 0;
};

} // namespace

PYLABHUB_PLUGIN_LIBRARY(FailsAfter)
