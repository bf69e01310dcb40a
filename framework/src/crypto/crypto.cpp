#include "pylabhub/crypto/crypto.hpp"

#include <cstdlib>
#include <mutex>

#include <sodium.h>

#include "pylabhub/log.hpp"

namespace pylabhub::crypto {
namespace {

static_assert(sizeof(crypto_generichash_state) <= 384 && alignof(crypto_generichash_state) <= 64,
              "Blake2b256::state_ is too small for this libsodium");
static_assert(crypto_generichash_BYTES == 32);

void ensure_initialized() noexcept {
    if (auto ready = initialize(); !ready) {
        log::logger().critical("{}", ready.error().message);
        std::abort();
    }
}

crypto_generichash_state* as_state(unsigned char* storage) noexcept { return reinterpret_cast<crypto_generichash_state*>(storage); }

const unsigned char* as_uchars(std::span<const std::byte> data) noexcept { return reinterpret_cast<const unsigned char*>(data.data()); }

}  // namespace

Result<void> initialize() {
    static const int status = ::sodium_init();  // 0 first time, 1 already done, -1 failure
    if (status < 0) {
        return make_error(ErrorCode::system, "libsodium could not be initialised (no usable entropy source)");
    }
    return {};
}

Digest256 blake2b_256(std::span<const std::byte> data) noexcept {
    ensure_initialized();
    Digest256 digest{};
    crypto_generichash(digest.data(), digest.size(), as_uchars(data), data.size(), nullptr, 0);
    return digest;
}

Digest256 blake2b_256(std::string_view text) noexcept { return blake2b_256(std::as_bytes(std::span(text.data(), text.size()))); }

Blake2b256::Blake2b256() noexcept {
    ensure_initialized();
    reset();
}

void Blake2b256::reset() noexcept { crypto_generichash_init(as_state(state_), nullptr, 0, crypto_generichash_BYTES); }

void Blake2b256::update(std::span<const std::byte> data) noexcept {
    crypto_generichash_update(as_state(state_), as_uchars(data), data.size());
}

void Blake2b256::update(std::string_view text) noexcept { update(std::as_bytes(std::span(text.data(), text.size()))); }

Digest256 Blake2b256::finalize() noexcept {
    Digest256 digest{};
    crypto_generichash_final(as_state(state_), digest.data(), digest.size());
    reset();
    return digest;
}

void random_bytes(std::span<std::byte> out) noexcept {
    ensure_initialized();
    randombytes_buf(out.data(), out.size());
}

SharedSecret generate_shared_secret() noexcept {
    SharedSecret secret{};
    random_bytes(std::as_writable_bytes(std::span(secret)));
    return secret;
}

bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(bytes.size() * 2);
    for (std::uint8_t byte : bytes) {
        hex.push_back(digits[byte >> 4]);
        hex.push_back(digits[byte & 0x0f]);
    }
    return hex;
}

Result<std::vector<std::uint8_t>> from_hex(std::string_view hex) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    if (hex.size() % 2 != 0) {
        return make_error(ErrorCode::invalid_argument, "hex string has an odd number of digits (" + std::to_string(hex.size()) + ")");
    }
    std::vector<std::uint8_t> bytes(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); ++i) {
        const int value = nibble(hex[i]);
        if (value < 0) {
            return make_error(ErrorCode::invalid_argument,
                              "'" + std::string(1, hex[i]) + "' at position " + std::to_string(i) + " is not a hex digit");
        }
        bytes[i / 2] = static_cast<std::uint8_t>(bytes[i / 2] << 4 | value);
    }
    return bytes;
}

}  // namespace pylabhub::crypto
