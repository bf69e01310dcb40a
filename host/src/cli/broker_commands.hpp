// `pylabhub broker` and `pylabhub channels`.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "pylabhub/core/result.hpp"
#include "pylabhub/messagehub/curve.hpp"

namespace pylabhub::host {

/// Key files given on the command line (empty: none).
struct CurveFiles {
    std::string broker_secret;
    std::string
        allowed_clients_dir;    ///< broker: a directory of clients' NAME.pub files; only they are served  ///< broker: its secret key file
    std::string server_public;  ///< clients: the broker's public key file
    std::string client_secret;  ///< clients: their own secret key file
};

/// The client keys the files name, nullopt without any; an error if only
/// one of the two is given or a file is wrong.
Result<std::optional<messagehub::CurveClientKeys>> client_keys(const CurveFiles& files);

/// Runs a standalone broker until SIGINT/SIGTERM. Exit 0, or 1 if it cannot bind.
/// `insecure`: serve a non-loopback tcp endpoint without CurveZMQ anyway
/// (refused otherwise, exit 2).
/// `http_address` (HOST:PORT, "" for none): its HTTP endpoints (docs/observability.md).
int broker_command(const std::string& endpoint, const CurveFiles& curve, bool insecure, const std::string& http_address, std::ostream& err);

/// The channels registered at the broker, as a table or JSON. Exit 1 if no broker answers.
int channels_command(const std::string& endpoint, const CurveFiles& curve, bool json, std::ostream& out, std::ostream& err);

/// `pylabhub keygen NAME`: writes NAME.pub and NAME.key.
int keygen_command(const std::string& base, std::ostream& out, std::ostream& err);

}  // namespace pylabhub::host
