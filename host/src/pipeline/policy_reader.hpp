// Reading a channel by a read policy (`read: latest`, `decimate`, ...): the
// policy plugin chooses each next slot; the reader takes no place in the
// channel's consumer table, so the writer never waits for it, and hands
// out copies validated against the slot's seqlock and checksum.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "pipeline/component_runtime.hpp"
#include "pylabhub/datablock/observer.hpp"

namespace pylabhub::host {

class PolicyReader {
public:
    /// Attaches to `channel` and makes the policy's instance for this input.
    static Result<std::unique_ptr<PolicyReader>> open(const ChannelRuntime& channel, const PlannedInput& input,
                                                      const std::string& reader_id, InputDescription description);

    /// The next slot the policy chooses, copied and validated. Errors:
    /// timeout (nothing chosen in time), closed (the channel closed while
    /// the policy waits), corrupt (a checksum mismatch: counted, skipped),
    /// unrecoverable (the policy failed or chose a slot outside the
    /// committed range: the reader must stop; the message names the plugin).
    Result<datablock::ObservedSlot> next(std::chrono::nanoseconds timeout);

    Result<std::uint64_t> read_zone(std::string_view zone, std::span<std::byte> out, std::chrono::nanoseconds timeout) const {
        return observer_.read_zone(zone, out, timeout);
    }
    /// Slots the policy chose that the writer overwrote while they were copied.
    std::uint64_t torn() const { return torn_; }

private:
    PolicyReader(datablock::Observer observer, std::unique_ptr<PluginInstance> policy, const datablock::ChecksumPolicy* checksum)
        : observer_(std::move(observer)), policy_(std::move(policy)), checksum_(checksum) {}

    datablock::Observer observer_;
    std::unique_ptr<PluginInstance> policy_;
    const datablock::ChecksumPolicy* checksum_;  // nullptr: no digest to check
    std::uint64_t last_sequence_ = UINT64_MAX;
    std::uint64_t last_commit_ns_ = 0;
    std::uint64_t last_read_ns_ = 0;
    std::uint64_t torn_ = 0;
};

}  // namespace pylabhub::host
