// Looking into a DataBlock from outside, and repairing it: what
// `pylabhub admin` is built on (docs/recovery.md).
//
// An Inspector opens a segment by name without the shared secret: access is
// governed by the segment's file permissions (0600 by default, so the same
// user or root). It never changes payload bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pylabhub/core/result.hpp"
#include "pylabhub/datablock/config.hpp"
#include "pylabhub/datablock/metrics.hpp"

namespace pylabhub::datablock {

/// One slot's state, for `pylabhub admin diagnose`.
struct SlotDiagnostic {
    std::uint32_t index = 0;       ///< the slot's index in the ring
    std::string state;             ///< "free", "writing", "committed"
    std::uint64_t sequence = 0;    ///< of the committed content
    std::uint64_t generation = 0;  ///< odd while being written
    std::uint32_t readers = 0;     ///< readers inside it now
    std::uint64_t writer_pid = 0;  ///< 0 when no writer holds it
    bool writer_alive = false;     ///< the write lock's owner is alive
    std::uint64_t age_ns = 0;      ///< since its commit (committed) or since the write began (writing)
    bool stuck = false;            ///< held by a dead writer, or readers the table cannot account for
};

/// One row of the consumer table.
struct ConsumerDiagnostic {
    std::uint32_t row = 0;                 ///< row in the consumer table
    std::uint64_t pid = 0;                 ///< the consumer's process
    bool alive = false;                    ///< that process is alive
    std::uint64_t position = 0;            ///< next sequence it will read
    std::optional<std::uint64_t> reading;  ///< inside a slot now
    std::uint64_t heartbeat_age_ns = 0;    ///< since its last heartbeat
    std::uint64_t slots_read = 0;          ///< slots it has read
};

/// Everything a segment says about itself, read without taking part.
struct SegmentDiagnostic {
    std::string shm_name;                       ///< the segment's name in /dev/shm
    std::uint64_t bytes = 0;                    ///< its size
    DataBlockConfig config;                     ///< checksum id in `checksum_id` when it is a plugin's
    std::uint32_t checksum_id = 0;              ///< the checksum policy's id (1000+: a plugin's)
    std::string schema_name;                    ///< "" without schema
    std::string schema_version;                 ///< "MAJOR.MINOR.PATCH"
    std::string schema_hash_hex;                ///< BLAKE2b of the BLDS, hex
    std::uint64_t producer_pid = 0;             ///< the live producer's, else the creator's
    bool producer_alive = false;                ///< the producer process is alive
    bool closed = false;                        ///< the producer closed it
    DataBlockMetrics metrics;                   ///< the header's counters
    std::vector<SlotDiagnostic> slots;          ///< every slot's state
    std::vector<ConsumerDiagnostic> consumers;  ///< occupied rows
};

/// What a consistency check of every slot found.
struct IntegrityReport {
    std::vector<std::string> problems;  ///< empty: the segment is sound
    std::vector<std::string> repairs;   ///< what --repair changed (checksums only)
    std::vector<std::string> notes;     ///< what was not checked, and why
    std::uint64_t slots_checked = 0;    ///< slots whose state was checked
};

/// Reads a segment for diagnosis and repair, without taking part in it.
class Inspector {
public:
    /// Opens and checks the header; the error names the field that is wrong.
    static Result<Inspector> open(std::string_view shm_name);
    /// Moves; the moved-from object is left empty.
    Inspector(Inspector&&) noexcept;
    /// Move assignment; the moved-from object is left empty.
    Inspector& operator=(Inspector&&) noexcept;
    ~Inspector();

    /// What the header records about the layout (config, checksum id,
    /// schema): cheap, no slot or process is looked at. `slots`, `consumers`
    /// and the liveness fields stay empty.
    SegmentDiagnostic recorded() const;
    /// recorded(), plus every slot, consumer row and counter.
    SegmentDiagnostic diagnose() const;
    /// Slot `index`'s state.
    Result<SlotDiagnostic> diagnose_slot(std::uint32_t index) const;

    /// Returns the slot to FREE with no readers. Refused while a live writer
    /// holds it, unless `force`. The slot's content is gone; counted.
    Result<void> force_reset_slot(std::uint32_t index, bool force);
    /// Retires consumer rows of dead processes (and the slot each was
    /// reading), and takes slot write locks held by dead writers; returns
    /// a line per action.
    std::vector<std::string> cleanup_zombies();

    /// Checks the header, the consumer table, and every committed slot's and
    /// flexible zone's checksum, with the segment's policy: a built-in one,
    /// or the one of `checksum_plugins` whose id the header names. With
    /// `repair`, rewrites mismatching checksums (never payload) and reports
    /// each. In manual checksum mode the producer writes slot digests when it
    /// chooses, so slot digests are not checked (a note says so).
    IntegrityReport validate(bool repair, const std::vector<const ChecksumPolicy*>& checksum_plugins = {});

    /// Neither a live producer nor a live consumer: safe to remove.
    bool orphaned() const;

private:
    struct State;
    explicit Inspector(State* state) noexcept : state_(state) {}
    State* state_;
};

}  // namespace pylabhub::datablock
