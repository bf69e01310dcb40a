// Flexible zones replaced as a whole under a seqlock: a writer makes the
// zone's generation odd, writes bytes and digest, makes it even; a reader
// copies and keeps the copy only if the generation was even and unchanged.
// A writer that died inside (odd, owner dead) is taken over by the next
// writer; readers report it until then.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>

#include "pylabhub/core/result.hpp"
#include "pylabhub/datablock/checksum.hpp"
#include "segment.hpp"

namespace pylabhub::datablock::detail {

/// Replaces zone `name` with `data` (the rest zeroed) and its digest;
/// returns the zone's new version (writes so far).
Result<std::uint64_t> write_zone(const SegmentView& view, const ChecksumPolicy& checksum, std::string_view name,
                                 std::span<const std::byte> data, std::chrono::nanoseconds timeout);

/// Copies zone `name` into `out` (at least the zone's size) and checks its
/// digest when the policy has one; returns the version copied (0: never
/// written). Corrupt copies add to `checksum_failures`.
Result<std::uint64_t> read_zone(const SegmentView& view, const ChecksumPolicy* checksum, std::string_view name, std::span<std::byte> out,
                                std::chrono::nanoseconds timeout, std::atomic<std::uint64_t>* checksum_failures);

}  // namespace pylabhub::datablock::detail
