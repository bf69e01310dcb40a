#include "pylabhub/messagehub/registry.hpp"

#include <algorithm>
#include <array>
#include <span>

#include <nlohmann/json.hpp>

#include "pylabhub/crypto/crypto.hpp"
#include "pylabhub/log.hpp"

namespace pylabhub::messagehub {
namespace {

using nlohmann::json;

/// A request field that is wrong: the reply says which and why.
struct BadRequest {
    std::string message;
};

/// What one registration may make the broker hold: names, secrets and
/// schema descriptions are short; only a BLDS can be long.
constexpr std::size_t kMaxNameBytes = 256;
constexpr std::size_t kMaxBldsBytes = std::size_t{64} * 1024;

std::string text_field(const json& request, const char* name, bool required = true, std::size_t max_bytes = kMaxNameBytes) {
    if (!request.contains(name)) {
        if (required) throw BadRequest{std::string("field '") + name + "' is missing"};
        return {};
    }
    if (!request[name].is_string()) throw BadRequest{std::string("field '") + name + "' must be a string"};
    const auto& text = request[name].get_ref<const std::string&>();
    if (text.size() > max_bytes) {
        throw BadRequest{std::string("field '") + name + "' is " + std::to_string(text.size()) + " bytes, more than the " +
                         std::to_string(max_bytes) + " allowed"};
    }
    return text;
}

std::uint64_t number_field(const json& request, const char* name) {
    if (!request.contains(name)) throw BadRequest{std::string("field '") + name + "' is missing"};
    if (!request[name].is_number_unsigned()) throw BadRequest{std::string("field '") + name + "' must be a non-negative integer"};
    return request[name].get<std::uint64_t>();
}

json record_json(const ChannelRecord& r, bool with_secret) {
    json consumers = json::array();
    for (const auto& c : r.consumers) consumers.push_back({{"id", c.id}, {"pid", c.pid}, {"host", c.host}});
    json out = {{"channel", r.channel},
                {"shm_name", r.shm_name},
                {"schema", {{"name", r.schema_name}, {"version", r.schema_version}, {"hash", r.schema_hash}, {"blds", r.schema_blds}}},
                {"producer_pid", r.producer_pid},
                {"producer_host", r.producer_host},
                {"registered_ms", r.registered_ms},
                {"last_heartbeat_ms", r.last_heartbeat_ms},
                {"consumers", consumers}};
    if (with_secret) out["secret"] = r.secret_hex;
    return out;
}

/// Only a scalar id is echoed, and a string id only up to this length: a
/// client correlates replies with it, and echoing a structure would let one
/// request make the broker copy (recursively) whatever it sent.
constexpr std::size_t kMaxEchoedIdBytes = 256;

bool echoable_id(const json& id) {
    if (id.is_string()) return id.get_ref<const std::string&>().size() <= kMaxEchoedIdBytes;
    return id.is_number() || id.is_boolean() || id.is_null();
}

std::string reply(const std::string& type, const json& request, json body) {
    body["type"] = type;
    if (request.is_object() && request.contains("id") && echoable_id(request["id"])) body["id"] = request["id"];
    if (!body.contains("status")) body["status"] = "ok";
    // Messages can quote what a client sent (a parse error names the bad
    // byte): never let invalid UTF-8 turn building the reply into a throw.
    return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string error_reply(const std::string& type, const json& request, const std::string& message) {
    return reply(type, request, {{"status", "error"}, {"message", message}});
}

/// How deeply a request may nest arrays and objects; the protocol needs 2.
/// Checked before parsing so no deep structure is ever built or destroyed.
constexpr int kMaxRequestDepth = 16;

bool nests_deeper_than(const std::string& text, int limit) {
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) return true;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return false;
}

/// A registration's proof of ownership: 128 random bits, as hex.
std::string new_token() {
    std::array<std::uint8_t, 16> bytes{};
    crypto::random_bytes(std::as_writable_bytes(std::span(bytes)));
    return crypto::to_hex(bytes);
}

json endpoint_json(const EndpointRecord& e) {
    return {{"channel", e.channel}, {"endpoint", e.endpoint}, {"curve_public_key", e.curve_public_key},  {"transport", e.transport},
            {"pid", e.pid},         {"host", e.host},         {"last_heartbeat_ms", e.last_heartbeat_ms}};
}

}  // namespace

Registry::Registry(RegistryOptions options) : options_(std::move(options)) {}

std::string Registry::lapse(const std::string& host, std::uint64_t pid, std::uint64_t last_heartbeat_ms, std::uint64_t now) const {
    if (host == options_.host && options_.is_alive && !options_.is_alive(pid)) return "pid " + std::to_string(pid) + " is dead";
    if (now > last_heartbeat_ms && now - last_heartbeat_ms > options_.heartbeat_timeout_ms) {
        return "no heartbeat for " + std::to_string((now - last_heartbeat_ms) / 1000) + " s";
    }
    return {};
}

std::string Registry::gone(const ChannelRecord& r, std::uint64_t now) const {
    const std::string why = lapse(r.producer_host, r.producer_pid, r.last_heartbeat_ms, now);
    return why.rfind("pid ", 0) == 0 ? "producer " + why : why;
}

std::vector<std::string> Registry::expire() {
    std::vector<std::string> dropped;
    const std::uint64_t now = options_.now_ms();
    for (auto it = channels_.begin(); it != channels_.end();) {
        auto& consumers = it->second.consumers;
        // Consumers of this broker's host whose process is gone, and any
        // consumer whose host stopped repeating its registration.
        consumers.erase(std::remove_if(consumers.begin(), consumers.end(),
                                       [&](const ConsumerRecord& c) { return !lapse(c.host, c.pid, c.last_heartbeat_ms, now).empty(); }),
                        consumers.end());
        if (const std::string why = gone(it->second, now); !why.empty()) {
            dropped.push_back(it->second.channel + " (" + why + ")");
            it = channels_.erase(it);
        } else {
            ++it;
        }
    }
    for (auto it = endpoints_.begin(); it != endpoints_.end();) {
        const EndpointRecord& e = it->second;
        if (const std::string why = lapse(e.host, e.pid, e.last_heartbeat_ms, now); !why.empty()) {
            log::logger().info("broker: dropped endpoint {} of channel '{}' ({})", e.endpoint, e.channel, why);
            it = endpoints_.erase(it);
        } else {
            ++it;
        }
    }
    for (const auto& d : dropped) log::logger().info("broker: dropped channel {}", d);
    return dropped;
}

std::string Registry::handle(const std::string& text) noexcept {
    try {
        return handle_request(text);
    } catch (const std::exception& e) {
        // The last line of defence: a request must never take the broker
        // (or a host embedding it) down.
        try {
            log::logger().error("broker: internal error answering a request: {}", e.what());
        } catch (...) {
        }
    } catch (...) {
    }
    return R"({"type":"ERROR","status":"error","message":"internal error answering this request"})";
}

std::string Registry::handle_request(const std::string& text) {
    if (text.size() > kMaxRequestBytes) {
        return error_reply("ERROR", json(),
                           "request of " + std::to_string(text.size()) + " bytes exceeds the limit of " + std::to_string(kMaxRequestBytes));
    }
    if (nests_deeper_than(text, kMaxRequestDepth)) {
        return error_reply("ERROR", json(), "request nests arrays/objects deeper than " + std::to_string(kMaxRequestDepth) + " levels");
    }
    json request;
    try {
        request = json::parse(text);
    } catch (const json::parse_error& e) {
        return error_reply("ERROR", json(), std::string("not JSON: ") + e.what());
    }
    if (!request.is_object()) return error_reply("ERROR", json(), "a request is a JSON object");
    if (!request.contains("type") || !request["type"].is_string()) {
        return error_reply("ERROR", request, "field 'type' is missing or not a string");
    }
    const std::string type = request["type"].get<std::string>();
    std::string reply_type = type;
    if (const auto at = reply_type.rfind("_REQ"); at != std::string::npos && at + 4 == reply_type.size()) {
        reply_type = reply_type.substr(0, at) + "_RESP";
    } else {
        reply_type = "ERROR";
    }
    try {
        if (type == "REG_REQ") {
            ChannelRecord r;
            r.channel = text_field(request, "channel");
            r.shm_name = text_field(request, "shm_name");
            r.secret_hex = text_field(request, "secret");
            r.producer_pid = number_field(request, "producer_pid");
            r.producer_host = text_field(request, "producer_host");
            if (request.contains("schema")) {
                const json& s = request["schema"];
                if (!s.is_object()) throw BadRequest{"field 'schema' must be an object"};
                r.schema_name = text_field(s, "name", false);
                r.schema_version = text_field(s, "version", false);
                r.schema_hash = text_field(s, "hash", false);
                r.schema_blds = text_field(s, "blds", false, kMaxBldsBytes);
            }
            if (r.channel.empty()) throw BadRequest{"field 'channel' is empty"};
            r.registered_ms = r.last_heartbeat_ms = options_.now_ms();
            r.token = new_token();
            if (auto found = channels_.find(r.channel); found != channels_.end()) {
                const ChannelRecord& old = found->second;
                // Only the client holding the live entry's token may replace
                // it; a pid and host name are claims anyone can copy from LIST.
                const std::string presented = text_field(request, "token", false);
                const bool owner = !presented.empty() && presented == old.token;
                // Only this entry's liveness matters here; expire() sweeps the rest every second.
                if (!owner && gone(old, r.registered_ms).empty()) {
                    return error_reply(reply_type, request,
                                       "channel '" + r.channel + "' already has a live producer (pid " + std::to_string(old.producer_pid) +
                                           " on " + old.producer_host + ")");
                }
                if (owner) r.token = old.token;
            }
            log::logger().info("broker: channel '{}' registered by pid {} on {} (shm {}, schema '{}')", r.channel, r.producer_pid,
                               r.producer_host, r.shm_name, r.schema_name);
            if (auto found = channels_.find(r.channel); found != channels_.end()) {
                r.consumers = found->second.consumers;
            } else if (channels_.size() >= options_.max_channels) {
                log::logger().warn("broker: refused channel '{}': the registry holds its limit of {} channels", r.channel,
                                   options_.max_channels);
                return error_reply(reply_type, request,
                                   "the broker holds its limit of " + std::to_string(options_.max_channels) + " channels; channel '" +
                                       r.channel + "' is refused");
            }
            channels_[r.channel] = r;
            return reply(reply_type, request, {{"token", r.token}});
        }
        if (type == "DISC_REQ" || type == "GET_SCHEMA_REQ") {
            const std::string channel = text_field(request, "channel");
            auto found = channels_.find(channel);
            if (found == channels_.end()) {
                return error_reply(reply_type, request, "no channel '" + channel + "' is registered");
            }
            json body = record_json(found->second, type == "DISC_REQ");
            if (type == "GET_SCHEMA_REQ") body = {{"channel", channel}, {"schema", body["schema"]}};
            return reply(reply_type, request, body);
        }
        if (type == "DEREG_REQ" || type == "HEARTBEAT_REQ") {
            const std::string channel = text_field(request, "channel");
            const std::string token = text_field(request, "token");
            auto found = channels_.find(channel);
            if (found == channels_.end()) return error_reply(reply_type, request, "no channel '" + channel + "' is registered");
            if (token != found->second.token) {
                return error_reply(reply_type, request,
                                   "channel '" + channel + "' was registered by another client (pid " +
                                       std::to_string(found->second.producer_pid) + " on " + found->second.producer_host +
                                       "): wrong token");
            }
            if (type == "DEREG_REQ") {
                log::logger().info("broker: channel '{}' deregistered by pid {}", channel, found->second.producer_pid);
                channels_.erase(found);
            } else {
                found->second.last_heartbeat_ms = options_.now_ms();
            }
            return reply(reply_type, request, json::object());
        }
        if (type == "CONSUMER_REG_REQ" || type == "CONSUMER_DEREG_REQ") {
            const std::string channel = text_field(request, "channel");
            ConsumerRecord consumer{text_field(request, "consumer_id"), number_field(request, "consumer_pid"),
                                    text_field(request, "consumer_host"), options_.now_ms()};
            auto found = channels_.find(channel);
            if (found == channels_.end()) return error_reply(reply_type, request, "no channel '" + channel + "' is registered");
            auto& consumers = found->second.consumers;
            consumers.erase(std::remove_if(consumers.begin(), consumers.end(),
                                           [&](const ConsumerRecord& c) {
                                               return c.id == consumer.id && c.pid == consumer.pid && c.host == consumer.host;
                                           }),
                            consumers.end());
            if (type == "CONSUMER_REG_REQ") {
                if (consumers.size() >= options_.max_consumers_per_channel) {
                    return error_reply(reply_type, request,
                                       "channel '" + channel + "' has its limit of " + std::to_string(options_.max_consumers_per_channel) +
                                           " registered consumers");
                }
                consumers.push_back(consumer);
            }
            return reply(reply_type, request, json::object());
        }
        if (type == "ENDPOINT_REG_REQ") {
            EndpointRecord e;
            e.channel = text_field(request, "channel");
            e.endpoint = text_field(request, "endpoint");
            e.curve_public_key = text_field(request, "curve_public_key", false);
            e.transport = text_field(request, "transport", false);
            e.pid = number_field(request, "pid");
            e.host = text_field(request, "host");
            e.last_heartbeat_ms = options_.now_ms();
            if (e.channel.empty() || e.endpoint.empty()) throw BadRequest{"fields 'channel' and 'endpoint' may not be empty"};
            if (!e.curve_public_key.empty() && e.curve_public_key.size() != 40) {
                throw BadRequest{"field 'curve_public_key' must be a Z85 key of 40 characters"};
            }
            if (auto found = endpoints_.find(e.channel); found != endpoints_.end()) {
                const EndpointRecord& old = found->second;
                const bool same_owner = old.pid == e.pid && old.host == e.host;
                if (!same_owner && lapse(old.host, old.pid, old.last_heartbeat_ms, e.last_heartbeat_ms).empty()) {
                    return error_reply(reply_type, request,
                                       "channel '" + e.channel + "' is already advertised at " + old.endpoint + " by pid " +
                                           std::to_string(old.pid) + " on " + old.host);
                }
                if (same_owner && old.endpoint == e.endpoint) {
                    found->second.last_heartbeat_ms = e.last_heartbeat_ms;  // a heartbeat
                    return reply(reply_type, request, json::object());
                }
            } else if (endpoints_.size() >= options_.max_channels) {
                return error_reply(reply_type, request,
                                   "the broker holds its limit of " + std::to_string(options_.max_channels) + " endpoints; channel '" +
                                       e.channel + "' is refused");
            }
            log::logger().info("broker: channel '{}' reachable at {} (pid {} on {}{})", e.channel, e.endpoint, e.pid, e.host,
                               e.curve_public_key.empty() ? "" : ", CurveZMQ");
            endpoints_[e.channel] = e;
            return reply(reply_type, request, json::object());
        }
        if (type == "ENDPOINT_DISC_REQ" || type == "ENDPOINT_DEREG_REQ") {
            const std::string channel = text_field(request, "channel");
            auto found = endpoints_.find(channel);
            if (found == endpoints_.end()) {
                return reply(reply_type, request,
                             {{"status", "error"},
                              {"code", "not_found"},
                              {"message", "channel '" + channel + "' is not advertised on the network"}});
            }
            if (type == "ENDPOINT_DISC_REQ") return reply(reply_type, request, endpoint_json(found->second));
            if (found->second.pid != number_field(request, "pid") || found->second.host != text_field(request, "host")) {
                return error_reply(reply_type, request, "channel '" + channel + "' is advertised by another process");
            }
            endpoints_.erase(found);
            return reply(reply_type, request, json::object());
        }
        if (type == "LIST_REQ") {
            json list = json::array();
            for (const auto& [name, record] : channels_) list.push_back(record_json(record, false));
            json endpoints = json::array();
            for (const auto& [name, record] : endpoints_) endpoints.push_back(endpoint_json(record));
            return reply(reply_type, request, {{"channels", list}, {"endpoints", endpoints}});
        }
        return error_reply("ERROR", request,
                           "unknown request type '" + type +
                               "' (known: REG_REQ, DISC_REQ, DEREG_REQ, GET_SCHEMA_REQ, LIST_REQ, HEARTBEAT_REQ, "
                               "CONSUMER_REG_REQ, CONSUMER_DEREG_REQ, ENDPOINT_REG_REQ, ENDPOINT_DISC_REQ, "
                               "ENDPOINT_DEREG_REQ)");
    } catch (const BadRequest& bad) {
        return error_reply(reply_type, request, type + ": " + bad.message);
    } catch (const std::exception& e) {
        return error_reply(reply_type, request, type + ": " + e.what());
    }
}

}  // namespace pylabhub::messagehub
