#include "pylabhub/log.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <ctime>
#include <mutex>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/rotating_file_sink.h>
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

/// One JSON object a line; the message escaped so any text stays one valid line.
class JsonFormatter final : public spdlog::formatter {
public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        const auto since_epoch = msg.time.time_since_epoch();
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
        const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
        const std::time_t t = static_cast<std::time_t>(seconds.count());
        std::tm utc{};
        ::gmtime_r(&t, &utc);
        char time[40];
        const std::size_t n = std::strftime(time, sizeof time, "%Y-%m-%dT%H:%M:%S", &utc);
        std::snprintf(time + n, sizeof time - n, ".%03dZ", static_cast<int>(millis));
        const auto level = spdlog::level::to_string_view(msg.level);
        append(dest, "{\"time\":\"");
        append(dest, time);
        append(dest, "\",\"level\":\"");
        append(dest, std::string_view(level.data(), level.size()));
        append(dest, "\",\"logger\":\"");
        escaped(dest, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
        append(dest, "\",\"message\":\"");
        escaped(dest, std::string_view(msg.payload.data(), msg.payload.size()));
        append(dest, "\"}\n");
    }
    std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }

private:
    static void append(spdlog::memory_buf_t& dest, std::string_view text) { dest.append(text.data(), text.data() + text.size()); }
    static void escaped(spdlog::memory_buf_t& dest, std::string_view text) {
        for (const char c : text) {
            switch (c) {
            case '"': append(dest, "\\\""); break;
            case '\\': append(dest, "\\\\"); break;
            case '\n': append(dest, "\\n"); break;
            case '\r': append(dest, "\\r"); break;
            case '\t': append(dest, "\\t"); break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char code[8];
                    std::snprintf(code, sizeof code, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
                    append(dest, code);
                } else {
                    dest.push_back(c);
                }
            }
        }
    }
};

}  // namespace

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

Result<void> set_output(Format format, const std::string& file, std::uint64_t max_bytes, std::size_t files) {
    spdlog::sink_ptr sink;
    if (file.empty()) {
        sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    } else {
        try {
            sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(file, static_cast<std::size_t>(max_bytes), files);
        } catch (const spdlog::spdlog_ex& e) {
            return make_error(ErrorCode::system, "log file " + file + ": " + e.what());
        }
    }
    if (format == Format::json) {
        sink->set_formatter(std::make_unique<JsonFormatter>());
    } else {
        sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(Options{}.pattern));
    }
    logger().sinks().assign(1, sink);
    return {};
}

Result<Format> parse_format(std::string_view text) {
    if (text == "text") return Format::text;
    if (text == "json") return Format::json;
    return make_error(ErrorCode::invalid_argument, "unknown log format '" + std::string(text) + "' (expected text or json)");
}

Result<Level> parse_level(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static constexpr std::pair<std::string_view, Level> names[] = {
        {"trace", Level::trace},  {"debug", Level::debug}, {"info", Level::info},         {"warn", Level::warn},
        {"warning", Level::warn}, {"error", Level::error}, {"critical", Level::critical}, {"off", Level::off},
    };
    for (const auto& [name, level] : names) {
        if (lower == name) return level;
    }
    return make_error(ErrorCode::invalid_argument,
                      "unknown log level '" + std::string(text) + "' (expected trace, debug, info, warn, error, critical or off)");
}

}  // namespace pylabhub::log
