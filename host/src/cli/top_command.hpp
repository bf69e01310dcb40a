// `pylabhub top`: every channel the broker knows, live, like htop.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "cli/broker_commands.hpp"

namespace pylabhub::host {

/// Redraws the table once a second until 'q', Ctrl-C, or `frames` were
/// drawn (0: no limit). Rates come from each channel's newest sequence id
/// (read without taking part: the writers never wait for it).
int top_command(const std::string& broker, const CurveFiles& curve, std::uint64_t frames, std::ostream& out, std::ostream& err);

}  // namespace pylabhub::host
