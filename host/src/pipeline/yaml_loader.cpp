#include "pipeline/yaml_loader.hpp"

#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace pylabhub::host {
namespace {

class Loader {
public:
    explicit Loader(std::filesystem::path file) : file_(std::move(file)) { result_.spec.file = file_; }

    LoadedPipeline load() {
        std::ifstream in(file_);
        if (!in) {
            problem({file_.string(), 0, 0}, "cannot open the pipeline file");
            return std::move(result_);
        }
        std::ostringstream text;
        text << in.rdbuf();
        source_ = text.str();
        // Editors on Windows save a UTF-8 byte-order mark; it is no part of the
        // YAML and would shift every position on the first line.
        if (source_.rfind("\xEF\xBB\xBF", 0) == 0) source_.erase(0, 3);
        YAML::Node root;
        try {
            root = YAML::Load(source_);
        } catch (const YAML::ParserException& e) {
            problem(at(e.mark), "YAML syntax: " + e.msg);
            return std::move(result_);
        }
        if (!root.IsMap()) {
            problem(root.IsDefined() ? at(root.Mark()) : SourcePosition{file_.string(), 1, 1},
                    "a pipeline is a mapping with keys pipeline, channels, producers, consumers");
            return std::move(result_);
        }
        // yaml-cpp accepts a quoted scalar that runs to the end of the file
        // (it swallows the rest of the pipeline): refuse it, as YAML does.
        if (const auto unterminated = find_unterminated_quote(root, 0)) {
            problem(at(*unterminated), "YAML syntax: this quoted value is never closed (it runs to the end of the file)");
            return std::move(result_);
        }
        read_root(root);
        return std::move(result_);
    }

private:
    /// Whether the quote opening at `pos` closes before the end of the file.
    bool quote_closes(std::size_t pos) const {
        const char quote = source_[pos];
        for (std::size_t i = pos + 1; i < source_.size(); ++i) {
            if (quote == '"' && source_[i] == '\\') {
                ++i;
            } else if (source_[i] == quote) {
                if (quote == '\'' && i + 1 < source_.size() && source_[i + 1] == '\'') ++i;  // '' is a quote inside
                else return true;
            }
        }
        return false;
    }

    std::optional<YAML::Mark> find_unterminated_quote(const YAML::Node& node, int depth) const {
        if (depth > 64) return std::nullopt;
        if (node.IsScalar()) {
            const YAML::Mark mark = node.Mark();
            if (!mark.is_null() && mark.pos >= 0 && static_cast<std::size_t>(mark.pos) < source_.size()) {
                const char first = source_[static_cast<std::size_t>(mark.pos)];
                if ((first == '"' || first == '\'') && !quote_closes(static_cast<std::size_t>(mark.pos))) return mark;
            }
            return std::nullopt;
        }
        if (node.IsMap()) {
            for (const auto& item : node) {
                if (auto found = find_unterminated_quote(item.first, depth + 1)) return found;
                if (auto found = find_unterminated_quote(item.second, depth + 1)) return found;
            }
        } else if (node.IsSequence()) {
            for (const auto& item : node) {
                if (auto found = find_unterminated_quote(item, depth + 1)) return found;
            }
        }
        return std::nullopt;
    }

    SourcePosition at(const YAML::Mark& mark) const {
        if (mark.is_null()) return {file_.string(), 0, 0};
        return {file_.string(), mark.line + 1, mark.column + 1};
    }
    void problem(SourcePosition where, std::string message) { result_.problems.push_back({std::move(where), std::move(message)}); }

    /// Iterates a mapping, reporting duplicate and unknown keys.
    template <typename F>
    void for_each_key(const YAML::Node& map, const std::vector<std::string>& known, const std::string& where, F&& on_key) {
        std::set<std::string> seen;
        for (const auto& item : map) {
            const std::string key = item.first.Scalar();
            if (!seen.insert(key).second) {
                problem(at(item.first.Mark()), "duplicate key '" + key + "'" + where);
                continue;
            }
            if (!known.empty() && std::find(known.begin(), known.end(), key) == known.end()) {
                std::string message = "unknown key '" + key + "'" + where;
                if (auto guess = did_you_mean(key, known)) message += " (did you mean '" + *guess + "'?)";
                else {
                    message += " (expected one of:";
                    for (const auto& k : known) message += " " + k;
                    message += ")";
                }
                problem(at(item.first.Mark()), message);
                continue;
            }
            on_key(key, item.second, at(item.first.Mark()));
        }
    }

