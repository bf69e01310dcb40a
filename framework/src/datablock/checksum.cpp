#include "pylabhub/datablock/checksum.hpp"

#include <cstring>

#include <xxhash.h>

#include "pylabhub/crypto/crypto.hpp"

namespace pylabhub::datablock {
namespace {

void blake2b_digest(const void* data, std::size_t size, std::uint8_t* digest) {
    const auto hash = crypto::blake2b_256(std::span(static_cast<const std::byte*>(data), size));
    std::memcpy(digest, hash.data(), hash.size());
}

void xxh3_digest(const void* data, std::size_t size, std::uint8_t* digest) {
    const XXH64_hash_t hash = XXH3_64bits(data, size);
    std::memcpy(digest, &hash, sizeof hash);
}

constexpr ChecksumPolicy kNone{static_cast<std::uint32_t>(ChecksumKind::none), "none", 0, nullptr};
constexpr ChecksumPolicy kBlake2b{static_cast<std::uint32_t>(ChecksumKind::blake2b), "blake2b", 32, blake2b_digest};
constexpr ChecksumPolicy kXxh3{static_cast<std::uint32_t>(ChecksumKind::xxh3), "xxh3", 8, xxh3_digest};

}  // namespace

const ChecksumPolicy& builtin_checksum(ChecksumKind kind) noexcept {
    switch (kind) {
    case ChecksumKind::blake2b: return kBlake2b;
    case ChecksumKind::xxh3: return kXxh3;
    case ChecksumKind::none: break;
    }
    return kNone;
}

const ChecksumPolicy* builtin_checksum_by_id(std::uint32_t id) noexcept {
    for (const ChecksumPolicy* policy : {&kNone, &kBlake2b, &kXxh3}) {
        if (policy->id == id) return policy;
    }
    return nullptr;
}

}  // namespace pylabhub::datablock
