// Declaring a plugin's config map, the Fluent Bit way: a table at the top of
// the plugin, which the host validates user input against and prints in
// `pylabhub inspect`.
//
//   static constexpr plh_config_entry config[] = {
//       sdk::integer("channels", "8", "number of sine channels", 1, 64),
//       sdk::real("rate_hz", "1000", "samples per second", 0.001, 1e6),
//       sdk::required_string("path", "file to write"),
//   };
#pragma once

#include <limits>

#include "pylabhub/plugin_abi.h"

namespace pylabhub::sdk {

constexpr plh_config_entry option(plh_config_type type, const char* name, const char* default_value, const char* description) {
    return plh_config_entry{sizeof(plh_config_entry), static_cast<uint32_t>(type), name, description, default_value, 0, 0, 0.0, 0.0};
}

constexpr plh_config_entry with_range(plh_config_entry entry, double min_value, double max_value) {
    entry.has_range = 1;
    entry.min_value = min_value;
    entry.max_value = max_value;
    return entry;
}

constexpr plh_config_entry required(plh_config_entry entry) {
    entry.required = 1;
    entry.default_value = nullptr;
    return entry;
}

constexpr plh_config_entry boolean(const char* name, const char* default_value, const char* description) {
    return option(PLH_CONFIG_BOOL, name, default_value, description);
}
constexpr plh_config_entry integer(const char* name, const char* default_value, const char* description,
                                   double min_value = std::numeric_limits<double>::lowest(),
                                   double max_value = std::numeric_limits<double>::max()) {
    return with_range(option(PLH_CONFIG_INT, name, default_value, description), min_value, max_value);
}
constexpr plh_config_entry real(const char* name, const char* default_value, const char* description,
                                double min_value = std::numeric_limits<double>::lowest(),
                                double max_value = std::numeric_limits<double>::max()) {
    return with_range(option(PLH_CONFIG_FLOAT, name, default_value, description), min_value, max_value);
}
constexpr plh_config_entry string(const char* name, const char* default_value, const char* description) {
    return option(PLH_CONFIG_STRING, name, default_value, description);
}
constexpr plh_config_entry required_string(const char* name, const char* description) {
    return required(option(PLH_CONFIG_STRING, name, nullptr, description));
}
/// Durations are written "250us", "10ms", "2s"; the range is in nanoseconds.
constexpr plh_config_entry duration(const char* name, const char* default_value, const char* description) {
    return option(PLH_CONFIG_DURATION, name, default_value, description);
}
/// Sizes are written "4096", "4KiB", "1MiB"; the range is in bytes.
constexpr plh_config_entry size(const char* name, const char* default_value, const char* description) {
    return option(PLH_CONFIG_SIZE, name, default_value, description);
}
constexpr plh_config_entry string_list(const char* name, const char* description) {
    return option(PLH_CONFIG_STRING_LIST, name, nullptr, description);
}
/// ABI 1.1: nested maps and lists of any depth, read as JSON text with
/// Host::config_json; the default is written as JSON (nullptr: none).
constexpr plh_config_entry tree(const char* name, const char* default_json, const char* description) {
    return option(PLH_CONFIG_TREE, name, default_json, description);
}

}  // namespace pylabhub::sdk