    /// The word written at `mark`, as in the file.
    std::string word_at(const YAML::Mark& mark) const {
        if (mark.is_null() || mark.pos < 0 || static_cast<std::size_t>(mark.pos) >= source_.size()) return {};
        std::size_t end = static_cast<std::size_t>(mark.pos);
        while (end < source_.size() && std::string_view(" \t\r\n,]}#").find(source_[end]) == std::string_view::npos) ++end;
        return source_.substr(static_cast<std::size_t>(mark.pos), end - static_cast<std::size_t>(mark.pos));
    }

    bool scalar(const YAML::Node& node, const std::string& what, std::string& out) {
        // `plugin: null` names the null consumer; YAML would read it as "no value".
        if (node.IsNull() && word_at(node.Mark()) == "null") {
            out = "null";
            return true;
        }
        if (!node.IsScalar()) {
            problem(at(node.Mark()), what + " must be a single value");
            return false;
        }
        out = node.Scalar();
        return true;
    }

    template <typename T, typename Parse>
    bool number(const YAML::Node& node, const std::string& what, T& out, Parse&& parse, double min, double max) {
        std::string text;
        if (!scalar(node, what, text)) return false;
        auto value = parse(text);
        if (!value) {
            problem(at(node.Mark()), what + ": " + value.error().message);
            return false;
        }
        if (static_cast<double>(*value) < min || static_cast<double>(*value) > max) {
            char range[64];
            std::snprintf(range, sizeof range, "%.15g .. %.15g", min, max);
            problem(at(node.Mark()), what + ": " + text + " is out of range " + range);
            return false;
        }
        out = static_cast<T>(*value);
        return true;
    }

    void one_of(const YAML::Node& node, const std::string& what, std::string& out, const std::vector<std::string>& allowed) {
        std::string text;
        if (!scalar(node, what, text)) return;
        if (std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
            std::string message = what + ": '" + text + "' is not one of";
            for (const auto& a : allowed) message += " " + a;
            if (auto guess = did_you_mean(text, allowed)) message += " (did you mean '" + *guess + "'?)";
            problem(at(node.Mark()), message);
            return;
        }
        out = text;
    }

