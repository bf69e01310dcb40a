// The in-memory format of a DataBlock segment (internal).
//
//   SegmentHeader | ConsumerEntry[max_consumers] | FlexZoneEntry[zones]
//   | plh_slot_rw_state[slot_count] | digests[slot_count] | flexible zones | slots
//
// Every region starts on a cache line. The header says
// everything needed to recompute this layout, and an attacher recomputes it
// and checks it against the segment's size. Fields written by the producer
// and fields written by consumers sit on separate cache lines.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "pylabhub/crypto/crypto.hpp"
#include "pylabhub/datablock/checksum.hpp"
#include "pylabhub/datablock/config.hpp"
#include "pylabhub/datablock/slot_rw.h"

namespace pylabhub::datablock::detail {

inline constexpr std::uint64_t kMagic = 0x314B4C4244484C50ULL;  // "PLHDBLK1" little-endian
inline constexpr std::uint32_t kLayoutVersion = 2;
inline constexpr std::size_t kCacheLine = 64;
inline constexpr std::uint64_t kNoSequence = ~std::uint64_t{0};

struct alignas(kCacheLine) SegmentHeader {
    // --- written once by the creator; magic last ----------------------------
    std::atomic<std::uint64_t> magic;
    std::uint32_t layout_version;
    std::uint32_t header_bytes;
    std::uint8_t header_layout_hash[32];
    std::uint64_t total_bytes;
    std::uint64_t slot_bytes;   // payload capacity
    std::uint64_t slot_stride;  // slot_bytes rounded up to a cache line
    std::uint32_t slot_count;
    std::uint32_t max_consumers;
    std::uint32_t sync_policy;
    std::uint32_t checksum_policy;
    std::uint32_t checksum_mode;
    std::uint32_t flex_zone_count;
    std::uint32_t has_schema;
    std::uint32_t digest_bytes;  // per slot and zone, from the checksum policy
    std::uint32_t schema_version[3];
    std::uint8_t schema_hash[32];
    char schema_name[64];
    std::uint8_t shared_secret[32];
    std::uint64_t creator_pid;
    std::uint64_t created_ns;

    // --- written rarely (producer start, skip_to, close); every waiting
    //     reader looks at them, so they share the write-once lines above ----
    std::atomic<std::uint64_t> producer_owner;  // owner word of the live producer, 0 when closed
    /// Set by Producer::skip_to: sequences below it that were never
    /// committed never will be; readers move up to it (a gap).
    std::atomic<std::uint64_t> sequence_floor;
    std::atomic<std::uint32_t> closed;

    // --- written by the producer at every publication (and on the rare
    //     timeout or recovery); readers wait on it. Nothing is written here
    //     when a write starts, so a reader polling commit_count sees its
    //     line change once per publication. -----------------------------------
    alignas(kCacheLine) std::atomic<std::uint64_t> commit_count;  // sequences [0, commit_count) are committed
    std::atomic<std::uint64_t> producer_heartbeat_ns;
    std::atomic<std::uint64_t> writer_backpressure_timeouts;
    std::atomic<std::uint64_t> recovery_actions;
    std::atomic<std::uint32_t> commit_futex;  // bumped on commit and close; consumers sleep on it

    alignas(kCacheLine) plh_slot_metrics producer_metrics;  // writer-side counters

    // --- written by consumers ------------------------------------------------
    alignas(kCacheLine) std::atomic<std::uint32_t> commit_waiters;  // consumers asleep on commit_futex
    std::atomic<std::uint32_t> space_futex;                         // bumped when a consumer frees space; the producer sleeps on it
    std::atomic<std::uint32_t> space_waiters;                       // 1 while the producer is asleep on space_futex
    std::atomic<std::uint64_t> reader_timeouts;
    std::atomic<std::uint64_t> checksum_failures;
    std::atomic<std::uint64_t> schema_mismatches;
    std::atomic<std::uint64_t> slots_read_retired;  // slots_read of consumers that left
    std::atomic<std::uint64_t> consumer_attaches;

    alignas(kCacheLine) plh_slot_metrics consumer_metrics;  // reader-side counters
};

/// One consumer's row, on its own cache line.
struct alignas(kCacheLine) ConsumerEntry {
    std::atomic<std::uint64_t> owner;   // owner word, 0 = free
    std::atomic<std::uint32_t> active;  // 1 once position is valid
    std::uint32_t reserved0;
    std::atomic<std::uint64_t> start_time;
    std::atomic<std::uint64_t> position;  // next sequence this consumer will read
    std::atomic<std::uint64_t> reading;   // sequence it is inside, or kNoSequence
    std::atomic<std::uint64_t> last_heartbeat_ns;
    std::atomic<std::uint64_t> slots_read;
    std::uint64_t reserved1;
};

struct alignas(kCacheLine) FlexZoneEntry {
    char name[32];
    std::uint64_t offset;  // from the segment start
    std::uint64_t bytes;
    std::uint8_t digest[crypto::Digest256{}.size()];
    std::atomic<std::uint64_t> digest_valid;
    /// A seqlock over the zone's bytes and digest: odd while a writer
    /// replaces them (flex_zone.cpp); half of it counts the writes.
    std::atomic<std::uint64_t> generation;
    std::atomic<std::uint64_t> writer;  // owner word of the writer inside, 0 when none
    std::uint64_t reserved;
};

static_assert(sizeof(ConsumerEntry) == kCacheLine);
static_assert(sizeof(FlexZoneEntry) == 2 * kCacheLine);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free && std::atomic<std::uint32_t>::is_always_lock_free,
              "cross-process atomics must be lock-free");

