// sine: N float channels at rate_hz — the quickstart's instrument.
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>

#include <pylabhub/sdk/pacer.hpp>
#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

class Sine final : public sdk::Producer {
public:
    static constexpr sdk::PluginInfo info{"sine", "1.0.0", "N sine channels at rate_hz (float32), for demos and tests"};
    static constexpr plh_config_entry config[] = {
        sdk::integer("channels", "8", "number of channels", 1, 1024),
        sdk::real("rate_hz", "1000", "samples per second", 0.001, 1e7),
        sdk::real("frequency_hz", "1", "frequency of channel 0; channel k runs at (k+1) times it", 0, 1e6),
        sdk::real("amplitude", "1", "peak value", 0, 1e30),
    };

    explicit Sine(sdk::Host host)
        : Producer(host),
          channels_(static_cast<std::size_t>(host.config_int("channels"))),
          pacer_(host, host.config_float("rate_hz")),
          frequency_hz_(host.config_float("frequency_hz")),
          amplitude_(host.config_float("amplitude")) {
        // {seq, t_ns, value[N]}: the layout depends on `channels`.
        const std::size_t size = (16 + 4 * channels_ + 7) / 8 * 8;
        host.declare_schema("pylabhub.sine", "1.0.0",
                            "{seq@0:u64;t_ns@8:u64;value@16:f32[" + std::to_string(channels_) + "]}#" + std::to_string(size));
    }

    WaitResult wait_next(std::chrono::nanoseconds timeout) override { return pacer_.wait(timeout); }

    std::size_t fill(std::span<std::byte> slot) override {
        const std::size_t size = 16 + 4 * channels_;
        if (slot.size() < size) {
            throw sdk::PluginError(PLH_ERR_CONFIG,
                                   "slot of " + std::to_string(slot.size()) + " bytes is too small for " + std::to_string(channels_) +
                                       " channels (" + std::to_string(size) + " needed)");
        }
        const std::uint64_t t_ns = pacer_.due_since_start_ns();
        std::memcpy(slot.data(), &sequence_, 8);
        std::memcpy(slot.data() + 8, &t_ns, 8);
        const double t = static_cast<double>(t_ns) * 1e-9;
        for (std::size_t k = 0; k < channels_; ++k) {
            const auto value = static_cast<float>(amplitude_ * std::sin(2 * M_PI * frequency_hz_ * double(k + 1) * t));
            std::memcpy(slot.data() + 16 + 4 * k, &value, 4);
        }
        ++sequence_;
        pacer_.advance();
        return size;
    }

private:
    std::size_t channels_;
    sdk::Pacer pacer_;
    double frequency_hz_;
    double amplitude_;
    std::uint64_t sequence_ = 0;
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(Sine)