    void read_root(const YAML::Node& root) {
        bool has_name = false;
        for_each_key(
            root,
            {"pipeline", "plugin_path", "broker", "broker_keys", "http", "on_failure", "channels", "producers", "consumers", "processors",
             "transports"},
            " at the top level", [&](const std::string& key, const YAML::Node& value, const SourcePosition& where) {
                if (key == "pipeline") {
                    has_name = scalar(value, "pipeline", result_.spec.name);
                    const auto& name = result_.spec.name;
                    if (std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
                        problem(at(value.Mark()),
                                "pipeline: the name may not contain control characters (it is printed in logs and summaries)");
                    }
                } else if (key == "plugin_path") {
                    read_plugin_path(value);
                } else if (key == "broker") {
                    std::string endpoint;
                    if (scalar(value, "broker", endpoint)) {
                        if (endpoint.rfind("ipc://", 0) != 0 && endpoint.rfind("tcp://", 0) != 0) {
                            problem(at(value.Mark()), "broker: '" + endpoint + "' is not an endpoint (ipc://PATH or tcp://HOST:PORT)");
                        } else {
                            result_.spec.broker = endpoint;
                        }
                    }
                    (void)where;
                } else if (key == "broker_keys") {
                    if (!value.IsMap()) {
                        problem(at(value.Mark()), "broker_keys must be {server: BROKER.pub, client: HOST.key}");
                        return;
                    }
                    for_each_key(value, {"server", "client"}, " in broker_keys",
                                 [&](const std::string& k, const YAML::Node& v, const SourcePosition&) {
                                     std::string file;
                                     if (!scalar(v, k, file)) return;
                                     std::filesystem::path path(file);
                                     if (path.is_relative()) path = file_.parent_path() / path;
                                     if (!std::filesystem::exists(path))
                                         problem(at(v.Mark()), "broker_keys." + k + ": " + path.string() + " does not exist");
                                     (k == "server" ? result_.spec.broker_server_key : result_.spec.broker_client_key) = path.string();
                                 });
                    if (result_.spec.broker_server_key.empty() != result_.spec.broker_client_key.empty()) {
                        problem(at(value.Mark()), "broker_keys needs both 'server' (the broker's .pub) and 'client' (this host's .key)");
                    }
                } else if (key == "http") {
                    if (!value.IsMap()) {
                        problem(at(value.Mark()), "http must be {listen: \"127.0.0.1:9464\"}");
                        return;
                    }
                    for_each_key(value, {"listen"}, " in http", [&](const std::string&, const YAML::Node& v, const SourcePosition&) {
                        if (std::string address; scalar(v, "http.listen", address)) {
                            if (address.rfind(':') == std::string::npos)
                                problem(at(v.Mark()), "http.listen: '" + address + "' is not HOST:PORT");
                            else result_.spec.http_listen = address;
                        }
                    });
                } else if (key == "on_failure") {
                    std::string policy = "continue";
                    one_of(value, "on_failure", policy, {"continue", "stop", "restart"});
                    result_.spec.stop_on_failure = policy == "stop";
                    result_.spec.restart_on_failure = policy == "restart";
                } else if (key == "channels") {
                    if (!expect_map(value, "channels")) return;
                    for (const auto& item : value) read_channel(item.first, item.second);
                } else if (key == "producers" || key == "consumers" || key == "processors" || key == "transports") {
                    if (!expect_map(value, key)) return;
                    const Kind kind = key == "producers" ? Kind::producer
                        : key == "consumers"             ? Kind::consumer
                        : key == "processors"            ? Kind::processor
                                                         : Kind::transport;
                    for (const auto& item : value) read_component(item.first, item.second, kind);
                }
            });
        if (!has_name) problem({file_.string(), 1, 1}, "missing 'pipeline: NAME' at the top level");
        if (result_.problems.empty() && result_.spec.producers.empty() && result_.spec.consumers.empty() &&
            result_.spec.transports.empty()) {
            problem({file_.string(), 1, 1}, "the pipeline has no producers and no consumers: nothing to run");
        }
        if (!result_.spec.broker_server_key.empty() && !result_.spec.broker) {
            problem({file_.string(), 1, 1}, "broker_keys needs 'broker: ENDPOINT' (an embedded broker does not use CurveZMQ)");
        }
    }

    bool expect_map(const YAML::Node& node, const std::string& what) {
        if (node.IsMap()) return true;
        if (node.IsNull()) return false;  // an empty section is allowed
        problem(at(node.Mark()), what + " must be a mapping of id: {...}");
        return false;
    }

    void read_plugin_path(const YAML::Node& value) {
        auto add = [&](const YAML::Node& node) {
            std::string dir;
            if (!scalar(node, "plugin_path entry", dir)) return;
            std::filesystem::path path(dir);
            if (path.is_relative()) path = file_.parent_path() / path;
            result_.spec.plugin_path.push_back(path.lexically_normal().string());
        };
        if (value.IsSequence()) {
            for (const auto& node : value) add(node);
        } else {
            add(value);
        }
    }

