#pragma once

#include <iosfwd>
#include <string>

namespace pylabhub::host {

/// `pylabhub verify FILE`: checks the header, every record's checksum and
/// the sequence; prints a summary; exit 1 on any corruption, truncation or
/// gap (gaps are expected, and only reported, on latest_only recordings).
int verify_command(const std::string& file, std::ostream& out, std::ostream& err);

} // namespace pylabhub::host
