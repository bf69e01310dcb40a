#include "config/config_value.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace pylabhub::host {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

Error invalid(std::string message) { return make_error(ErrorCode::invalid_argument, std::move(message)); }

/// Splits "10ms" into 10 and "ms".
bool split_number(std::string_view text, double& number, std::string& unit) {
    std::size_t end = 0;
    while (end < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.' || text[end] == '-' || text[end] == '+' ||
            text[end] == 'e' || text[end] == 'E')) {
        // 'e' only as an exponent: followed by a digit or sign
        if ((text[end] == 'e' || text[end] == 'E') &&
            (end + 1 >= text.size() ||
             !(std::isdigit(static_cast<unsigned char>(text[end + 1])) || text[end + 1] == '-' || text[end + 1] == '+'))) {
            break;
        }
        ++end;
    }
    const std::string digits(text.substr(0, end));
    if (digits.empty()) return false;
    char* parsed_end = nullptr;
    number = std::strtod(digits.c_str(), &parsed_end);
    if (parsed_end != digits.c_str() + digits.size()) return false;
    std::string_view rest = text.substr(end);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    unit = std::string(rest);
    return true;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string format_number(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", value);
    return buffer;
}

}  // namespace

std::string SourcePosition::to_string() const {
    if (line <= 0) return file.empty() ? "" : file + ": ";
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

std::string_view type_name(plh_config_type type) noexcept {
    switch (type) {
    case PLH_CONFIG_BOOL: return "bool";
    case PLH_CONFIG_INT: return "int";
    case PLH_CONFIG_FLOAT: return "float";
    case PLH_CONFIG_STRING: return "string";
    case PLH_CONFIG_DURATION: return "duration";
    case PLH_CONFIG_SIZE: return "size";
    case PLH_CONFIG_STRING_LIST: return "string list";
    case PLH_CONFIG_TREE: return "tree";
    }
    return "unknown";
}

Result<bool> parse_bool(std::string_view text) {
    const std::string t = lower(text);
    if (t == "true" || t == "yes" || t == "on" || t == "1") return true;
    if (t == "false" || t == "no" || t == "off" || t == "0") return false;
    return invalid("'" + std::string(text) + "' is not a bool (true/false, yes/no, on/off)");
}

Result<std::int64_t> parse_int(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc::result_out_of_range) return invalid("'" + std::string(text) + "' is out of the 64-bit range");
    if (ec != std::errc() || end != text.data() + text.size()) return invalid("'" + std::string(text) + "' is not an integer");
    return value;
}

Result<double> parse_float(std::string_view text) {
    const std::string copy(text);
    char* end = nullptr;
    const double value = std::strtod(copy.c_str(), &end);
    if (copy.empty() || end != copy.c_str() + copy.size() || !std::isfinite(value)) {
        return invalid("'" + std::string(text) + "' is not a number");
    }
    return value;
}

Result<std::int64_t> parse_duration_ns(std::string_view text) {
    double number = 0;
    std::string unit;
    if (!split_number(text, number, unit)) return invalid("'" + std::string(text) + "' is not a duration (e.g. 250us, 10ms, 2s)");
    static const std::pair<const char*, double> units[] = {{"ns", 1.0}, {"us", 1e3}, {"µs", 1e3},   {"ms", 1e6},  {"s", 1e9},
                                                           {"", 1e9},   {"m", 60e9}, {"min", 60e9}, {"h", 3600e9}};
    for (const auto& [name, scale] : units) {
        if (unit == name) {
            const double ns = number * scale;
            if (ns < 0 || ns > 9.2e18) return invalid("duration '" + std::string(text) + "' is out of range");
            return static_cast<std::int64_t>(std::llround(ns));
        }
    }
    return invalid("'" + unit + "' in '" + std::string(text) + "' is not a duration unit (ns, us, ms, s, m, h)");
}

Result<std::uint64_t> parse_size(std::string_view text) {
    double number = 0;
    std::string unit;
    if (!split_number(text, number, unit)) return invalid("'" + std::string(text) + "' is not a size (e.g. 4096, 4KiB, 1MiB)");
    static const std::pair<const char*, double> units[] = {
        {"", 1.0},   {"b", 1.0},  {"kib", 1024.0}, {"mib", 1048576.0}, {"gib", 1073741824.0}, {"kb", 1000.0},
        {"mb", 1e6}, {"gb", 1e9}, {"k", 1024.0},   {"m", 1048576.0},   {"g", 1073741824.0}};
    const std::string u = lower(unit);
    for (const auto& [name, scale] : units) {
        if (u == name) {
            const double bytes = number * scale;
            if (bytes < 0 || bytes > 1.8e19 || bytes != std::floor(bytes)) {
                return invalid("size '" + std::string(text) + "' is not a whole number of bytes in range");
            }
            return static_cast<std::uint64_t>(bytes);
        }
    }
    return invalid("'" + unit + "' in '" + std::string(text) + "' is not a size unit (B, KiB, MiB, GiB, kB, MB, GB)");
}

