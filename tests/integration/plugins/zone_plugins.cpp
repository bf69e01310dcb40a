// Flexible zones under load (tests): a producer that rewrites a zone with
// one repeated 64-bit value as fast as it writes slots, and a consumer that
// reads the zone at every slot and fails on a copy mixing two values.
#include <cstring>
#include <vector>

#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

class ZoneWriter final : public sdk::Producer {
public:
    static constexpr sdk::PluginInfo info{"zone-writer", "0.0.1", "rewrites zone 'state' with a repeated counter at every slot (tests)"};
    static constexpr plh_config_entry config[] = {sdk::string("zone", "state", "the zone to rewrite")};

    explicit ZoneWriter(sdk::Host host) : Producer(host), zone_(host.config_string("zone")) {
        const auto out = host.output();
        if (!out) throw sdk::PluginError(PLH_ERR_UNSUPPORTED, "the host gives no output_info");
        for (const auto& z : out->zones) {
            if (z.name == zone_) words_.resize(z.bytes / 8);
        }
        if (words_.empty()) throw sdk::ConfigError("channel '" + out->channel + "' has no zone '" + zone_ + "' of 8 bytes or more");
    }

    WaitResult wait_next(std::chrono::nanoseconds) override { return WaitResult::ready; }
    std::size_t fill(std::span<std::byte> slot) override {
        ++counter_;
        for (auto& w : words_) w = counter_;
        host().zone_write(zone_.c_str(), std::as_bytes(std::span(words_)));
        std::memcpy(slot.data(), &counter_, sizeof counter_);
        return sizeof counter_;
    }

private:
    std::string zone_;
    std::vector<std::uint64_t> words_;
    std::uint64_t counter_ = 0;
};

class ZoneChecker final : public sdk::Consumer {
public:
    static constexpr sdk::PluginInfo info{"zone-checker", "0.0.1", "reads zone 'state' at every slot; fails on a torn copy (tests)"};
    static constexpr plh_config_entry config[] = {sdk::string("zone", "state", "the zone to read")};

    explicit ZoneChecker(sdk::Host host) : Consumer(host), zone_(host.config_string("zone")) {}

    void consume(std::span<const std::byte>, const plh_slot_info& slot) override {
        const sdk::ZoneCopy copy = host().zone_read(slot.input_index, zone_.c_str());
        std::vector<std::uint64_t> words(copy.bytes.size() / 8);
        std::memcpy(words.data(), copy.bytes.data(), words.size() * 8);
        for (const auto w : words) {
            if (w != words.front()) {
                throw sdk::PluginError(PLH_ERR_CORRUPT,
                                       "torn zone: version " + std::to_string(copy.version) + " mixes " + std::to_string(words.front()) +
                                           " and " + std::to_string(w));
            }
        }
        host().metric("zone_reads");
        if (copy.version > last_version_) host().metric("zone_versions_seen");
        last_version_ = copy.version;
    }

private:
    std::string zone_;
    std::uint64_t last_version_ = 0;
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(ZoneWriter, ZoneChecker)
