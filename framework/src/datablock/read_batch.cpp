// Runs of committed slots read in place by a lossless consumer (batch.hpp).
//
// A lossless reader's position keeps the writer off every slot from it on,
// so the slots of a run are not entered one by one (no reader_count): each
// is checked to hold its committed sequence, its generation kept, and
// checked again at release, exactly as a single read validates.

#include <algorithm>
#include <utility>

#include "pylabhub/datablock/consumer.hpp"
#include "consumer_state.hpp"

namespace pylabhub::datablock {

using detail::ConsumerState;

Result<ReadBatch> Consumer::acquire_read_batch(std::size_t max_slots, std::chrono::nanoseconds timeout) {
    ConsumerState& s = *state_;
    if (max_slots == 0 || max_slots > kMaxBatchSlots) {
        return make_error(ErrorCode::invalid_argument,
                          "a read batch holds 1.." + std::to_string(kMaxBatchSlots) + " slots, not " + std::to_string(max_slots));
    }
    if (!s.lossless()) {
        return make_error(
            ErrorCode::invalid_argument,
            "datablock '" + s.shm.name() + "' is latest_only: a reader there takes the newest slot (acquire_read), not a run");
    }
    if (s.open_guards > 0) return make_error(ErrorCode::busy, "datablock '" + s.shm.name() + "': release the slot being read first");
    detail::Deadline deadline(timeout);
    auto committed = s.wait_committed(timeout, deadline);
    if (!committed) return std::move(committed).error();

    const std::uint64_t first = s.next_sequence;
    std::size_t count = static_cast<std::size_t>(std::min<std::uint64_t>(max_slots, *committed - first));
    if (s.batch_generations.size() < kMaxBatchSlots) s.batch_generations.resize(kMaxBatchSlots);
    detail::SegmentHeader& h = s.header();
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint64_t sequence = first + i;
        const plh_slot_result seen =
            plh_slot_rw_peek_read(s.view.slot_state(sequence), sequence, &s.batch_generations[i], &h.consumer_metrics);
        if (seen != PLH_SLOT_OK) {
            if (i == 0) return s.lost_slot_error(sequence, seen);
            count = i;
            break;
        }
        if (!s.checksum_enforced()) continue;
        if (auto verified = s.verify_slot(sequence, s.payload(sequence)); !verified) {
            if (i > 0) {  // hand out the slots before it; the next run starts with it
                count = i;
                break;
            }
            h.checksum_failures.fetch_add(1, std::memory_order_relaxed);
            s.advance_past(sequence);  // skipped: never handed out, never read twice
            return std::move(verified).error();
        }
    }
    s.count_reads(static_cast<std::uint32_t>(count));
    ++s.open_guards;
    return ReadBatch(state_, first, count);
}

ReadBatch::ReadBatch(ReadBatch&& other) noexcept
    : state_(std::exchange(other.state_, nullptr)), first_(other.first_), count_(other.count_) {}

ReadBatch::~ReadBatch() { (void)release(); }

std::span<const std::byte> ReadBatch::buffer(std::size_t index) const noexcept {
    if (state_ == nullptr || index >= count_) return {};
    return state_->payload(first_ + index);
}

std::uint64_t ReadBatch::commit_ns(std::size_t index) const noexcept {
    if (state_ == nullptr || index >= count_) return 0;
    return std::atomic_ref<std::uint64_t>(state_->view.slot_state(first_ + index)->commit_ns).load(std::memory_order_relaxed);
}

bool ReadBatch::validate(std::size_t index) const noexcept {
    if (state_ == nullptr || index >= count_) return false;
    return plh_slot_rw_validate_read(state_->view.slot_state(first_ + index), state_->batch_generations[index], nullptr) != 0;
}

Result<void> ReadBatch::release() noexcept {
    if (state_ == nullptr) return {};
    ConsumerState& s = *std::exchange(state_, nullptr);
    std::size_t torn = 0;
    std::uint64_t first_torn = 0;
    for (std::size_t i = 0; i < count_; ++i) {
        if (plh_slot_rw_validate_read(s.view.slot_state(first_ + i), s.batch_generations[i], &s.header().consumer_metrics) != 0) continue;
        if (torn++ == 0) first_torn = first_ + i;
    }
    const std::size_t whole = count_ - torn;
    s.count_slots_read(whole);
    s.advance_past(first_ + count_ - 1);  // one position store for the run
    if (torn == 0) {
        s.guard_done();
        return {};
    }
    Error error = make_error(ErrorCode::corrupt,
                             "datablock '" + s.shm.name() + "': " + std::to_string(torn) + " slots of the run from sequence " +
                                 std::to_string(first_) + " were overwritten while being read (first: " + std::to_string(first_torn) +
                                 "); those reads are void");
    s.guard_done();
    return error;
}

}  // namespace pylabhub::datablock
