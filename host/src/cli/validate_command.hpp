#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace pylabhub::host {

/// `pylabhub validate FILE`: every problem as file:line:col, exit 1; or a
/// one-line summary, exit 0. Starts nothing.
int validate_command(const std::string& file, const std::vector<std::string>& plugin_paths, std::ostream& out, std::ostream& err);

}  // namespace pylabhub::host
