// What a DataBlock is made of and how its users wait.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pylabhub/core/result.hpp"

namespace pylabhub::datablock {

/// Which slot a reader gets next, and when the writer must wait. Stored in
/// the segment header; the numeric values are part of the on-memory format.
enum class SyncPolicy : std::uint32_t {
    latest_only = 1,    ///< readers get the newest slot; the writer never waits
    single_reader = 2,  ///< one lossless consumer; the writer waits when the ring is full
    sync_reader = 3,    ///< many lossless consumers; the writer waits for the slowest live one
};

/// How a slot's digest is made. Stored in the header.
enum class ChecksumKind : std::uint32_t {
    none = 0,
    blake2b = 1,  ///< BLAKE2b-256 (libsodium): tamper-evident, ~1 GB/s
    xxh3 = 2,     ///< XXH3-64 (xxhash): bulk integrity at memory speed
};

/// Enforced: commit writes the digest and every read verifies it.
/// Manual: the application calls update_checksum() / verify_checksum().
enum class ChecksumMode : std::uint32_t { manual = 1, enforced = 2 };

/// How a producer or consumer waits (for space, for data). See docs/datablock.md.
enum class WaitStrategy {
    busy_poll,   ///< spin on the shared index: lowest latency, one core at 100 %
    spin_yield,  ///< spin, then yield, then short sleeps: low latency, cheap when idle
    blocking,    ///< spin briefly, then sleep on a futex in the segment: ~20 µs wake-up, no CPU while idle
};

std::string_view to_string(SyncPolicy policy) noexcept;
std::string_view to_string(ChecksumKind kind) noexcept;
std::string_view to_string(ChecksumMode mode) noexcept;
std::string_view to_string(WaitStrategy strategy) noexcept;
Result<SyncPolicy> parse_sync_policy(std::string_view text);
Result<ChecksumKind> parse_checksum_kind(std::string_view text);
Result<WaitStrategy> parse_wait_strategy(std::string_view text);

struct ChecksumPolicy;  // checksum.hpp

/// A named region beside the ring for state that is not a stream
/// (calibration, configuration), with its own checksum.
struct FlexZoneSpec {
    std::string name;       ///< 1..31 characters
    std::size_t bytes = 0;  ///< its size
};

/// The layout and policies of a DataBlock, fixed when it is created.
struct DataBlockConfig {
    std::uint32_t slot_count = 64;                        ///< slots in the ring
    std::size_t slot_bytes = 4096;                        ///< payload capacity of one slot
    SyncPolicy sync = SyncPolicy::single_reader;          ///< who waits for whom (docs/datablock.md)
    ChecksumKind checksum = ChecksumKind::none;           ///< the built-in checksum of every slot
    ChecksumMode checksum_mode = ChecksumMode::enforced;  ///< what a reader does on a mismatch
    /// A policy from a checksum plugin (id 1000+); overrides `checksum`.
    /// Must outlive the Producer (plugin libraries are never unloaded).
    const ChecksumPolicy* checksum_policy = nullptr;
    std::uint32_t max_consumers = 8;       ///< size of the consumer table (single_reader: always 1)
    std::vector<FlexZoneSpec> flex_zones;  ///< the flexible zones beside the ring
    std::uint32_t permissions = 0600;      ///< the segment file's mode

    /// Every problem with the values, or success. Limits: 1..1'048'576 slots,
    /// 1 byte..1 GiB a slot, 1..1024 consumers.
    Result<void> validate() const;
};

}  // namespace pylabhub::datablock
