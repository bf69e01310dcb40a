// `pylabhub verify FILE [--repair]`.
#pragma once

#include <iosfwd>
#include <string>

namespace pylabhub::host {

/// Exit codes (docs/cli.md): a torn last record alone is a crash, not
/// corruption, and gets its own code.
enum VerifyExit : int {
    verify_ok = 0,
    verify_failed = 1,  ///< corrupt records, repeats, reordering, gaps (not on latest_only), or not a recording
    verify_torn = 5,    ///< only the last record is cut off (a crash); everything before it is intact
};

/// Checks the header, every record's checksum and the sequence, and prints
/// a summary with the recording's time span in UTC. With `repair`, a
/// recording whose only problem is a torn last record is cut back to its
/// intact prefix (then exit 0); nothing else is ever changed.
int verify_command(const std::string& file, bool repair, std::ostream& out, std::ostream& err);

}  // namespace pylabhub::host
