// A recording opened for reading, with its description checked: what
// `verify` and `dump` share.
#pragma once

#include <cstdint>
#include <string>

#include "pylabhub/core/result.hpp"
#include "pylabhub/recording/description.hpp"
#include "pylabhub/recording/reader.hpp"
#include "text/terminal.hpp"

namespace pylabhub::host {

/// What a recording's header says about its data.
using RecordingDescription = recording::Description;

struct OpenedRecording {
    recording::Reader reader;
    RecordingDescription description;
};

/// Opens `path`: not_found/invalid_argument when it is not a recording,
/// corrupt when its description is not what the recorder writes.
Result<OpenedRecording> open_recording(const std::string& path);

/// Unix time in ns as ISO 8601 UTC with microseconds: 2026-11-30T11:24:20.123456Z.
std::string utc_text(std::int64_t unix_ns);

}  // namespace pylabhub::host
