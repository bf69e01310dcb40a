// `pylabhub echo` and `pylabhub hz`: watch a channel found through the
// broker, as a passive observer that never slows its producer.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "cli/broker_commands.hpp"

namespace pylabhub::host {

/// Prints the newest slots, decoded with the schema the broker has, until
/// `count` were printed (0: until SIGINT/SIGTERM or the channel closes).
int echo_command(const std::string& channel, std::uint64_t count, bool zones, const std::string& broker, const CurveFiles& curve,
                 std::ostream& out, std::ostream& err);

/// Prints the channel's rate and period jitter every second, for
/// `duration_s` seconds (0: until SIGINT/SIGTERM), like `ros2 topic hz`.
int hz_command(const std::string& channel, double duration_s, const std::string& broker, const CurveFiles& curve, std::ostream& out,
               std::ostream& err);

}  // namespace pylabhub::host