    bool valid_name(const std::string& name) {
        return !name.empty() && name.size() <= 200 && std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
        });
    }

    void read_channel(const YAML::Node& key, const YAML::Node& value) {
        ChannelSpec channel;
        channel.name = key.Scalar();
        channel.position = at(key.Mark());
        for (const auto& earlier : result_.spec.channels) {
            if (earlier.name == channel.name) {
                problem(channel.position,
                        "channel '" + channel.name + "' is defined twice (first at line " + std::to_string(earlier.position.line) + ")");
                return;
            }
        }
        if (!valid_name(channel.name)) {
            problem(channel.position, "channel name '" + channel.name + "' may use letters, digits, '_', '-', '.' only");
        }
        if (!value.IsMap() && !value.IsNull()) {
            problem(at(value.Mark()), "channel '" + channel.name + "' must be a mapping, e.g. {slots: 64, slot_bytes: 4096}");
            return;
        }
        const std::string where = " in channel '" + channel.name + "'";
        if (value.IsMap()) {
            for_each_key(value,
                         {"slots", "slot_bytes", "sync", "checksum", "checksum_mode", "max_consumers", "permissions", "external",
                          "allow_other_owner", "zones"},
                         where, [&](const std::string& k, const YAML::Node& v, const SourcePosition& pos) {
                             channel.key_positions[k] = at(v.Mark());
                             (void)pos;
                             if (k == "slots") number(v, "slots", channel.slots, parse_int, 1, 1048576);
                             else if (k == "slot_bytes") number(v, "slot_bytes", channel.slot_bytes, parse_size, 1, 1073741824);
                             else if (k == "sync") one_of(v, "sync", channel.sync, {"latest_only", "single_reader", "sync_reader"});
                             else if (k == "checksum") scalar(v, "checksum", channel.checksum);  // a built-in or a checksum plugin
                             else if (k == "checksum_mode") {
                                 one_of(v, "checksum_mode", channel.checksum_mode, {"enforced", "manual"});
                                 if (channel.checksum_mode == "manual") {
                                     // The SDK has no call to compute or check a digest, so
                                     // in a pipeline manual would mean: never written, never checked.
                                     problem(at(v.Mark()),
                                             "checksum_mode: manual is for programs that use the DataBlock API directly "
                                             "(they compute and check digests themselves); no plugin can, so use "
                                             "enforced, or 'checksum: none' for no checksums");
                                 }
                             } else if (k == "max_consumers") number(v, "max_consumers", channel.max_consumers, parse_int, 1, 1024);
                             else if (k == "permissions") read_permissions(v, channel.permissions);
                             else if (k == "zones") read_zones(v, channel);
                             else if (k == "external" || k == "allow_other_owner") {
                                 std::string text;
                                 if (scalar(v, k, text)) {
                                     auto flag = parse_bool(text);
                                     if (!flag) problem(at(v.Mark()), k + ": " + flag.error().message);
                                     else (k == "external" ? channel.external : channel.allow_other_owner) = *flag;
                                 }
                             }
                         });
        }
        if (channel.allow_other_owner && !channel.external) {
            problem(channel.key_positions["allow_other_owner"],
                    "allow_other_owner: only for an external channel (one another "
                    "process creates)");
        }
        if (channel.external) {
            for (const char* k : {"slots", "slot_bytes", "sync", "checksum", "checksum_mode", "max_consumers", "permissions", "zones"}) {
                if (channel.key_positions.count(k)) {
                    problem(channel.key_positions[k],
                            std::string(k) + ": an external channel's layout is set by the host that creates it; remove it here");
                }
            }
        }
        result_.spec.channels.push_back(std::move(channel));
    }

    /// zones: {calibration: 256B, state: 64B}; the DataBlock's own limits
    /// (names, count, sizes) are checked here so they get a position.
    void read_zones(const YAML::Node& v, ChannelSpec& channel) {
        if (!v.IsMap()) {
            problem(at(v.Mark()), "zones must be a mapping of name: size, e.g. {calibration: 256B, state: 64B}");
            return;
        }
        for_each_key(v, {}, " in zones", [&](const std::string& name, const YAML::Node& size, const SourcePosition& pos) {
            if (name.empty() || name.size() > 31 || !valid_name(name)) {
                problem(pos, "zone name '" + name + "' must be 1..31 letters, digits, '_', '-' or '.'");
                return;
            }
            std::uint64_t bytes = 0;
            if (!number(size, "zone '" + name + "'", bytes, parse_size, 1, 16 * 1024 * 1024)) return;
            channel.zones.push_back({name, bytes, at(size.Mark())});
        });
        if (channel.zones.size() > 64) problem(at(v.Mark()), "at most 64 zones a channel");
    }

    void read_permissions(const YAML::Node& v, std::uint32_t& out) {
        std::string text;
        if (!scalar(v, "permissions", text)) return;
        char* end = nullptr;
        const unsigned long mode = std::strtoul(text.c_str(), &end, 8);
        if (text.empty() || *end != '\0' || mode > 0777 || (mode & 0600) != 0600 || (mode & 0002) != 0) {
            problem(at(v.Mark()),
                    "permissions: '" + text +
                        "' must be an octal mode like 0600 or 0660 that lets the owner read "
                        "and write (and not every user write)");
            return;
        }
        out = static_cast<std::uint32_t>(mode);
    }

    enum class Kind { producer, consumer, processor, transport };

    void read_component(const YAML::Node& key, const YAML::Node& value, Kind kind_of) {
        ComponentSpec component;
        component.id = key.Scalar();
        component.position = at(key.Mark());
        const bool transport = kind_of == Kind::transport;
        // A transport names one `channel`: which way it goes says whether it reads or writes it.
        const bool writes = kind_of == Kind::producer || kind_of == Kind::processor || transport;
        const bool reads = kind_of == Kind::consumer || kind_of == Kind::processor;
        const std::string kind = kind_of == Kind::producer ? "producer"
            : kind_of == Kind::consumer                    ? "consumer"
            : kind_of == Kind::processor                   ? "processor"
                                                           : "transport";
        if (!valid_name(component.id)) {
            problem(component.position, kind + " id '" + component.id + "' may use letters, digits, '_', '-', '.' only");
        }
        if (!value.IsMap()) {
            problem(at(value.Mark()),
                    kind + " '" + component.id + "' must be a mapping, e.g. {plugin: ..., " +
                        (kind_of == Kind::producer        ? "channel: ..."
                             : kind_of == Kind::consumer  ? "inputs: [...]"
                             : kind_of == Kind::processor ? "inputs: [...], channel: ..."
                                                          : "channel: ..., direction: out|in") +
                        "}");
            return;
        }
        const std::string where = " in " + kind + " '" + component.id + "'";
        bool has_plugin = false;
        std::vector<std::string> known = {"plugin", "config"};
        if (writes) known.push_back("channel");
        if (reads) known.push_back("inputs");
        if (transport) known.push_back("direction");
        known.push_back("on_failure");
        for_each_key(value, known, where, [&](const std::string& k, const YAML::Node& v, const SourcePosition&) {
            if (k == "plugin") {
                has_plugin = scalar(v, "plugin", component.plugin);
                component.plugin_position = at(v.Mark());
            } else if (k == "channel") {
                std::string channel;
                if (scalar(v, "channel", channel)) {
                    component.output = channel;
                    component.output_position = at(v.Mark());
                }
            } else if (k == "inputs") {
                read_inputs(v, component);
            } else if (k == "on_failure") {
                one_of(v, "on_failure", component.on_failure, {"continue", "stop", "restart"});
            } else if (k == "direction") {
                component.direction_position = at(v.Mark());
                one_of(v, "direction", component.direction, {"out", "in"});
            } else if (k == "config") {
                component.config_position = at(v.Mark());
                read_config(v, component.config);
            }
        });
        if (!has_plugin) problem(component.position, kind + " '" + component.id + "' has no 'plugin:'");
        if (writes && component.output.empty()) problem(component.position, kind + " '" + component.id + "' has no 'channel:'");
        if (reads && component.channels.empty()) problem(component.position, kind + " '" + component.id + "' has no 'inputs:'");
        if (transport && component.direction.empty() && component.direction_position.line == 0) {
            problem(component.position, "transport '" + component.id + "' has no 'direction:' (out: send the channel; in: receive it)");
        }
        if (transport && component.direction == "out" && !component.output.empty()) {
            // An outbound transport reads its channel like a consumer reads one input.
            component.channels.push_back(component.output);
            component.channel_positions.push_back(component.output_position);
            component.inputs.emplace_back();
            component.output.clear();
        }
        if ((kind_of == Kind::producer || (transport && component.direction == "in")) && !component.output.empty()) {
            // A producer's channel is its one "channel" for everything that
            // looks at producers (wiring, summaries).
            component.channels.push_back(component.output);
            component.channel_positions.push_back(component.output_position);
        }
        if (component.config_position.line == 0) component.config_position = component.position;
        (kind_of == Kind::producer        ? result_.spec.producers
             : kind_of == Kind::consumer  ? result_.spec.consumers
             : kind_of == Kind::processor ? result_.spec.processors
                                          : result_.spec.transports)
            .push_back(std::move(component));
    }

    /// inputs: [sensor, {channel: camera, read: decimate, config: {every: 10}}]
    void read_inputs(const YAML::Node& v, ComponentSpec& component) {
        if (!v.IsSequence() || v.size() == 0) {
            problem(at(v.Mark()), "inputs must be a list of channel names, e.g. [sensor], or of {channel: NAME, read: POLICY}");
            return;
        }
        for (const auto& item : v) {
            std::string channel;
            InputOptions options;
            if (item.IsMap()) {
                for_each_key(item, {"channel", "read", "config"}, " in an inputs entry",
                             [&](const std::string& k, const YAML::Node& field, const SourcePosition&) {
                                 if (k == "channel") scalar(field, "channel", channel);
                                 else if (k == "read") {
                                     scalar(field, "read", options.read);
                                     options.read_position = at(field.Mark());
                                 } else {
                                     options.config_position = at(field.Mark());
                                     read_config(field, options.config);
                                 }
                             });
                if (channel.empty()) {
                    problem(at(item.Mark()), "inputs entry has no 'channel:'");
                    continue;
                }
                if (options.read.empty() && options.config_position.line != 0) {
                    problem(options.config_position, "inputs: 'config:' belongs to a read policy; add 'read: POLICY'");
                }
                if (options.config_position.line == 0) options.config_position = at(item.Mark());
            } else if (!scalar(item, "inputs entry", channel)) {
                continue;
            }
            if (std::find(component.channels.begin(), component.channels.end(), channel) != component.channels.end()) {
                problem(at(item.Mark()), "inputs: channel '" + channel + "' is listed twice (every slot would be delivered twice)");
                continue;
            }
            component.channels.push_back(channel);
            component.channel_positions.push_back(at(item.Mark()));
            component.inputs.push_back(std::move(options));
        }
    }

    void read_config(const YAML::Node& node, ConfigInputs& config) {
        if (node.IsNull()) return;
        if (!node.IsMap()) {
            problem(at(node.Mark()), "config must be a mapping of name: value");
            return;
        }
        for_each_key(node, {}, " in config", [&](const std::string& k, const YAML::Node& v, const SourcePosition&) {
            ConfigInput input;
            input.position = at(v.Mark());
            input.json = yaml_to_json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            if (v.IsScalar()) {
                input.text = v.Scalar();
            } else if (v.IsSequence()) {
                input.is_list = true;
                for (const auto& item : v) {
                    if (!item.IsScalar()) input.is_tree = true;
                    else input.list.push_back(item.Scalar());
                }
            } else {
                input.is_tree = true;  // a map: only a tree-typed entry takes it (resolve_config says so)
            }
            config[k] = std::move(input);
        });
    }

    /// YAML as JSON for PLH_CONFIG_TREE values: plain scalars become numbers,
    /// booleans or null where they read as one; quoted ones stay strings.
    static nlohmann::json yaml_to_json(const YAML::Node& node) {
        if (node.IsMap()) {
            nlohmann::json object = nlohmann::json::object();
            for (const auto& item : node) object[item.first.Scalar()] = yaml_to_json(item.second);
            return object;
        }
        if (node.IsSequence()) {
            nlohmann::json array = nlohmann::json::array();
            for (const auto& item : node) array.push_back(yaml_to_json(item));
            return array;
        }
        if (!node.IsScalar()) return nullptr;
        const std::string& text = node.Scalar();
        if (node.Tag() == "!") return text;  // quoted
        if (text.empty() || text == "~" || text == "null") return nullptr;
        if (text == "true" || text == "false") return text == "true";
        if (auto i = parse_int(text)) return *i;
        if (auto f = parse_float(text)) return *f;
        return text;
    }

    std::filesystem::path file_;
    std::string source_;
    LoadedPipeline result_;
};

}  // namespace

LoadedPipeline load_pipeline_file(const std::filesystem::path& file) { return Loader(file).load(); }

}  // namespace pylabhub::host