std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    std::optional<std::string> best;
    std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const auto& candidate : candidates) {
        const std::size_t d = edit_distance(lower(word), lower(candidate));
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    return best;
}

std::variant<ResolvedConfig, std::vector<ConfigProblem>> resolve_config(const std::vector<ConfigSpec>& specs, const ConfigInputs& inputs,
                                                                        const SourcePosition& block_position) {
    std::vector<ConfigProblem> problems;
    ResolvedConfig resolved;
    std::vector<std::string> known;
    known.reserve(specs.size());
    for (const auto& spec : specs) known.push_back(spec.name);

    for (const auto& [key, input] : inputs) {
        if (std::find(known.begin(), known.end(), key) != known.end()) continue;
        std::string message = "unknown config key '" + key + "'";
        if (auto guess = did_you_mean(key, known)) message += " (did you mean '" + *guess + "'?)";
        else if (!known.empty()) {
            message += " (known:";
            for (const auto& k : known) message += " " + k;
            message += ")";
        } else {
            message += " (this plugin takes no config)";
        }
        problems.push_back({input.position, message});
    }

    for (const auto& spec : specs) {
        auto found = inputs.find(spec.name);
        const SourcePosition& where = found != inputs.end() ? found->second.position : block_position;
        ConfigInput input;
        if (found != inputs.end()) {
            input = found->second;
        } else if (spec.required) {
            problems.push_back(
                {block_position,
                 "missing required config '" + spec.name + "' (" + std::string(type_name(spec.type)) + ": " + spec.description + ")"});
            continue;
        } else if (spec.default_value) {
            input.text = *spec.default_value;
        } else {
            continue;  // optional without default: absent
        }
        auto fail = [&](const std::string& why) { problems.push_back({where, "config '" + spec.name + "': " + why}); };
        if (spec.type == PLH_CONFIG_TREE) {
            if (found == inputs.end()) {
                // A default is written as JSON (or a plain scalar).
                auto parsed = nlohmann::json::parse(input.text, nullptr, false);
                resolved[spec.name] = Tree{parsed.is_discarded() ? nlohmann::json(input.text).dump() : parsed.dump()};
            } else {
                resolved[spec.name] = Tree{input.json};
            }
            continue;
        }
        if (input.is_tree) {
            fail("expected a " + std::string(type_name(spec.type)) + "; nested maps and lists are only for config entries of type tree");
            continue;
        }
        if (spec.type == PLH_CONFIG_STRING_LIST) {
            if (!input.is_list && found != inputs.end()) {
                fail("expected a list of strings, e.g. [a, b]");
                continue;
            }
            resolved[spec.name] = input.list;
            continue;
        }
        if (input.is_list) {
            fail("expected a " + std::string(type_name(spec.type)) + ", not a list");
            continue;
        }
        double numeric = 0;
        bool has_numeric = false;
        switch (spec.type) {
        case PLH_CONFIG_BOOL: {
            auto v = parse_bool(input.text);
            if (!v) {
                fail(v.error().message);
                continue;
            }
            resolved[spec.name] = *v;
            break;
        }
        case PLH_CONFIG_INT: {
            auto v = parse_int(input.text);
            if (!v) {
                fail(v.error().message);
                continue;
            }
            resolved[spec.name] = *v;
            numeric = static_cast<double>(*v);
            has_numeric = true;
            break;
        }
        case PLH_CONFIG_FLOAT: {
            auto v = parse_float(input.text);
            if (!v) {
                fail(v.error().message);
                continue;
            }
            resolved[spec.name] = *v;
            numeric = *v;
            has_numeric = true;
            break;
        }
        case PLH_CONFIG_DURATION: {
            auto v = parse_duration_ns(input.text);
            if (!v) {
                fail(v.error().message);
                continue;
            }
            resolved[spec.name] = Duration{*v};
            numeric = static_cast<double>(*v);
            has_numeric = true;
            break;
        }
        case PLH_CONFIG_SIZE: {
            auto v = parse_size(input.text);
            if (!v) {
                fail(v.error().message);
                continue;
            }
            resolved[spec.name] = Size{*v};
            numeric = static_cast<double>(*v);
            has_numeric = true;
            break;
        }
        case PLH_CONFIG_STRING:
        default: resolved[spec.name] = input.text; break;
        }
        if (has_numeric && spec.range && (numeric < spec.range->first || numeric > spec.range->second)) {
            fail(input.text + " is out of range " + format_number(spec.range->first) + " .. " + format_number(spec.range->second));
            resolved.erase(spec.name);
        }
    }
    if (!problems.empty()) return problems;
    return resolved;
}

std::string to_json_text(const ConfigValue& value) {
    return std::visit(
        [](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Tree>) return v.json;
            else if constexpr (std::is_same_v<T, Duration>) return nlohmann::json(v.ns).dump();
            else if constexpr (std::is_same_v<T, Size>) return nlohmann::json(v.bytes).dump();
            // Text that came from a file may hold any bytes: never throw on them.
            else return nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        },
        value);
}

}  // namespace pylabhub::host
