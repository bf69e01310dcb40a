#include "pylabhub/log.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace pylabhub::log {
namespace {

spdlog::level::level_enum to_spdlog(Level level) {
    switch (level) {
    case Level::trace: return spdlog::level::trace;
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
    case Level::critical: return spdlog::level::critical;
    case Level::off: return spdlog::level::off;
    }
    return spdlog::level::info;
}

std::shared_ptr<spdlog::logger> make_logger() {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    auto created = std::make_shared<spdlog::logger>("pylabhub", std::move(sink));
    Options defaults;
    created->set_pattern(defaults.pattern);
    created->set_level(to_spdlog(defaults.level));
    if (const char* env = std::getenv("PYLABHUB_LOG_LEVEL"); env != nullptr && *env != '\0') {
        if (auto level = parse_level(env)) {
            created->set_level(to_spdlog(*level));
        } else {
            created->warn("PYLABHUB_LOG_LEVEL: {}; using info", level.error().message);
        }
    }
    return created;
}

} // namespace

spdlog::logger& logger() {
    // Function-local static: initialised once, thread-safe, and alive for
    // the static destructors of other components that still log.
    static const std::shared_ptr<spdlog::logger> instance = make_logger();
    return *instance;
}

void configure(const Options& options) {
    logger().set_pattern(options.pattern);
    logger().set_level(to_spdlog(options.level));
}

void set_level(Level level) { logger().set_level(to_spdlog(level)); }

Result<Level> parse_level(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static constexpr std::pair<std::string_view, Level> names[] = {
        {"trace", Level::trace}, {"debug", Level::debug}, {"info", Level::info},
        {"warn", Level::warn},   {"warning", Level::warn}, {"error", Level::error},
        {"critical", Level::critical}, {"off", Level::off},
    };
    for (const auto& [name, level] : names) {
        if (lower == name) return level;
    }
    return make_error(ErrorCode::invalid_argument,
                      "unknown log level '" + std::string(text) +
                          "' (expected trace, debug, info, warn, error, critical or off)");
}

} // namespace pylabhub::log
