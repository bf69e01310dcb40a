// `pylabhub dump FILE [--csv|--json] [--head N|--tail N]`: a recording's
// records decoded field by field with its schema, with UTC times.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

namespace pylabhub::host {

enum class DumpFormat { text, csv, json };

struct DumpRequest {
    std::string file;
    DumpFormat format = DumpFormat::text;
    std::uint64_t head = 0;  ///< only the first N records (0: all)
    std::uint64_t tail = 0;  ///< only the last N records (0: all)
};

/// Exit 0; 1 when the file is not a readable recording or has no schema to
/// decode with. A torn last record ends the output with a note on stderr.
int dump_command(const DumpRequest& request, std::ostream& out, std::ostream& err);

}  // namespace pylabhub::host
