// `pylabhub broker` and `pylabhub channels`.
#pragma once

#include <iosfwd>
#include <string>

namespace pylabhub::host {

/// Runs a standalone broker until SIGINT/SIGTERM. Exit 0, or 1 if it cannot bind.
int broker_command(const std::string& endpoint, std::ostream& err);

/// The channels registered at the broker, as a table or JSON. Exit 1 if no broker answers.
int channels_command(const std::string& endpoint, bool json, std::ostream& out, std::ostream& err);

} // namespace pylabhub::host
