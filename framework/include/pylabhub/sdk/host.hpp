// The host as a plugin sees it: logging, configuration, clock, metrics.
// Header-only; wraps the plh_host_api table, and tolerates an older host
// whose table lacks later functions (they report PLH_ERR_UNSUPPORTED).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pylabhub/plugin_abi.h"

namespace pylabhub::sdk {

/// Throw from plugin code to fail with a specific status; the SDK turns it
/// into the ABI status and hands the message to the host.
class PluginError : public std::runtime_error {
public:
    /// `status` is what the ABI call returns; `message` is reported to the host for people.
    PluginError(plh_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
    /// The status the failing call returns.
    plh_status status() const noexcept { return status_; }

private:
    plh_status status_;
};

/// A PluginError with PLH_ERR_CONFIG: a setting is missing or wrong (name it in the message).
class ConfigError : public PluginError {
public:
    /// `message`: which setting, and what is wrong with it.
    explicit ConfigError(const std::string& message) : PluginError(PLH_ERR_CONFIG, message) {}
};

/// A flexible zone of a channel (plh_zone_info, copied).
struct ZoneInfo {
    std::string name;         ///< as in the channel's `zones:`
    std::uint64_t bytes = 0;  ///< its size
};

/// A consistent copy of a zone (Host::zone_read).
struct ZoneCopy {
    std::vector<std::byte> bytes;  ///< the zone's whole content
    std::uint64_t version = 0;     ///< how many times it was written; 0: never
};

/// One of a consumer's inputs, or the channel a writer writes (plh_input_info, copied).
struct InputInfo {
    std::uint32_t index = 0;            ///< the input's position in `inputs:`
    std::string channel;                ///< the channel's name in the pipeline
    std::string schema_name;            ///< "" without schema
    std::string schema_version;         ///< "MAJOR.MINOR.PATCH"
    std::string schema_blds;            ///< the layout (docs/schema.md)
    std::string schema_hash;            ///< BLAKE2b-256 of the BLDS, 64 hex digits
    std::uint64_t slot_bytes = 0;       ///< the largest payload a slot holds
    std::uint32_t slot_count = 0;       ///< slots in the ring
    std::uint32_t sync_policy = 0;      ///< 1 latest_only, 2 single_reader, 3 sync_reader
    std::uint32_t checksum_policy = 0;  ///< 0 none, 1 blake2b, 2 xxh3, 1000+ plugins
    std::vector<ZoneInfo> zones;        ///< ABI 1.1 hosts
    bool read_lossless = true;          ///< false: a read policy that may skip slots
};

/// The host as a plugin instance sees it: a thin C++ face over
/// plh_host_api for one instance's context. Cheap to copy; every method may
/// be called from any thread unless it says otherwise. Methods that fail
/// throw PluginError (caught and turned into a status by the SDK).
class Host {
public:
    /// The SDK makes it from what `create` is given.
    Host(const plh_host_api* api, plh_host_context* ctx) : api_(api), ctx_(ctx) {}

    /// A log line, tagged with the instance id by the host.
    void log(plh_log_level level, std::string_view message) const {
        if (PLH_HAS_FIELD(api_, plh_host_api, log) && api_->log) {
            const std::string text(message);
            api_->log(ctx_, level, text.c_str());
        }
    }
    void debug(std::string_view message) const { log(PLH_LOG_DEBUG, message); }  ///< log() at debug level
    void info(std::string_view message) const { log(PLH_LOG_INFO, message); }    ///< log() at info level
    void warn(std::string_view message) const { log(PLH_LOG_WARN, message); }    ///< log() at warn level
    void error(std::string_view message) const { log(PLH_LOG_ERROR, message); }  ///< log() at error level

    /// The instance's id in the pipeline ("sine").
    std::string instance_id() const {
        if (!PLH_HAS_FIELD(api_, plh_host_api, instance_id) || !api_->instance_id) return {};
        const char* id = api_->instance_id(ctx_);
        return id ? id : "";
    }

