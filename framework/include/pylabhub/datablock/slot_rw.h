/** @file
 * The slot protocol: one writer and any number of readers share a slot
 * through a 64-byte state word block, across processes.
 *
 * Pure C so that bindings and tools can drive it; the DataBlock's C++ API is
 * built on these calls and adds nothing to the protocol.
 *
 *   writer: acquire_write -> (fill the slot) -> commit   (or release_write to abandon)
 *   reader: acquire_read  -> (read in place) -> validate_read -> release_read
 *
 * A writer holds the slot's write lock (its owner word: pid and start time,
 * as in SharedSpinLock), marks the slot WRITING and makes the generation odd,
 * optionally waits for readers to drain, and on commit stores the sequence
 * id, payload size and timestamp and makes the generation even again. A
 * reader announces itself (reader_count), checks that the slot holds the
 * committed sequence it wants, and remembers the generation; validate_read
 * says whether the generation is still the same, i.e. whether what it read
 * is whole. Thread rule: any thread of any process; one writer per slot at
 * a time (the lock enforces it).
 */
#ifndef PYLABHUB_DATABLOCK_SLOT_RW_H
#define PYLABHUB_DATABLOCK_SLOT_RW_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What a slot-protocol call returns. */
typedef enum plh_slot_result {
    PLH_SLOT_OK = 0,
    PLH_SLOT_TIMEOUT = 1,       /**< the wait ended first (lock held, readers did not drain) */
    PLH_SLOT_NOT_READY = 2,     /**< the slot does not (yet) hold the wanted committed sequence */
    PLH_SLOT_LOCKED = 3,        /**< another live writer holds the slot */
    PLH_SLOT_OVERRUN = 4,       /**< the writer has moved past the wanted sequence */
    PLH_SLOT_INVALID_STATE = 5, /**< call out of protocol order (commit without acquire...) */
    PLH_SLOT_ERROR = 6          /**< bad arguments */
} plh_slot_result;

enum { PLH_SLOT_FREE = 0, PLH_SLOT_WRITING = 1, PLH_SLOT_COMMITTED = 2 };

/** One cache line per slot. All fields are accessed atomically; zero-filled
 * memory is a valid FREE slot. */
typedef struct plh_slot_rw_state {
    uint64_t write_lock;       /**< owner word of the writer, 0 when free */
    uint64_t generation;       /**< odd while being written */
    uint64_t sequence;         /**< sequence id of the committed content */
    uint64_t commit_ns;        /**< monotonic time of the commit */
    uint64_t payload_bytes;    /**< bytes committed */
    uint32_t reader_count;     /**< readers inside acquire_read..release_read */
    uint32_t state;            /**< PLH_SLOT_FREE / WRITING / COMMITTED */
    uint64_t write_started_ns; /**< when the current or last writer took the lock (diagnostics) */
    uint64_t reserved;         /**< 0; room to grow */
} plh_slot_rw_state;

/** Counters the protocol updates; any of them may be shared by many slots
 * and processes (updated with atomic adds). */
typedef struct plh_slot_metrics {
    uint64_t writes_committed;      /**< commits */
    uint64_t writes_abandoned;      /**< writes released without a commit */
    uint64_t writer_lock_timeouts;  /**< a live writer held the lock too long */
    uint64_t writer_drain_timeouts; /**< readers did not leave in time */
    uint64_t reads_ok;              /**< reads that validated */
    uint64_t reads_not_ready;       /**< reads of a slot not holding the wanted sequence */
    uint64_t reads_torn;            /**< validate_read found the slot rewritten */
    uint64_t locks_reclaimed;       /**< write locks taken from dead writers */
} plh_slot_metrics;

/** Takes the write lock for `owner_word` (see plh_slot_owner_word), waiting up
 * to timeout_ns for another writer; a lock whose owner is dead is reclaimed.
 * With wait_for_readers, then waits (same budget) for reader_count to reach
 * 0; otherwise readers inside are left to fail validate_read. On timeout the
 * slot is left as it was. `metrics` may be NULL. The timeout counts from
 * the first wait; write_started_ns is stamped from the coarse monotonic
 * clock (CLOCK_MONOTONIC_COARSE: a few ms fine). */
plh_slot_result plh_slot_rw_acquire_write(plh_slot_rw_state* slot, uint64_t owner_word, uint64_t timeout_ns, int wait_for_readers,
                                          plh_slot_metrics* metrics);

/** acquire_write with the caller's clock reading `started_ns` (monotonic) as
 * the write's start: a writer taking a run of slots reads the clock once for
 * all of them. */
plh_slot_result plh_slot_rw_acquire_write_at(plh_slot_rw_state* slot, uint64_t owner_word, uint64_t started_ns, uint64_t timeout_ns,
                                             int wait_for_readers, plh_slot_metrics* metrics);

/** Publishes the slot: sequence id, payload size, commit time; unlocks. */
plh_slot_result plh_slot_rw_commit(plh_slot_rw_state* slot, uint64_t owner_word, uint64_t sequence, uint64_t payload_bytes,
                                   uint64_t commit_ns, plh_slot_metrics* metrics);

/** Abandons a write: the slot becomes FREE (its old content is gone) and unlocks. */
plh_slot_result plh_slot_rw_release_write(plh_slot_rw_state* slot, uint64_t owner_word, plh_slot_metrics* metrics);

/** Enters the slot as a reader if it holds committed `sequence`; stores the
 * generation to validate against. On anything but OK the reader is not
 * inside and must not call release_read. */
plh_slot_result plh_slot_rw_acquire_read(plh_slot_rw_state* slot, uint64_t sequence, uint64_t* generation, plh_slot_metrics* metrics);

/** The checks of acquire_read without entering the slot (reader_count is
 * not touched), for a reader whose place in the ring already keeps every
 * writer off the slot until it moves on (a lossless consumer's position).
 * validate_read still tells whether what was read is whole; never call
 * release_read after it. */
plh_slot_result plh_slot_rw_peek_read(const plh_slot_rw_state* slot, uint64_t sequence, uint64_t* generation, plh_slot_metrics* metrics);

/** 1 when the slot was not rewritten since acquire_read (what was read is
 * whole), else 0, counted in reads_torn. */
int plh_slot_rw_validate_read(const plh_slot_rw_state* slot, uint64_t generation, plh_slot_metrics* metrics);

/** Leaves the slot. */
plh_slot_result plh_slot_rw_release_read(plh_slot_rw_state* slot, plh_slot_metrics* metrics);

/** The owner word of the calling process (pid and start time). */
uint64_t plh_slot_owner_word(void);

/** "PLH_SLOT_TIMEOUT" etc., for messages. */
const char* plh_slot_result_string(plh_slot_result result);

#ifdef __cplusplus
}
#endif

#endif
