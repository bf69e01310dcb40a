// The plugin of docs/sdk-guide.md, kept here so the guide stays true: the
// test suite builds it with the guide's command line and inspects it.
#include <chrono>
#include <cstring>
#include <string>

#include <pylabhub/sdk/pacer.hpp>
#include <pylabhub/sdk/plugin.hpp>

namespace sdk = pylabhub::sdk;

class Thermometer final : public sdk::Producer {
public:
    // What `pylabhub inspect` shows.
    static constexpr sdk::PluginInfo info{"thermometer", "1.0.0", "one temperature reading at rate_hz"};
    // The config map: the host checks user input against it (types, ranges,
    // required, unknown keys) and fills defaults before your constructor runs.
    static constexpr plh_config_entry config[] = {
        sdk::real("rate_hz", "10", "readings per second", 0.01, 1000),
        sdk::required_string("sensor", "device path, e.g. /dev/ttyUSB0"),
    };
    // The slot layout (docs/schema.md); consumers that expect another are refused.
    static constexpr plh_schema_desc schema{sizeof(plh_schema_desc), "lab.Temperature", "1.0.0", "{t_ns@0:u64;celsius@8:f64}#16"};

    explicit Thermometer(sdk::Host host)
        : Producer(host), pacer_(host, host.config_float("rate_hz")), sensor_(host.config_string("sensor")) {
        host.info("reading " + sensor_);
        // Throwing here (sdk::ConfigError, sdk::PluginError, anything) fails
        // `create`: the host reports your message and keeps running.
    }

    // Called on the producer thread: wait until the next sample is due.
    WaitResult wait_next(std::chrono::nanoseconds timeout) override { return pacer_.wait(timeout); }

    // Then write the sample straight into the shared-memory slot.
    std::size_t fill(std::span<std::byte> slot) override {
        const std::uint64_t t = host().now_ns();
        const double celsius = 21.5;  // read the device here
        std::memcpy(slot.data(), &t, 8);
        std::memcpy(slot.data() + 8, &celsius, 8);
        pacer_.advance();
        return 16;
    }

private:
    sdk::Pacer pacer_;  // samples due every 1/rate_hz, catching up if late
    std::string sensor_;
};

PYLABHUB_PLUGIN_LIBRARY(Thermometer)  // one line: the entry symbol