/// Offsets of every region, from the values the header records.
struct SegmentLayout {
    std::uint64_t consumers_offset = 0;
    std::uint64_t zones_offset = 0;
    std::uint64_t slot_states_offset = 0;
    std::uint64_t digests_offset = 0;
    std::uint64_t zone_data_offset = 0;
    std::uint64_t slots_offset = 0;
    std::uint64_t slot_stride = 0;
    std::uint64_t total_bytes = 0;

    std::uint64_t digest_bytes = 0;
    /// Fixed when the segment was created and checked on attach: readers and
    /// writers use these copies, never the live header fields, which another
    /// process could change under them.
    std::uint32_t slot_count = 0;
    std::uint32_t max_consumers = 0;

    static SegmentLayout compute(std::uint32_t slot_count, std::uint64_t slot_bytes, std::uint32_t max_consumers,
                                 std::uint32_t digest_bytes, const std::uint64_t* zone_bytes, std::uint32_t zone_count);
};

/// BLAKE2b of a description of SegmentHeader's fields (offsets and sizes),
/// so two builds that lay the header out differently refuse each other.
const crypto::Digest256& header_layout_hash();

/// Typed views of a mapped segment.
struct SegmentView {
    std::byte* base = nullptr;
    SegmentLayout layout;

    SegmentHeader& header() const { return *reinterpret_cast<SegmentHeader*>(base); }
    ConsumerEntry* consumers() const { return reinterpret_cast<ConsumerEntry*>(base + layout.consumers_offset); }
    FlexZoneEntry* zones() const { return reinterpret_cast<FlexZoneEntry*>(base + layout.zones_offset); }
    plh_slot_rw_state* slot_state(std::uint64_t sequence) const {
        return reinterpret_cast<plh_slot_rw_state*>(base + layout.slot_states_offset) + sequence % layout.slot_count;
    }
    std::uint8_t* digest(std::uint64_t sequence) const {
        return reinterpret_cast<std::uint8_t*>(base + layout.digests_offset) + (sequence % layout.slot_count) * layout.digest_bytes;
    }
    std::byte* slot_data(std::uint64_t sequence) const {
        return base + layout.slots_offset + (sequence % layout.slot_count) * layout.slot_stride;
    }
};

}  // namespace pylabhub::datablock::detail

#include <string_view>

#include "pylabhub/datablock/metrics.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "pylabhub/schema/schema_info.hpp"

#include <optional>

namespace pylabhub::datablock::detail {

/// Counters of the block, summed over the header and the consumer table.
DataBlockMetrics read_metrics(const SegmentView& view);

/// The zone entry called `name`, or nullptr.
FlexZoneEntry* find_zone(const SegmentView& view, std::string_view name);

/// Checks a mapped segment's header (size, magic, layout version, header
/// layout hash, config sanity, total size) and returns its layout; the error
/// names the field that is wrong. Reads only.
Result<SegmentLayout> read_segment_layout(const platform::SharedMemory& shm);

/// Attaches `shm_name` and checks its header: the mapping and its layout,
/// or an error that starts with "<what> datablock '<name>': ".
struct OpenedSegment {
    platform::SharedMemory shm;
    SegmentLayout layout;
};
Result<OpenedSegment> open_segment(std::string_view shm_name, std::string_view what);

/// The configuration a segment's header records (`checksum` is the raw
/// policy id cast, whatever it is; flexible zones by name and size).
DataBlockConfig recorded_config(const SegmentView& view);
/// The schema a header records (name, hash, version; the BLDS is not kept there).
std::optional<schema::SchemaInfo> recorded_schema(const SegmentView& view);

/// For a row whose consumer `dead` has died, claimed by the caller: gives
/// back the slot it was inside (latest_only: only those readers enter one),
/// keeps what it read in the totals, counts the recovery. True if it was
/// inside a slot.
bool settle_dead_consumer(const SegmentView& view, ConsumerEntry& entry);

/// Retires the row of dead consumer `dead`: claims it for `retirer` (an
/// owner word of a live process) so only one retirer settles it, settles
/// it, frees it. False if another process got the row first.
bool retire_dead_consumer(const SegmentView& view, ConsumerEntry& entry, std::uint64_t dead, std::uint64_t retirer, bool* was_reading);

/// The layout a Producer creates for `config`.
SegmentLayout layout_for(const DataBlockConfig& config);

/// True for sync policies where the writer must not overtake a consumer.
inline bool is_lossless(std::uint32_t sync_policy) { return sync_policy != static_cast<std::uint32_t>(SyncPolicy::latest_only); }

}  // namespace pylabhub::datablock::detail
