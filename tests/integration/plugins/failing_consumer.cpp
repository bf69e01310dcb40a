// A consumer and a producer that fail on their Nth slot: the host must
// report it when it happens and keep the rest of the pipeline running.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include <pylabhub/sdk/pacer.hpp>
#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

// Instances made in this process (the library stays loaded): `times` lets
// only the first ones fail, as a device that recovers after a reset.
std::atomic<std::int64_t> consumers_made{0};
std::atomic<std::int64_t> producers_made{0};
std::atomic<std::int64_t> processors_made{0};

class FailsAfter final : public sdk::Consumer {
public:
    static constexpr sdk::PluginInfo info{"fails-after", "0.0.1", "fails on its Nth slot (tests)"};
    static constexpr plh_config_entry config[] = {sdk::integer("after", "100", "slots to take before failing", 1, 1e9),
                                                  sdk::integer("times", "0", "only the first N instances fail (0: every one)", 0, 1e9)};

    explicit FailsAfter(sdk::Host host)
        : Consumer(host),
          after_(static_cast<std::uint64_t>(host.config_int("after"))),
          fails_(host.config_int("times") == 0 || ++consumers_made <= host.config_int("times")) {}

    void consume(std::span<const std::byte>, const plh_slot_info&) override {
        if (++seen_ >= after_ && fails_) throw sdk::PluginError(PLH_ERR_IO, "injected failure after " + std::to_string(seen_) + " slots");
    }

private:
    std::uint64_t after_;
    bool fails_;
    std::uint64_t seen_ = 0;
};

class ProducerFailsAfter final : public sdk::Producer {
public:
    static constexpr sdk::PluginInfo info{"fails-after-producer", "0.0.1", "writes at rate_hz, fails on its Nth slot (tests)"};
    static constexpr plh_config_entry config[] = {sdk::integer("after", "100", "slots to write before failing", 1, 1e9),
                                                  sdk::real("rate_hz", "1000", "slots per second; 0: as fast as the ring allows", 0, 1e6),
                                                  sdk::integer("times", "0", "only the first N instances fail (0: every one)", 0, 1e9)};

    explicit ProducerFailsAfter(sdk::Host host)
        : Producer(host),
          after_(static_cast<std::uint64_t>(host.config_int("after"))),
          pacer_(host, host.config_float("rate_hz")),
          fails_(host.config_int("times") == 0 || ++producers_made <= host.config_int("times")) {}

    WaitResult wait_next(std::chrono::nanoseconds timeout) override { return pacer_.wait(timeout); }
    std::size_t fill(std::span<std::byte> slot) override {
        if (++written_ > after_ && fails_)
            throw sdk::PluginError(PLH_ERR_IO, "injected failure after " + std::to_string(after_) + " slots");
        pacer_.advance();
        slot[0] = std::byte{1};
        return 1;
    }

private:
    std::uint64_t after_;
    sdk::Pacer pacer_;
    bool fails_;
    std::uint64_t written_ = 0;
};

/// Passes each slot on unchanged (with its input's schema); fails on its Nth.
class ProcessorFailsAfter final : public sdk::Processor {
public:
    static constexpr sdk::PluginInfo info{"fails-after-processor", "0.0.1", "passes slots on, fails on its Nth (tests)"};
    static constexpr plh_config_entry config[] = {sdk::integer("after", "100", "slots to pass before failing", 1, 1e9),
                                                  sdk::integer("times", "0", "only the first N instances fail (0: every one)", 0, 1e9)};

    explicit ProcessorFailsAfter(sdk::Host host)
        : Processor(host),
          after_(static_cast<std::uint64_t>(host.config_int("after"))),
          fails_(host.config_int("times") == 0 || ++processors_made <= host.config_int("times")) {
        const auto input = host.inputs().at(0);
        if (!input.schema_blds.empty()) host.declare_schema(input.schema_name.c_str(), input.schema_version.c_str(), input.schema_blds);
    }

    std::size_t process(std::span<const std::byte> data, const plh_slot_info&, std::span<std::byte> out) override {
        if (++seen_ >= after_ && fails_) throw sdk::PluginError(PLH_ERR_IO, "injected failure after " + std::to_string(seen_) + " slots");
        const std::size_t bytes = std::min(data.size(), out.size());
        std::memcpy(out.data(), data.data(), bytes);
        return bytes;
    }

private:
    std::uint64_t after_;
    bool fails_;
    std::uint64_t seen_ = 0;
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(FailsAfter, ProducerFailsAfter, ProcessorFailsAfter)