    /// Setting `name` of the plugin's config map, checked and with its default
    /// filled in by the host; ConfigError when it is not a bool setting.
    bool config_bool(const char* name) const {
        int32_t value = 0;
        check(name, PLH_HAS_FIELD(api_, plh_host_api, config_bool) ? api_->config_bool(ctx_, name, &value) : PLH_ERR_UNSUPPORTED);
        return value != 0;
    }
    /// An int setting (see config_bool).
    std::int64_t config_int(const char* name) const {
        int64_t value = 0;
        check(name, PLH_HAS_FIELD(api_, plh_host_api, config_int) ? api_->config_int(ctx_, name, &value) : PLH_ERR_UNSUPPORTED);
        return value;
    }
    /// A float setting (see config_bool).
    double config_float(const char* name) const {
        double value = 0;
        check(name, PLH_HAS_FIELD(api_, plh_host_api, config_float) ? api_->config_float(ctx_, name, &value) : PLH_ERR_UNSUPPORTED);
        return value;
    }
    /// A string setting (see config_bool).
    std::string config_string(const char* name) const {
        const char* value = nullptr;
        check(name, PLH_HAS_FIELD(api_, plh_host_api, config_string) ? api_->config_string(ctx_, name, &value) : PLH_ERR_UNSUPPORTED);
        return value ? value : "";
    }
    /// A duration setting ("250us", "2s"; see config_bool).
    std::chrono::nanoseconds config_duration(const char* name) const {
        int64_t value = 0;
        check(name,
              PLH_HAS_FIELD(api_, plh_host_api, config_duration_ns) ? api_->config_duration_ns(ctx_, name, &value) : PLH_ERR_UNSUPPORTED);
        return std::chrono::nanoseconds(value);
    }
    /// A size setting in bytes ("4KiB"; see config_bool).
    std::uint64_t config_size(const char* name) const {
        uint64_t value = 0;
        check(name, PLH_HAS_FIELD(api_, plh_host_api, config_size) ? api_->config_size(ctx_, name, &value) : PLH_ERR_UNSUPPORTED);
        return value;
    }
    /// A string-list setting (see config_bool).
    std::vector<std::string> config_list(const char* name) const {
        uint32_t count = 0;
        check(name,
              PLH_HAS_FIELD(api_, plh_host_api, config_list_item) ? api_->config_list_count(ctx_, name, &count) : PLH_ERR_UNSUPPORTED);
        std::vector<std::string> items;
        for (uint32_t i = 0; i < count; ++i) {
            const char* item = nullptr;
            check(name, api_->config_list_item(ctx_, name, i, &item));
            items.emplace_back(item ? item : "");
        }
        return items;
    }

    /// The system-wide monotonic clock in nanoseconds (the clock of commit timestamps).
    std::uint64_t now_ns() const { return api_->monotonic_ns(); }
    /// Adds `delta` to counter `name`, shown in the run summary and /metrics.
    void metric(const char* name, std::uint64_t delta = 1) const {
        if (PLH_HAS_FIELD(api_, plh_host_api, metric_add) && api_->metric_add) api_->metric_add(ctx_, name, delta);
    }
    /// Asks the host to stop the whole pipeline (an instrument that is done, say).
    void request_stop() const {
        if (PLH_HAS_FIELD(api_, plh_host_api, request_stop) && api_->request_stop) api_->request_stop(ctx_);
    }
    /// True once the host wants this instance to finish (its loop should return).
    bool stop_requested() const {
        return PLH_HAS_FIELD(api_, plh_host_api, stop_requested) && api_->stop_requested && api_->stop_requested(ctx_) != 0;
    }
    /// Copies `data` into the next slot and commits it (producers; see plugin_abi.h).
    plh_status write_slot(std::span<const std::byte> data, std::chrono::nanoseconds timeout) const {
        if (!PLH_HAS_FIELD(api_, plh_host_api, write_slot) || !api_->write_slot) return PLH_ERR_UNSUPPORTED;
        return api_->write_slot(ctx_, data.data(), data.size(), static_cast<uint64_t>(timeout.count()));
    }
    /// During construction only: the schema of this instance's slots.
    void declare_schema(const char* name, const char* version, const std::string& blds) const {
        if (!PLH_HAS_FIELD(api_, plh_host_api, declare_schema) || !api_->declare_schema) {
            throw PluginError(PLH_ERR_UNSUPPORTED, "this host cannot take a schema declared at create time");
        }
        const plh_schema_desc desc{sizeof(plh_schema_desc), name, version, blds.c_str()};
        if (api_->declare_schema(ctx_, &desc) != PLH_OK)
            throw PluginError(PLH_ERR_INVALID, "schema '" + std::string(name) + "' refused by the host");
    }

