// CurveZMQ keys for the broker and its clients (docs/protocol.md).
//
// A key file holds one Z85 key (40 characters) on a line; lines starting
// with '#' are comments. `pylabhub keygen NAME` writes NAME.pub (0644) and
// NAME.key (0600, the secret).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "pylabhub/core/result.hpp"

namespace pylabhub::messagehub {

struct CurveKeyPair {
    std::string public_key;  ///< Z85, 40 characters
    std::string secret_key;
};

Result<CurveKeyPair> generate_curve_keypair();
/// The public key that belongs to a secret key.
Result<std::string> curve_public_of(const std::string& secret_key);

/// Writes BASE.pub and BASE.key; refuses to overwrite either.
Result<void> write_curve_keypair(const std::filesystem::path& base, const CurveKeyPair& pair);
/// Reads a key file; the error names the file and what is wrong.
Result<std::string> read_curve_key(const std::filesystem::path& file);

/// What a client needs to talk to a broker that requires CurveZMQ.
struct CurveClientKeys {
    std::string server_public;  ///< the broker's public key
    std::string client_secret;  ///< this client's secret key (its public one is derived)
};

}  // namespace pylabhub::messagehub
