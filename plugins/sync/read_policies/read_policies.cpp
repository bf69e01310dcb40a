// Read policies (ABI 1.1): which slot one reader gets next. The writer never
// waits for these readers; the host refuses any choice outside the slots
// committed after the reader's last one.
#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

/// The newest slot, whenever there is a new one: a viewer, a monitor.
class Latest final : public sdk::ReadPolicy {
public:
    static constexpr sdk::PluginInfo info{"latest", "1.0.0", "the newest slot; skips what the reader had no time for"};
    explicit Latest(sdk::Host host) : ReadPolicy(host) {}

    plh_read_choice select(const plh_read_state& state) override {
        if (nothing_new(state)) return wait();
        return read(state.newest_sequence);
    }
};

/// Sequences 0, N, 2N, ...: a thumbnail stream, a decimated recording. A
/// multiple the ring overwrote before it was read is skipped (a gap).
class Decimate final : public sdk::ReadPolicy {
public:
    static constexpr sdk::PluginInfo info{"decimate", "1.0.0", "every Nth slot: sequences 0, N, 2N, ..."};
    static constexpr plh_config_entry config[] = {sdk::integer("every", "10", "N: read sequences that are multiples of N", 1, 1e9)};
    explicit Decimate(sdk::Host host) : ReadPolicy(host), every_(static_cast<std::uint64_t>(host.config_int("every"))) {}

    plh_read_choice select(const plh_read_state& state) override {
        if (state.newest_sequence == UINT64_MAX) return wait();
        // The oldest slot still in the ring: nothing before it can be read.
        const std::uint64_t oldest = state.newest_sequence + 1 > state.slot_count ? state.newest_sequence + 1 - state.slot_count : 0;
        std::uint64_t next = state.last_sequence == UINT64_MAX ? 0 : state.last_sequence + every_;
        if (next < oldest) next = round_up(oldest);
        if (next > state.newest_sequence) return wait();
        return read(next);
    }

private:
    std::uint64_t round_up(std::uint64_t sequence) const { return (sequence + every_ - 1) / every_ * every_; }
    std::uint64_t every_;
};

/// The newest slot, at most rate_hz times a second (by the reader's clock).
class MaxRate final : public sdk::ReadPolicy {
public:
    static constexpr sdk::PluginInfo info{"max_rate", "1.0.0", "the newest slot, at most rate_hz times a second"};
    static constexpr plh_config_entry config[] = {sdk::real("rate_hz", "30", "most slots a second", 1e-6, 1e9)};
    explicit MaxRate(sdk::Host host) : ReadPolicy(host), period_ns_(static_cast<std::uint64_t>(1e9 / host.config_float("rate_hz"))) {}

    plh_read_choice select(const plh_read_state& state) override {
        if (state.last_read_ns != 0 && state.now_ns - state.last_read_ns < period_ns_) {
            return wait(std::chrono::nanoseconds(period_ns_ - (state.now_ns - state.last_read_ns)));
        }
        if (nothing_new(state)) return wait();
        return read(state.newest_sequence);
    }

private:
    std::uint64_t period_ns_;
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(Latest, Decimate, MaxRate)
