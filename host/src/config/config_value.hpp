// Plugin configuration: what a user wrote (text, with where they wrote it),
// checked against a plugin's config map and turned into typed values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "pylabhub/core/result.hpp"
#include "pylabhub/plugin_abi.h"

namespace pylabhub::host {

/// Where a value came from, for file:line:col messages (line 0: unknown).
struct SourcePosition {
    std::string file;
    int line = 0;
    int column = 0;
    std::string to_string() const;  ///< "file:line:col: " or "" when unknown
};

/// A value as written: a scalar's text, or a list of texts; `json` holds
/// every value's JSON form, the only form of a nested one (`is_tree`: a map,
/// or a list holding maps or lists).
struct ConfigInput {
    std::string text;
    std::vector<std::string> list;
    bool is_list = false;
    SourcePosition position;
    bool is_tree = false;
    std::string json;
};

using ConfigInputs = std::map<std::string, ConfigInput>;

struct Duration {
    std::int64_t ns = 0;
};
struct Size {
    std::uint64_t bytes = 0;
};
/// A PLH_CONFIG_TREE value: nested maps and lists, as JSON text.
struct Tree {
    std::string json;
};
using ConfigValue = std::variant<bool, std::int64_t, double, std::string, Duration, Size, std::vector<std::string>, Tree>;

/// Any value's JSON form (what config_json hands to plugins).
std::string to_json_text(const ConfigValue& value);

/// One entry of a plugin's config map, copied out of the plugin library.
struct ConfigSpec {
    std::string name;
    std::string description;
    plh_config_type type = PLH_CONFIG_STRING;
    std::optional<std::string> default_value;
    bool required = false;
    std::optional<std::pair<double, double>> range;
};

/// Checked values by name, defaults filled in.
using ResolvedConfig = std::map<std::string, ConfigValue>;

struct ConfigProblem {
    SourcePosition position;
    std::string message;
};

/// Checks `inputs` against `specs` and returns every problem at once:
/// unknown keys (with a "did you mean"), wrong types, missing required
/// values, values out of range.
std::variant<ResolvedConfig, std::vector<ConfigProblem>> resolve_config(const std::vector<ConfigSpec>& specs, const ConfigInputs& inputs,
                                                                        const SourcePosition& block_position = {});

std::string_view type_name(plh_config_type type) noexcept;

// Text forms, shared with the YAML loader.
Result<bool> parse_bool(std::string_view text);
Result<std::int64_t> parse_int(std::string_view text);
Result<double> parse_float(std::string_view text);
/// "250us", "10ms", "2s", "1.5m", "1h", "100ns"; a bare number is seconds.
Result<std::int64_t> parse_duration_ns(std::string_view text);
/// "4096", "4KiB", "1MiB", "2GiB", "1kB", "1MB".
Result<std::uint64_t> parse_size(std::string_view text);

/// The candidate closest to `word` if it is close enough to be a typo.
std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace pylabhub::host