    /// The consumer's inputs (empty for producers or an older host).
    std::vector<InputInfo> inputs() const {
        std::vector<InputInfo> all;
        if (!PLH_HAS_FIELD(api_, plh_host_api, input_info) || !api_->input_count || !api_->input_info) return all;
        const uint32_t count = api_->input_count(ctx_);
        for (uint32_t i = 0; i < count; ++i) {
            const plh_input_info* in = nullptr;
            if (api_->input_info(ctx_, i, &in) != PLH_OK || in == nullptr) continue;
            all.push_back(copy(*in));
        }
        return all;
    }

    /// The channel this instance writes (ABI 1.1 hosts; nullopt otherwise).
    std::optional<InputInfo> output() const {
        const plh_input_info* out = nullptr;
        if (!PLH_HAS_FIELD(api_, plh_host_api, output_info) || !api_->output_info || api_->output_info(ctx_, &out) != PLH_OK ||
            out == nullptr) {
            return std::nullopt;
        }
        return copy(*out);
    }

    /// Replaces flexible zone `zone` of the channel this instance writes
    /// (bytes after `data` set to 0); readers never see it half-written.
    void zone_write(const char* zone, std::span<const std::byte> data) const {
        if (!PLH_HAS_FIELD(api_, plh_host_api, zone_write) || !api_->zone_write) {
            throw PluginError(PLH_ERR_UNSUPPORTED, "this host has no flexible zones (ABI 1.1 needed)");
        }
        const plh_status status = api_->zone_write(ctx_, zone, data.data(), data.size());
        if (status != PLH_OK) throw PluginError(status, std::string("zone_write('") + zone + "') failed");
    }

    /// A consistent copy of zone `zone` of input `input`, its checksum
    /// checked (PluginError with PLH_ERR_CORRUPT when it fails).
    ZoneCopy zone_read(std::uint32_t input, const char* zone, std::chrono::nanoseconds timeout = std::chrono::seconds(1)) const {
        if (!PLH_HAS_FIELD(api_, plh_host_api, zone_read) || !api_->zone_read) {
            throw PluginError(PLH_ERR_UNSUPPORTED, "this host has no flexible zones (ABI 1.1 needed)");
        }
        std::uint64_t size = 0;
        for (const auto& in : inputs()) {
            if (in.index != input) continue;
            for (const auto& z : in.zones) {
                if (z.name == zone) size = z.bytes;
            }
        }
        ZoneCopy copy_out;
        copy_out.bytes.resize(size);
        size_t bytes = 0;
        const plh_status status = api_->zone_read(ctx_, input, zone, copy_out.bytes.data(), copy_out.bytes.size(), &bytes,
                                                  &copy_out.version, static_cast<uint64_t>(timeout.count()));
        if (status != PLH_OK) throw PluginError(status, std::string("zone_read('") + zone + "') failed");
        copy_out.bytes.resize(bytes);
        return copy_out;
    }

    /// A config value as JSON text: how a `tree` entry (nested maps and
    /// lists) is read; parse it with the JSON library of your choice.
    std::string config_json(const char* name) const {
        const char* value = nullptr;
        check(name,
              PLH_HAS_FIELD(api_, plh_host_api, config_json) && api_->config_json ? api_->config_json(ctx_, name, &value)
                                                                                  : PLH_ERR_UNSUPPORTED);
        return value ? value : "";
    }

