// What a Consumer and its guards share (internal): the mapping, its row
// in the consumer table, and where the reader is.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "pylabhub/datablock/checksum.hpp"
#include "pylabhub/datablock/consumer.hpp"
#include "pylabhub/platform/process.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "segment.hpp"
#include "wait.hpp"

namespace pylabhub::datablock::detail {

class ConsumerState {
public:
    ConsumerState(platform::SharedMemory memory, SegmentLayout layout, ConsumerOptions opts)
        : shm(std::move(memory)),
          view{shm.data(), layout},
          options(std::move(opts)),
          owner(platform::owner_word(platform::current_process())) {}

    SegmentHeader& header() const { return view.header(); }
    bool lossless() const { return is_lossless(header().sync_policy); }
    void guard_done() {
        if (--open_guards == 0 && consumer_gone) {
            leave_table();
            delete this;
        }
    }

    /// Gives up the consumer row: the writer stops waiting for us.
    void leave_table() noexcept {
        SegmentHeader& h = header();
        entry->active.store(0, std::memory_order_seq_cst);
        h.slots_read_retired.fetch_add(entry->slots_read.load(std::memory_order_relaxed), std::memory_order_relaxed);
        entry->slots_read.store(0, std::memory_order_relaxed);
        entry->owner.store(0, std::memory_order_release);
        wake_waiters(h.space_futex, h.space_waiters);
    }

    /// Moves past `sequence`: the writer may reuse its slot (lossless).
    void advance_past(std::uint64_t sequence) {
        next_sequence = sequence + 1;
        if (lossless()) {
            entry->position.store(next_sequence, std::memory_order_seq_cst);
            wake_waiters(header().space_futex, header().space_waiters);
        }
    }

    /// Adds to this row's slots_read. Only this process writes the row, so
    /// a load and a store do (no locked add); readers of metrics see it whole.
    void count_slots_read(std::uint64_t slots) noexcept {
        entry->slots_read.store(entry->slots_read.load(std::memory_order_relaxed) + slots, std::memory_order_relaxed);
    }
    /// Records that this consumer is alive.
    void heartbeat() noexcept;
    /// Counts `slots` read; every 64th beats the heart (a waiting reader
    /// beats it anyway).
    void count_reads(std::uint32_t slots) noexcept {
        const std::uint32_t before = reads_since_heartbeat;
        reads_since_heartbeat += slots;
        if ((before >> 6U) != (reads_since_heartbeat >> 6U)) heartbeat();
    }
    /// Waits until a slot past next_sequence is committed; the commit count
    /// seen. Moves next_sequence up to a floor the writer skipped to.
    /// Callers that retry pass the same `deadline` (made from `timeout`,
    /// which the timeout error names).
    Result<std::uint64_t> wait_committed(std::chrono::nanoseconds timeout, Deadline& deadline);
    Error closed_error() const;
    /// A lossless reader finding a committed slot gone (it was retired?).
    Error lost_slot_error(std::uint64_t sequence, plh_slot_result result) const;
    /// With an enforced checksum policy: the slot's payload against its digest.
    bool checksum_enforced() const { return checksum->compute != nullptr && info.config.checksum_mode == ChecksumMode::enforced; }
    /// Checks the payload of `sequence` (`bytes` long) against its digest.
    Result<void> verify_slot(std::uint64_t sequence, std::span<const std::byte> payload) const;
    /// The committed payload of `sequence`, as long as its writer said.
    std::span<const std::byte> payload(std::uint64_t sequence) const;

    platform::SharedMemory shm;
    SegmentView view;
    ConsumerOptions options;
    DataBlockInfo info;
    const ChecksumPolicy* checksum = nullptr;
    ConsumerEntry* entry = nullptr;
    std::uint64_t owner;
    std::uint64_t next_sequence = 0;
    int open_guards = 0;
    std::uint32_t reads_since_heartbeat = 0;
    bool consumer_gone = false;
    std::vector<std::uint64_t> batch_generations;  // the slots of the ReadBatch held
};

}  // namespace pylabhub::datablock::detail
