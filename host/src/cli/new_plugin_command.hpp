// `pylabhub new-plugin NAME --kind KIND [--dir DIR] [--force]`: a small
// standalone plugin project that builds against the installed SDK.
#pragma once

#include <iosfwd>
#include <string>

namespace pylabhub::host {

int new_plugin_command(const std::string& name, const std::string& kind, std::string directory, bool force, std::ostream& out,
                       std::ostream& err);

}  // namespace pylabhub::host
