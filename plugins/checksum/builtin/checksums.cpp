// The DataBlock's built-in checksum policies as plugins of the checksum
// kind: the same ids, digest sizes and algorithms (docs/datablock.md), so
// `pylabhub inspect` lists them and a pipeline names them like any other.
#include <cstring>

#include <sodium.h>
#include <xxhash.h>

#include <pylabhub/sdk/plugin.hpp>

namespace {

namespace sdk = pylabhub::sdk;

struct NoChecksum : sdk::ChecksumPolicy {
    static constexpr sdk::PluginInfo info{"none", "1.0.0", "no checksum"};
    static constexpr std::uint32_t policy_id = 0;
    static constexpr std::uint32_t digest_bytes = 0;
    static void compute(const void*, std::size_t, std::uint8_t*) {}
};

struct Blake2b : sdk::ChecksumPolicy {
    static constexpr sdk::PluginInfo info{"blake2b", "1.0.0", "BLAKE2b-256 (libsodium): tamper-evident, ~1 GB/s"};
    static constexpr std::uint32_t policy_id = 1;
    static constexpr std::uint32_t digest_bytes = 32;
    static void compute(const void* data, std::size_t size, std::uint8_t* digest) {
        crypto_generichash(digest, 32, static_cast<const unsigned char*>(data), size, nullptr, 0);
    }
};

struct Xxh3 : sdk::ChecksumPolicy {
    static constexpr sdk::PluginInfo info{"xxh3", "1.0.0", "XXH3-64 (xxhash): bulk integrity at memory speed"};
    static constexpr std::uint32_t policy_id = 2;
    static constexpr std::uint32_t digest_bytes = 8;
    static void compute(const void* data, std::size_t size, std::uint8_t* digest) {
        const XXH64_hash_t hash = XXH3_64bits(data, size);
        std::memcpy(digest, &hash, sizeof hash);
    }
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(NoChecksum, Blake2b, Xxh3)
