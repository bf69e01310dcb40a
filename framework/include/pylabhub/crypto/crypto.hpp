// Hashing and randomness, all through libsodium.
//
// libsodium is initialised once, on first use, from any thread. If it cannot
// be initialised (no entropy source) the process stops with a message: a
// silently weak random generator would be worse than no program.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pylabhub/core/result.hpp"

namespace pylabhub::crypto {

using Digest256 = std::array<std::uint8_t, 32>;
/// Proves that an attacher was told about a segment by its creator.
using SharedSecret = std::array<std::uint8_t, 32>;

/// Initialises libsodium; idempotent, thread-safe, cheap after the first call.
Result<void> initialize();

/// BLAKE2b with a 32-byte digest (libsodium crypto_generichash).
Digest256 blake2b_256(std::span<const std::byte> data) noexcept;
Digest256 blake2b_256(std::string_view text) noexcept;

/// Incremental BLAKE2b-256: update() any number of times, then finalize()
/// once; the object then starts over, ready for a new message.
class Blake2b256 {
public:
    Blake2b256() noexcept;
    void update(std::span<const std::byte> data) noexcept;
    void update(std::string_view text) noexcept;
    Digest256 finalize() noexcept;

private:
    void reset() noexcept;
    alignas(64) unsigned char state_[384];  // crypto_generichash_state
};

/// Fills `out` with cryptographically secure random bytes.
void random_bytes(std::span<std::byte> out) noexcept;

SharedSecret generate_shared_secret() noexcept;

/// Compares in time independent of the contents (for secrets).
bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;

/// Lowercase hex, two characters a byte.
std::string to_hex(std::span<const std::uint8_t> bytes);

/// Parses hex (either case) into exactly `N` bytes; the error says what is wrong and where.
Result<std::vector<std::uint8_t>> from_hex(std::string_view hex);

template <std::size_t N>
Result<std::array<std::uint8_t, N>> from_hex_fixed(std::string_view hex) {
    auto bytes = from_hex(hex);
    if (!bytes) return std::move(bytes).error();
    if (bytes->size() != N) {
        return make_error(ErrorCode::invalid_argument,
                          "expected " + std::to_string(N * 2) + " hex digits, got " + std::to_string(hex.size()));
    }
    std::array<std::uint8_t, N> out{};
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return out;
}

}  // namespace pylabhub::crypto
