// Checksum policies: how a slot's digest is made.
//
// A policy is a plain table of an id, a name, a digest size and a function,
// so the plugin ABI can hand the DataBlock a third-party policy unchanged.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pylabhub/datablock/config.hpp"

namespace pylabhub::datablock {

/// Digest room per slot and per flexible zone in the segment.
inline constexpr std::size_t kMaxDigestBytes = 32;

/// A checksum policy: built in, or from a checksum plugin.
struct ChecksumPolicy {
    std::uint32_t id;          ///< stored in the header; attachers must agree
    const char* name;          ///< the name pipelines use: "xxh3"
    std::size_t digest_bytes;  ///< <= kMaxDigestBytes
    /// Writes digest_bytes bytes to `digest`. Thread-safe, no allocation.
    void (*compute)(const void* data, std::size_t size, std::uint8_t* digest);
};

/// The built-in policy for `kind` (none has digest_bytes 0 and compute null).
const ChecksumPolicy& builtin_checksum(ChecksumKind kind) noexcept;

/// The built-in policy with this header id, or nullptr.
const ChecksumPolicy* builtin_checksum_by_id(std::uint32_t id) noexcept;

/// Ids below this are pyLabHub's; plugin policies use this and above.
inline constexpr std::uint32_t kFirstPluginChecksumId = 1000;

}  // namespace pylabhub::datablock
