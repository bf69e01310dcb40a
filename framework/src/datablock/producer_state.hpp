// What a Producer and its guards share (internal): the mapping, the
// policies, and where the writer is.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include "pylabhub/datablock/checksum.hpp"
#include "pylabhub/datablock/producer.hpp"
#include "pylabhub/log.hpp"
#include "pylabhub/platform/process.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "segment.hpp"

namespace pylabhub::datablock::detail {

/// What the writer passes as plh_slot_rw_acquire_write's wait_for_readers:
/// never wait. Lossless readers do not enter slots (their positions keep the
/// writer off); latest_only readers who do are not waited for (a rewrite
/// voids their read).
inline constexpr int kNoReaderWait = 0;

/// Lives as long as the Producer or its last guard, whichever is longer.
class ProducerState {
public:
    ProducerState(platform::SharedMemory memory, SegmentLayout layout, DataBlockConfig cfg, ProducerOptions opts, crypto::SharedSecret key)
        : shm(std::move(memory)),
          view{shm.data(), layout},
          config(std::move(cfg)),
          options(std::move(opts)),
          secret(key),
          checksum(config.checksum_policy != nullptr ? config.checksum_policy : &builtin_checksum(config.checksum)),
          owner(platform::owner_word(platform::current_process())) {}

    SegmentHeader& header() const { return view.header(); }
    bool lossless() const { return is_lossless(header().sync_policy); }
    bool enforced_checksum() const { return checksum->compute != nullptr && config.checksum_mode == ChecksumMode::enforced; }

    void guard_done() {
        if (--open_guards == 0 && producer_gone) delete this;
    }

    /// Adds to writes_committed. Only the live producer writes that counter,
    /// so a load and a store do (no locked add per slot).
    void count_committed(std::uint64_t slots) noexcept {
        std::atomic_ref<std::uint64_t> counter(header().producer_metrics.writes_committed);
        counter.store(counter.load(std::memory_order_relaxed) + slots, std::memory_order_relaxed);
    }

    /// Lowest position among active consumers, or `fallback` when none.
    std::uint64_t min_consumer_position(std::uint64_t fallback) const {
        std::uint64_t lowest = fallback;
        // Below the floor nothing is left to read (skip_to drained it): a
        // reader that has not moved up yet does not hold the ring back.
        const std::uint64_t floor = header().sequence_floor.load(std::memory_order_relaxed);
        for (std::uint32_t i = 0; i < view.layout.max_consumers; ++i) {
            const ConsumerEntry& entry = view.consumers()[i];
            if (entry.active.load(std::memory_order_seq_cst) == 0) continue;
            lowest = std::min(lowest, std::max(floor, entry.position.load(std::memory_order_seq_cst)));
        }
        return lowest;
    }

    /// "consumer pid P (row R) at sequence S" for the slowest active row: who
    /// a lossless writer is waiting for.
    std::string slowest_consumer() const {
        std::string who = "no active consumer";
        std::uint64_t lowest = UINT64_MAX;
        for (std::uint32_t i = 0; i < view.layout.max_consumers; ++i) {
            const ConsumerEntry& entry = view.consumers()[i];
            if (entry.active.load(std::memory_order_seq_cst) == 0) continue;
            const std::uint64_t position = entry.position.load(std::memory_order_seq_cst);
            if (position >= lowest) continue;
            lowest = position;
            who = "consumer pid " + std::to_string(platform::owner_word_pid(entry.owner.load(std::memory_order_acquire))) + " (row " +
                std::to_string(i) + ") at sequence " + std::to_string(position);
        }
        return who;
    }

    /// Retires consumers whose process is dead, so the writer stops waiting
    /// for them; releases the slot a dead reader was inside.
    void retire_dead_consumers() {
        for (std::uint32_t i = 0; i < view.layout.max_consumers; ++i) {
            ConsumerEntry& entry = view.consumers()[i];
            const std::uint64_t who = entry.owner.load(std::memory_order_acquire);
            if (who == 0 || platform::is_owner_word_alive(who)) continue;
            bool was_reading = false;
            if (retire_dead_consumer(view, entry, who, owner, &was_reading)) {
                log::logger().warn("datablock '{}': consumer pid {} is dead; retired it{}", shm.name(), platform::owner_word_pid(who),
                                   was_reading ? " and released the slot it was reading" : "");
            }
        }
    }

    /// Waits until `sequence` has room in the ring (lossless policies): the
    /// part of `timeout` left for the slot's own wait, or a timeout error
    /// naming the slowest consumer.
    Result<std::uint64_t> wait_for_room(std::uint64_t sequence, std::chrono::nanoseconds timeout);

    /// The error for a slot the protocol would not give (timeout, locked...).
    Error slot_error(std::uint64_t sequence, plh_slot_result result) const;
    /// Makes sequences below `next` visible to readers and wakes sleepers:
    /// one commit-index store however many slots it publishes.
    void publish_up_to(std::uint64_t next, std::uint64_t now_ns);

    platform::SharedMemory shm;
    SegmentView view;
    DataBlockConfig config;
    ProducerOptions options;
    crypto::SharedSecret secret;
    const ChecksumPolicy* checksum;
    std::uint64_t owner;
    std::uint64_t next_sequence = 0;
    std::uint64_t min_position_bound = 0;  // positions only grow: a cached lower bound
    int open_guards = 0;
    bool producer_gone = false;
};

}  // namespace pylabhub::datablock::detail