    /// Transports: PLH_TRANSPORT_OUT or PLH_TRANSPORT_IN (0 for other kinds).
    std::uint32_t transport_direction() const {
        return PLH_HAS_FIELD(api_, plh_host_api, transport_direction) && api_->transport_direction ? api_->transport_direction(ctx_) : 0;
    }

    /// Outbound transports: tells the pipeline's broker where this channel
    /// can be reached (and its CurveZMQ public key, or "").
    void advertise(const std::string& endpoint, const std::string& curve_public_key = "") const {
        if (!PLH_HAS_FIELD(api_, plh_host_api, discover) || !api_->advertise) {
            throw PluginError(PLH_ERR_UNSUPPORTED, "this host cannot advertise endpoints (ABI 1.1 needed)");
        }
        const plh_status status = api_->advertise(ctx_, endpoint.c_str(), curve_public_key.c_str());
        if (status != PLH_OK) throw PluginError(status, "advertise(" + endpoint + ") failed");
    }

    /// Where a channel is reachable over the network (discover()).
    struct Endpoint {
        std::string endpoint;          ///< "tcp://lab1:5601"
        std::string curve_public_key;  ///< Z85, "" without CurveZMQ
    };
    /// Inbound transports: where `channel` is advertised, waiting up to
    /// `timeout`; nullopt when nobody advertises it yet.
    std::optional<Endpoint> discover(const std::string& channel, std::chrono::nanoseconds timeout) const {
        if (!PLH_HAS_FIELD(api_, plh_host_api, discover) || !api_->discover) {
            throw PluginError(PLH_ERR_UNSUPPORTED, "this host cannot discover endpoints (ABI 1.1 needed)");
        }
        char endpoint[512] = {};
        char key[64] = {};
        const plh_status status =
            api_->discover(ctx_, channel.c_str(), endpoint, sizeof endpoint, key, sizeof key, static_cast<uint64_t>(timeout.count()));
        if (status == PLH_TIMEOUT) return std::nullopt;
        if (status != PLH_OK) throw PluginError(status, "discover(" + channel + ") failed");
        return Endpoint{endpoint, key};
    }

    /// A message for people about the error status about to be returned (the SDK calls it for a PluginError).
    void report_error(const char* message) const {
        if (PLH_HAS_FIELD(api_, plh_host_api, report_error) && api_->report_error) api_->report_error(ctx_, message);
    }

private:
    static InputInfo copy(const plh_input_info& in) {
        const plh_input_info* fields = &in;
        auto text = [](const char* s) { return std::string(s ? s : ""); };
        InputInfo info;
        info.index = in.index;
        info.channel = text(in.channel);
        if (PLH_HAS_FIELD(fields, plh_input_info, schema_hash)) {
            info.schema_name = text(in.schema_name);
            info.schema_version = text(in.schema_version);
            info.schema_blds = text(in.schema_blds);
            info.schema_hash = text(in.schema_hash);
        }
        if (PLH_HAS_FIELD(fields, plh_input_info, checksum_policy)) {
            info.slot_bytes = in.slot_bytes;
            info.slot_count = in.slot_count;
            info.sync_policy = in.sync_policy;
            info.checksum_policy = in.checksum_policy;
        }
        if (PLH_HAS_FIELD(fields, plh_input_info, zones)) {
            info.read_lossless = in.read_lossless != 0;
            for (uint32_t z = 0; z < in.zone_count && in.zones != nullptr; ++z) {
                if (in.zones[z] != nullptr) info.zones.push_back({text(in.zones[z]->name), in.zones[z]->bytes});
            }
        }
        return info;
    }

    void check(const char* name, plh_status status) const {
        if (status != PLH_OK) throw ConfigError(std::string("config '") + name + "' is not available");
    }

    const plh_host_api* api_;
    plh_host_context* ctx_;
};

}  // namespace pylabhub::sdk
