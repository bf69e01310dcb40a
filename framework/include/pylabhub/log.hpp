// The one place that decides how pyLabHub logs: level, format, destination.
//
// Everything logs through log::logger() so a host, a test or a tool sets the
// level once (configure() or the PYLABHUB_LOG_LEVEL environment variable)
// and every component follows. Logs go to stderr; stdout is for command output.
#pragma once

#include <string>
#include <string_view>

#include <spdlog/logger.h>

#include "pylabhub/core/result.hpp"

namespace pylabhub::log {

enum class Level { trace, debug, info, warn, error, critical, off };

struct Options {
    Level level = Level::info;
    /// spdlog pattern; the default carries time, level and the logger name.
    std::string pattern = "%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v";
};

/// Replaces the logger's level and pattern. Thread-safe; may be called again.
void configure(const Options& options);

/// Sets only the level (e.g. from a --log-level flag).
void set_level(Level level);

enum class Format { text, json };

/// Where and how lines go: stderr (default) or, with `file`, a file rotated
/// at `max_bytes` keeping `files` old ones (file.1 .. file.N) instead of
/// stderr; as text or as JSON lines ({"time","level","logger","message"},
/// time in UTC) for log collectors. Call before other threads log.
Result<void> set_output(Format format, const std::string& file = "", std::uint64_t max_bytes = 10ULL << 20, std::size_t files = 5);

/// "text" or "json".
Result<Format> parse_format(std::string_view text);

/// "trace", "debug", "info", "warn", "error", "critical", "off" (case-insensitive).
Result<Level> parse_level(std::string_view text);

/// The shared logger. First use reads PYLABHUB_LOG_LEVEL (default info);
/// an unknown value there falls back to info with a warning.
spdlog::logger& logger();

}  // namespace pylabhub::log
