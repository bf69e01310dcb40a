// counter: a monotonic sequence and a pattern derived from it, so that a
// consumer or `pylabhub verify` can prove that nothing was lost, repeated,
// reordered or corrupted.
#include <chrono>
#include <cstring>
#include <string>

#include <pylabhub/sdk/pacer.hpp>
#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

class Counter final : public sdk::Producer {
public:
    static constexpr sdk::PluginInfo info{"counter", "1.0.0", "monotonic u64 counter plus a derived byte pattern, for integrity tests"};
    static constexpr plh_config_entry config[] = {
        sdk::real("rate_hz", "1000", "slots per second; 0 writes as fast as the ring allows", 0, 1e9),
        sdk::integer("count", "0", "slots to write before ending the stream; 0 for no end", 0, 9.0e18),
        sdk::with_range(sdk::size("payload_bytes", "64", "bytes per slot: 16 of header, the rest pattern"), 16, 1073741824),
    };

    explicit Counter(sdk::Host host)
        : Producer(host),
          pacer_(host, host.config_float("rate_hz")),
          count_(static_cast<std::uint64_t>(host.config_int("count"))),
          payload_(host.config_size("payload_bytes")) {
        host.declare_schema("pylabhub.counter", "1.0.0",
                            "{seq@0:u64;counter@8:u64;pattern@16:u8[" + std::to_string(payload_ - 16) + "]}#" + std::to_string(payload_));
    }

    WaitResult wait_next(std::chrono::nanoseconds timeout) override {
        if (count_ != 0 && sequence_ >= count_) return WaitResult::end_of_stream;
        return pacer_.wait(timeout);
    }

    std::size_t fill(std::span<std::byte> slot) override {
        if (slot.size() < payload_) {
            throw sdk::PluginError(
                PLH_ERR_CONFIG,
                "payload_bytes " + std::to_string(payload_) + " does not fit the channel's slot of " + std::to_string(slot.size()));
        }
        const std::uint64_t counter = sequence_ * 3 + 1;
        std::memcpy(slot.data(), &sequence_, 8);
        std::memcpy(slot.data() + 8, &counter, 8);
        // Locals, not members: a byte store may alias `this`, and the
        // compiler would reload both every byte instead of vectorizing.
        auto* pattern = reinterpret_cast<std::uint8_t*>(slot.data() + 16);
        const std::uint64_t base = sequence_;
        const std::size_t length = payload_ - 16;
        for (std::size_t i = 0; i < length; ++i) pattern[i] = static_cast<std::uint8_t>(base + i * 7);
        ++sequence_;
        pacer_.advance();
        return payload_;
    }

private:
    sdk::Pacer pacer_;
    std::uint64_t count_;
    std::uint64_t payload_;
    std::uint64_t sequence_ = 0;
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(Counter)
