#include "pylabhub/datablock/slot_rw.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <type_traits>

#include "pylabhub/platform/backoff.hpp"
#include "pylabhub/platform/clock.hpp"
#include "pylabhub/platform/process.hpp"
#include "pylabhub/platform/seqlock.hpp"
#include "wait.hpp"

namespace {

using pylabhub::platform::Backoff;
using pylabhub::platform::monotonic_time_ns;

static_assert(sizeof(plh_slot_rw_state) == 64, "one cache line per slot");
static_assert(std::is_trivial_v<plh_slot_rw_state> && std::is_trivial_v<plh_slot_metrics>);

template <typename T>
std::atomic_ref<T> field(T& value) noexcept {
    return std::atomic_ref<T>(value);
}
template <typename T>
std::atomic_ref<T> field(const T& value) noexcept {
    return std::atomic_ref<T>(const_cast<T&>(value));
}

void count(plh_slot_metrics* metrics, uint64_t plh_slot_metrics::*counter) noexcept {
    if (metrics != nullptr) field(metrics->*counter).fetch_add(1, std::memory_order_relaxed);
}

// Liveness reads procfs; a waiting writer looks only this often.
constexpr uint64_t kLivenessCheckIntervalNs = 1'000'000;

/// The C API's timeout as a wait's lazy deadline: a write that never waits
/// reads no precise clock.
pylabhub::datablock::detail::Deadline deadline_for(uint64_t timeout_ns) noexcept {
    return pylabhub::datablock::detail::Deadline(
        std::chrono::nanoseconds(static_cast<int64_t>(std::min<uint64_t>(timeout_ns, std::numeric_limits<int64_t>::max()))));
}

plh_slot_result take_write_lock(plh_slot_rw_state* slot, uint64_t owner, pylabhub::datablock::detail::Deadline& deadline,
                                plh_slot_metrics* metrics) noexcept {
    Backoff backoff;
    uint64_t next_liveness_check = 0;
    for (;;) {
        uint64_t holder = 0;
        if (field(slot->write_lock).compare_exchange_weak(holder, owner, std::memory_order_acquire)) {
            return PLH_SLOT_OK;
        }
        if (holder == owner) return PLH_SLOT_INVALID_STATE;  // this process already writes it
        const uint64_t now = monotonic_time_ns();
        const bool timed_out = deadline.passed(now);
        if (holder != 0 && now >= next_liveness_check) {
            if (!pylabhub::platform::is_owner_word_alive(holder) &&
                field(slot->write_lock).compare_exchange_strong(holder, owner, std::memory_order_acquire)) {
                count(metrics, &plh_slot_metrics::locks_reclaimed);
                return PLH_SLOT_OK;
            }
            next_liveness_check = now + kLivenessCheckIntervalNs;
        }
        if (timed_out) {
            count(metrics, &plh_slot_metrics::writer_lock_timeouts);
            return holder == 0 ? PLH_SLOT_TIMEOUT : PLH_SLOT_LOCKED;
        }
        backoff.pause();
    }
}

/// The odd generation a write starts with; a slot taken over mid-write is
/// odd already and moves on by two.
uint64_t odd_after(uint64_t generation) noexcept { return generation + ((generation & 1U) ? 2U : 1U); }

/// Whether a slot seen with this generation, state and sequence holds the
/// committed `wanted` sequence.
plh_slot_result holds_committed(uint64_t generation, uint32_t state, uint64_t held, uint64_t wanted) noexcept {
    if ((generation & 1U) != 0 || state != PLH_SLOT_COMMITTED) return PLH_SLOT_NOT_READY;
    if (held != wanted) return held > wanted ? PLH_SLOT_OVERRUN : PLH_SLOT_NOT_READY;
    return PLH_SLOT_OK;
}

}  // namespace

