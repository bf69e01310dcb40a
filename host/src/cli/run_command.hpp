#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace pylabhub::host {

/// `pylabhub run FILE [--duration S] [--http ADDR]`: validate, then run
/// (see pipeline/runner.hpp), serving the HTTP endpoints at ADDR or the
/// pipeline's `http: {listen:}` (http/http_service.hpp).
int run_command(const std::string& file, const std::vector<std::string>& plugin_paths, std::optional<double> duration_s,
                const std::string& http_address, std::ostream& out, std::ostream& err);

}  // namespace pylabhub::host
