#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace pylabhub::host {

/// `pylabhub run FILE [--duration S]`: validate, then run (see pipeline/runner.hpp).
int run_command(const std::string& file, const std::vector<std::string>& plugin_paths, std::optional<double> duration_s,
                std::ostream& out, std::ostream& err);

} // namespace pylabhub::host
