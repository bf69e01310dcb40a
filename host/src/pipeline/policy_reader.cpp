#include "pipeline/policy_reader.hpp"

#include <algorithm>
#include <cstring>
#include <thread>

#include "pylabhub/datablock/checksum.hpp"
#include "pylabhub/platform/clock.hpp"

namespace pylabhub::host {

Result<std::unique_ptr<PolicyReader>> PolicyReader::open(const ChannelRuntime& channel, const PlannedInput& input,
                                                         const std::string& reader_id, InputDescription description) {
    auto observer = datablock::Observer::attach(channel.plan->shm_name, channel.secret);
    if (!observer) return std::move(observer).error();
    description.read_lossless = false;
    Wiring wiring;
    wiring.inputs.push_back(std::move(description));
    auto policy = PluginInstance::create(*input.policy, reader_id + ":" + channel.plan->spec->name, input.config, std::move(wiring));
    if (!policy) return std::move(policy).error();
    const auto& config = channel.config;
    const datablock::ChecksumPolicy* checksum =
        config.checksum_policy != nullptr ? config.checksum_policy : &datablock::builtin_checksum(config.checksum);
    if (checksum->compute == nullptr || config.checksum_mode != datablock::ChecksumMode::enforced) checksum = nullptr;
    return std::unique_ptr<PolicyReader>(new PolicyReader(std::move(observer).value(), std::move(policy).value(), checksum));
}

Result<datablock::ObservedSlot> PolicyReader::next(std::chrono::nanoseconds timeout) {
    const auto* table = static_cast<const plh_sync_vtable*>(policy_->plugin().descriptor->vtable);
    const std::uint64_t deadline = platform::monotonic_time_ns() + static_cast<std::uint64_t>(timeout.count());
    for (;;) {
        const std::uint64_t now = platform::monotonic_time_ns();
        const auto newest = observer_.newest();
        plh_read_state state{};
        state.struct_size = sizeof state;
        state.slot_count = observer_.slot_count();
        state.last_sequence = last_sequence_;
        state.last_commit_ns = last_commit_ns_;
        state.last_read_ns = last_read_ns_;
        state.newest_sequence = newest ? newest->sequence : UINT64_MAX;
        state.newest_commit_ns = newest ? newest->commit_ns : 0;
        state.now_ns = now;
        plh_read_choice choice{};
        choice.struct_size = sizeof choice;
        if (const plh_status status = table->select(policy_->handle(), &state, &choice); status != PLH_OK) {
            std::string message = policy_->describe() + ": select returned " + status_name(status);
            if (auto reason = policy_->take_error(); !reason.empty()) message += ": " + reason;
            return make_error(ErrorCode::unrecoverable, message);
        }
        if (choice.action == PLH_READ_SLOT) {
            const bool after_last = last_sequence_ == UINT64_MAX || choice.sequence > last_sequence_;
            if (!newest || choice.sequence > newest->sequence || !after_last) {
                return make_error(ErrorCode::unrecoverable,
                                  policy_->describe() + ": chose slot " + std::to_string(choice.sequence) +
                                      ", outside the slots it may read (after " +
                                      (last_sequence_ == UINT64_MAX ? std::string("none") : std::to_string(last_sequence_)) +
                                      ", up to the newest committed, " + (newest ? std::to_string(newest->sequence) : std::string("none")) +
                                      "); refused, never read");
            }
            auto slot = observer_.read(choice.sequence);
            if (!slot) {
                ++torn_;  // overwritten before or while copying: never handed out; the policy chooses again
                last_sequence_ = std::max(last_sequence_ == UINT64_MAX ? 0 : last_sequence_, choice.sequence);
                continue;
            }
            last_sequence_ = slot->sequence;
            last_commit_ns_ = slot->commit_ns;
            last_read_ns_ = now;
            if (checksum_ != nullptr) {
                std::uint8_t digest[datablock::kMaxDigestBytes] = {};
                checksum_->compute(slot->payload.data(), slot->payload.size(), digest);
                if (std::memcmp(digest, slot->digest.data(), checksum_->digest_bytes) != 0) {
                    return make_error(ErrorCode::corrupt,
                                      "slot " + std::to_string(slot->sequence) + " fails its " + checksum_->name + " checksum");
                }
            }
            return slot;
        }
        if (choice.action != PLH_READ_WAIT) {
            return make_error(
                ErrorCode::unrecoverable,
                policy_->describe() + ": select answered action " + std::to_string(choice.action) + " (neither READ nor WAIT)");
        }
        if (observer_.closed()) return make_error(ErrorCode::closed, "the channel is closed");
        const std::uint64_t now_after = platform::monotonic_time_ns();
        if (now_after >= deadline) return make_error(ErrorCode::timeout, "nothing chosen within the timeout");
        const std::uint64_t left = deadline - now_after;
        if (choice.wait_ns == 0) {
            const std::uint64_t after = newest ? newest->sequence : UINT64_MAX;
            auto waited = observer_.wait_for_commit(after, std::chrono::nanoseconds(left));
            if (!waited && waited.error().code == ErrorCode::closed) return std::move(waited).error();
        } else {
            std::this_thread::sleep_for(std::chrono::nanoseconds(std::min(left, choice.wait_ns)));
        }
    }
}

}  // namespace pylabhub::host
