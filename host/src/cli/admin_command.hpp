// `pylabhub admin`: find, diagnose, repair and clean up DataBlock segments.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace pylabhub::host {

struct AdminRequest {
    std::string action;   ///< list, diagnose, force-reset, cleanup-zombies, validate, cleanup
    std::string segment;  ///< a channel name ("sensor") or a segment name ("/plh.sensor")
    long slot = -1;
    bool force = false;
    bool repair = false;
    bool json = false;
    bool dry_run = false;
    bool unreadable = false;                ///< cleanup: also remove segments that are not readable DataBlocks
    std::vector<std::string> plugin_paths;  ///< validate: where to find a segment's checksum plugin
};

/// Exit 0 when all is well (or was done), 1 when problems were found or an
/// action was refused, 2 for a bad request.
int admin_command(const AdminRequest& request, std::ostream& out, std::ostream& err);

}  // namespace pylabhub::host
