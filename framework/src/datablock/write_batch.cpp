// Runs of slots written and published together (batch.hpp).

#include <algorithm>
#include <utility>

#include "pylabhub/datablock/producer.hpp"
#include "pylabhub/platform/clock.hpp"
#include "pylabhub/platform/prefetch.hpp"
#include "producer_state.hpp"

namespace pylabhub::datablock {

using detail::ProducerState;

Result<WriteBatch> Producer::acquire_write_batch(std::size_t max_slots, std::chrono::nanoseconds timeout) {
    ProducerState& s = *state_;
    if (max_slots == 0 || max_slots > kMaxBatchSlots) {
        return make_error(ErrorCode::invalid_argument,
                          "a write batch holds 1.." + std::to_string(kMaxBatchSlots) + " slots, not " + std::to_string(max_slots));
    }
    if (s.open_guards > 0) {
        return make_error(ErrorCode::busy, "datablock '" + s.shm.name() + "': a slot is already being written; commit or abandon it first");
    }
    const std::uint64_t first = s.next_sequence;
    auto slot_timeout = s.wait_for_room(first, timeout);
    if (!slot_timeout) return std::move(slot_timeout).error();

    // Never the whole ring: a latest_only reader keeps its newest slot.
    const std::uint64_t capacity = s.view.layout.slot_count;
    std::uint64_t room = std::max<std::uint64_t>(capacity - 1, 1);
    if (s.lossless()) {
        // The readers' positions live on their cache lines, which they write
        // at every run: look again only when the room known is small, not
        // whenever it is shorter than the run asked for.
        const std::uint64_t known = s.min_position_bound + capacity - first;
        if (known < std::min<std::uint64_t>(max_slots, std::max<std::uint64_t>(capacity / 4, 1))) {
            s.min_position_bound = s.min_consumer_position(first);
        }
        room = std::min(room, s.min_position_bound + capacity - first);
    }
    std::size_t count = static_cast<std::size_t>(std::min<std::uint64_t>(max_slots, room));

    // Each slot's lock is a locked instruction, which waits for its line to
    // arrive from the reader's cache: ask for all of them first, so the
    // transfers overlap instead of queueing behind one another.
    for (std::size_t i = 0; i < count; ++i) platform::prefetch_for_write(s.view.slot_state(first + i));
    // One (coarse) clock read for the run: the slots' write start.
    const std::uint64_t started = platform::coarse_monotonic_time_ns();
    for (std::size_t i = 0; i < count; ++i) {
        const plh_slot_result taken = plh_slot_rw_acquire_write_at(s.view.slot_state(first + i), s.owner, started, *slot_timeout,
                                                                   detail::kNoReaderWait, &s.header().producer_metrics);
        if (taken == PLH_SLOT_OK) continue;
        if (i == 0) return s.slot_error(first, taken);
        count = i;  // a shorter run: what was taken so far
    }
    ++s.open_guards;
    return WriteBatch(state_, first, count);
}

WriteBatch::WriteBatch(WriteBatch&& other) noexcept
    : state_(std::exchange(other.state_, nullptr)), first_(other.first_), count_(other.count_) {}

WriteBatch::~WriteBatch() { abandon(); }

std::span<std::byte> WriteBatch::buffer(std::size_t index) const noexcept {
    if (state_ == nullptr || index >= count_) return {};
    return {state_->view.slot_data(first_ + index), state_->config.slot_bytes};
}

Result<void> WriteBatch::commit(std::size_t count, std::span<const std::size_t> bytes) {
    if (bytes.size() < count) {
        abandon();
        return make_error(ErrorCode::invalid_argument,
                          "batch commit of " + std::to_string(count) + " slots with " + std::to_string(bytes.size()) + " sizes");
    }
    return publish(count, [&](std::size_t i) { return bytes[i]; });
}

Result<void> WriteBatch::commit_uniform(std::size_t count, std::size_t bytes_each) {
    return publish(count, [&](std::size_t) { return bytes_each; });
}

template <typename SizeOf>
Result<void> WriteBatch::publish(std::size_t count, SizeOf&& size_of) {
    if (state_ == nullptr) return make_error(ErrorCode::invalid_argument, "commit of a released batch");
    ProducerState& s = *state_;
    if (count > count_) {
        abandon();
        return make_error(ErrorCode::invalid_argument,
                          "batch commit of " + std::to_string(count) + " slots; the run holds " + std::to_string(count_));
    }
    for (std::size_t i = 0; i < count; ++i) {
        if (size_of(i) > s.config.slot_bytes) {
            abandon();
            return make_error(ErrorCode::invalid_argument,
                              "batch slot " + std::to_string(i) + ": " + std::to_string(size_of(i)) + " bytes exceed slot_bytes " +
                                  std::to_string(s.config.slot_bytes));
        }
    }
    if (s.producer_gone) {
        abandon();
        return make_error(ErrorCode::closed, "commit after the producer was closed; the batch is abandoned");
    }
    const std::uint64_t now = platform::monotonic_time_ns();
    std::size_t committed = 0;
    for (; committed < count; ++committed) {
        const std::uint64_t sequence = first_ + committed;
        if (s.enforced_checksum()) s.checksum->compute(s.view.slot_data(sequence), size_of(committed), s.view.digest(sequence));
        if (plh_slot_rw_commit(s.view.slot_state(sequence), s.owner, sequence, size_of(committed), now, nullptr) != PLH_SLOT_OK) break;
    }
    for (std::size_t i = committed; i < count_; ++i) plh_slot_rw_release_write(s.view.slot_state(first_ + i), s.owner, nullptr);
    s.count_committed(committed);
    if (count_ > committed)
        std::atomic_ref<std::uint64_t>(s.header().producer_metrics.writes_abandoned)
            .fetch_add(count_ - committed, std::memory_order_relaxed);
    // One store publishes the run: readers see all of it or none of it.
    if (committed > 0) s.publish_up_to(first_ + committed, now);
    std::exchange(state_, nullptr)->guard_done();
    if (committed < count) {
        return make_error(ErrorCode::unrecoverable,
                          "batch commit of sequence " + std::to_string(first_ + committed) + ": the slot's write lock was lost; " +
                              std::to_string(committed) + " slots were published");
    }
    return {};
}

void WriteBatch::abandon() noexcept {
    if (state_ == nullptr) return;
    ProducerState& s = *std::exchange(state_, nullptr);
    for (std::size_t i = 0; i < count_; ++i) plh_slot_rw_release_write(s.view.slot_state(first_ + i), s.owner, nullptr);
    std::atomic_ref<std::uint64_t>(s.header().producer_metrics.writes_abandoned).fetch_add(count_, std::memory_order_relaxed);
    s.guard_done();
}

}  // namespace pylabhub::datablock