extern "C" {

plh_slot_result plh_slot_rw_acquire_write(plh_slot_rw_state* slot, uint64_t owner_word, uint64_t timeout_ns, int wait_for_readers,
                                          plh_slot_metrics* metrics) {
    // The start is a diagnostic (how long a writer has held the slot): the
    // coarse clock, a fraction of a precise read's cost (~25 ns on a VM).
    return plh_slot_rw_acquire_write_at(slot, owner_word, pylabhub::platform::coarse_monotonic_time_ns(), timeout_ns, wait_for_readers,
                                        metrics);
}

plh_slot_result plh_slot_rw_acquire_write_at(plh_slot_rw_state* slot, uint64_t owner_word, uint64_t started, uint64_t timeout_ns,
                                             int wait_for_readers, plh_slot_metrics* metrics) {
    if (slot == nullptr || owner_word == 0) return PLH_SLOT_ERROR;
    auto deadline = deadline_for(timeout_ns);
    if (const plh_slot_result locked = take_write_lock(slot, owner_word, deadline, metrics); locked != PLH_SLOT_OK) return locked;

    field(slot->write_started_ns).store(started, std::memory_order_relaxed);
    if (wait_for_readers == 0) {
        // No reader to wait for, so no handshake with reader_count: readers
        // inside only need the odd generation to be visible before the
        // payload changes, which a release fence after it gives (on x86 no
        // instruction at all; a locked exchange costs ~20 cycles per slot).
        field(slot->state).store(PLH_SLOT_WRITING, std::memory_order_relaxed);
        const uint64_t generation = field(slot->generation).load(std::memory_order_relaxed);
        pylabhub::platform::store_before_plain_writes(slot->generation, odd_after(generation));
        return PLH_SLOT_OK;
    }
    // Announce the write before looking at reader_count; readers announce
    // themselves before looking at state (both seq_cst), so either a reader
    // sees WRITING and backs off, or we see it and wait for it.
    const uint32_t previous_state = field(slot->state).exchange(PLH_SLOT_WRITING, std::memory_order_seq_cst);
    const uint64_t generation = field(slot->generation).load(std::memory_order_relaxed);
    field(slot->generation).store(odd_after(generation), std::memory_order_seq_cst);

    if (wait_for_readers != 0) {
        Backoff backoff;
        while (field(slot->reader_count).load(std::memory_order_seq_cst) != 0) {
            if (deadline.passed(monotonic_time_ns())) {
                // Leave the slot as it was; the generation moves on (even
                // again), so a reader inside sees a harmless failed validation.
                field(slot->generation).fetch_add(1, std::memory_order_release);
                field(slot->state).store(previous_state, std::memory_order_release);
                field(slot->write_lock).store(0, std::memory_order_release);
                count(metrics, &plh_slot_metrics::writer_drain_timeouts);
                return PLH_SLOT_TIMEOUT;
            }
            backoff.pause();
        }
    }
    return PLH_SLOT_OK;
}

plh_slot_result plh_slot_rw_commit(plh_slot_rw_state* slot, uint64_t owner_word, uint64_t sequence, uint64_t payload_bytes,
                                   uint64_t commit_ns, plh_slot_metrics* metrics) {
    if (slot == nullptr) return PLH_SLOT_ERROR;
    if (field(slot->write_lock).load(std::memory_order_relaxed) != owner_word ||
        field(slot->state).load(std::memory_order_relaxed) != PLH_SLOT_WRITING) {
        return PLH_SLOT_INVALID_STATE;
    }
    field(slot->sequence).store(sequence, std::memory_order_relaxed);
    field(slot->payload_bytes).store(payload_bytes, std::memory_order_relaxed);
    field(slot->commit_ns).store(commit_ns, std::memory_order_relaxed);
    field(slot->state).store(PLH_SLOT_COMMITTED, std::memory_order_relaxed);
    // The release makes the payload and the fields above visible to any
    // reader that sees the new (even) generation.
    field(slot->generation).fetch_add(1, std::memory_order_release);
    field(slot->write_lock).store(0, std::memory_order_release);
    count(metrics, &plh_slot_metrics::writes_committed);
    return PLH_SLOT_OK;
}

plh_slot_result plh_slot_rw_release_write(plh_slot_rw_state* slot, uint64_t owner_word, plh_slot_metrics* metrics) {
    if (slot == nullptr) return PLH_SLOT_ERROR;
    if (field(slot->write_lock).load(std::memory_order_relaxed) != owner_word) return PLH_SLOT_INVALID_STATE;
    field(slot->state).store(PLH_SLOT_FREE, std::memory_order_relaxed);
    field(slot->generation).fetch_add(1, std::memory_order_release);
    field(slot->write_lock).store(0, std::memory_order_release);
    count(metrics, &plh_slot_metrics::writes_abandoned);
    return PLH_SLOT_OK;
}

plh_slot_result plh_slot_rw_acquire_read(plh_slot_rw_state* slot, uint64_t sequence, uint64_t* generation, plh_slot_metrics* metrics) {
    if (slot == nullptr || generation == nullptr) return PLH_SLOT_ERROR;
    field(slot->reader_count).fetch_add(1, std::memory_order_seq_cst);
    const uint64_t seen = field(slot->generation).load(std::memory_order_seq_cst);
    const uint32_t state = field(slot->state).load(std::memory_order_seq_cst);
    const uint64_t held = field(slot->sequence).load(std::memory_order_relaxed);
    const plh_slot_result result = holds_committed(seen, state, held, sequence);
    if (result != PLH_SLOT_OK) {
        field(slot->reader_count).fetch_sub(1, std::memory_order_release);
        count(metrics, &plh_slot_metrics::reads_not_ready);
        return result;
    }
    *generation = seen;
    return PLH_SLOT_OK;
}

plh_slot_result plh_slot_rw_peek_read(const plh_slot_rw_state* slot, uint64_t sequence, uint64_t* generation, plh_slot_metrics* metrics) {
    if (slot == nullptr || generation == nullptr) return PLH_SLOT_ERROR;
    // Generation first (acquire): the fields and payload read after it are
    // at least as new; validate_read catches a rewrite that follows.
    const uint64_t seen = field(slot->generation).load(std::memory_order_acquire);
    const uint32_t state = field(slot->state).load(std::memory_order_relaxed);
    const uint64_t held = field(slot->sequence).load(std::memory_order_relaxed);
    const plh_slot_result result = holds_committed(seen, state, held, sequence);
    if (result != PLH_SLOT_OK) {
        count(metrics, &plh_slot_metrics::reads_not_ready);
        return result;
    }
    *generation = seen;
    return PLH_SLOT_OK;
}

int plh_slot_rw_validate_read(const plh_slot_rw_state* slot, uint64_t generation, plh_slot_metrics* metrics) {
    if (slot == nullptr) return 0;
    if (pylabhub::platform::load_after_plain_reads(slot->generation) == generation) return 1;
    count(metrics, &plh_slot_metrics::reads_torn);
    return 0;
}

plh_slot_result plh_slot_rw_release_read(plh_slot_rw_state* slot, plh_slot_metrics* metrics) {
    if (slot == nullptr) return PLH_SLOT_ERROR;
    uint32_t readers = field(slot->reader_count).load(std::memory_order_relaxed);
    do {
        if (readers == 0) return PLH_SLOT_INVALID_STATE;  // never underflow
    } while (!field(slot->reader_count).compare_exchange_weak(readers, readers - 1, std::memory_order_release, std::memory_order_relaxed));
    count(metrics, &plh_slot_metrics::reads_ok);
    return PLH_SLOT_OK;
}

uint64_t plh_slot_owner_word(void) { return pylabhub::platform::owner_word(pylabhub::platform::current_process()); }

const char* plh_slot_result_string(plh_slot_result result) {
    switch (result) {
    case PLH_SLOT_OK: return "ok";
    case PLH_SLOT_TIMEOUT: return "timeout";
    case PLH_SLOT_NOT_READY: return "not ready";
    case PLH_SLOT_LOCKED: return "locked by another writer";
    case PLH_SLOT_OVERRUN: return "overrun by the writer";
    case PLH_SLOT_INVALID_STATE: return "invalid state";
    case PLH_SLOT_ERROR: return "invalid argument";
    }
    return "unknown result";
}

}  // extern "C"
