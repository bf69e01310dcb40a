// stats: a live view of a channel: rate, bytes and lost slots, logged every
// interval, and totals in the run summary.
#include <cstdio>
#include <string>

#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

class Stats final : public sdk::Consumer {
public:
    static constexpr sdk::PluginInfo info{"stats", "1.0.0", "logs rate, throughput and lost slots of its inputs every interval"};
    static constexpr plh_config_entry config[] = {
        sdk::duration("interval", "1s", "how often to log"),
    };

    explicit Stats(sdk::Host host)
        : Consumer(host),
          interval_ns_(static_cast<std::uint64_t>(host.config_duration("interval").count())),
          window_start_ns_(host.now_ns()),
          last_(host.inputs().size(), 0),
          seen_(host.inputs().size(), false) {}

    void consume(std::span<const std::byte> data, const plh_slot_info& slot) override {
        if (slot.input_index < last_.size()) {
            if (seen_[slot.input_index] && slot.sequence > last_[slot.input_index] + 1) {
                gaps_ += slot.sequence - last_[slot.input_index] - 1;
            }
            seen_[slot.input_index] = true;
            last_[slot.input_index] = slot.sequence;
        }
        ++slots_;
        ++window_slots_;
        window_bytes_ += data.size();
        if (const std::uint64_t now = host().now_ns(); now - window_start_ns_ >= interval_ns_) {
            const double seconds = double(now - window_start_ns_) * 1e-9;
            char line[160];
            std::snprintf(line, sizeof line, "%.1f slots/s, %.2f MB/s, %llu lost so far", double(window_slots_) / seconds,
                          double(window_bytes_) / seconds / 1e6, static_cast<unsigned long long>(gaps_));
            host().info(line);
            window_start_ns_ = now;
            window_slots_ = 0;
            window_bytes_ = 0;
        }
    }

    void flush() override {
        host().metric("slots", slots_);
        host().metric("lost", gaps_);
    }

private:
    std::uint64_t interval_ns_;
    std::uint64_t window_start_ns_;
    std::vector<std::uint64_t> last_;
    std::vector<bool> seen_;
    std::uint64_t slots_ = 0;
    std::uint64_t gaps_ = 0;
    std::uint64_t window_slots_ = 0;
    std::uint64_t window_bytes_ = 0;
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(Stats)
