// null: reads and discards; counts slots and bytes. For benchmarks and for
// measuring a producer alone.
#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

class Null final : public sdk::Consumer {
public:
    static constexpr sdk::PluginInfo info{"null", "1.0.0", "discards every slot; counts slots and bytes"};

    explicit Null(sdk::Host host) : Consumer(host) {}

    void consume(std::span<const std::byte> data, const plh_slot_info&) override {
        ++slots_;
        bytes_ += data.size();
    }

    void flush() override {
        host().metric("slots", slots_);
        host().metric("bytes", bytes_);
    }

private:
    std::uint64_t slots_ = 0;
    std::uint64_t bytes_ = 0;
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(Null)
