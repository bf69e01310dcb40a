#include "plugins/plugin_instance.hpp"

#include <algorithm>
#include <cstring>
#include <thread>

#include "pylabhub/log.hpp"
#include "pylabhub/platform/clock.hpp"
#include "pylabhub/schema/blds.hpp"
#include "text/terminal.hpp"

struct plh_host_context {
    pylabhub::host::PluginInstance* self;
};

namespace pylabhub::host {
namespace {

PluginInstance& self(plh_host_context* ctx) { return *ctx->self; }

}  // namespace

std::string status_name(plh_status status) {
    switch (status) {
    case PLH_OK: return "PLH_OK";
    case PLH_TIMEOUT: return "PLH_TIMEOUT";
    case PLH_END: return "PLH_END";
    case PLH_ERR_INVALID: return "PLH_ERR_INVALID";
    case PLH_ERR_CONFIG: return "PLH_ERR_CONFIG";
    case PLH_ERR_IO: return "PLH_ERR_IO";
    case PLH_ERR_CORRUPT: return "PLH_ERR_CORRUPT";
    case PLH_ERR_UNSUPPORTED: return "PLH_ERR_UNSUPPORTED";
    case PLH_ERR_INTERNAL: return "PLH_ERR_INTERNAL";
    default: return "status " + std::to_string(status);
    }
}

/// The host-API functions reach the instance's private state through here.
class HostApiAccess {
public:
    static const ResolvedConfig& config(plh_host_context* ctx) { return ctx->self->config_; }
    static void set_error(plh_host_context* ctx, const char* message) {
        std::lock_guard lock(ctx->self->state_mutex_);
        ctx->self->last_error_ = message != nullptr ? message : "";
    }
    static void add_metric(plh_host_context* ctx, const char* name, std::uint64_t delta) {
        std::lock_guard lock(ctx->self->state_mutex_);
        ctx->self->metrics_[name] += delta;
    }
    static void stop_pipeline(plh_host_context* ctx) { ctx->self->pipeline_stop_.store(true); }
    /// A device thread may call this at any time. The wait for room is cut
    /// into short slices, each under the lock that closing the channel takes,
    /// so a close waits at most one slice and a write never touches a
    /// closed channel.
    static Result<void> write(plh_host_context* ctx, std::span<const std::byte> data, std::chrono::nanoseconds timeout) {
        constexpr std::chrono::nanoseconds kSlice = std::chrono::milliseconds(20);
        PluginInstance& instance = *ctx->self;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            {
                std::lock_guard lock(instance.write_mutex_);
                if (instance.producer_ == nullptr) {
                    return make_error(instance.bound_once_ ? ErrorCode::closed : ErrorCode::not_found,
                                      instance.bound_once_ ? "the channel is closed" : "no channel yet");
                }
                const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - std::chrono::steady_clock::now());
                auto written = instance.producer_->write(data, std::clamp(left, std::chrono::nanoseconds(0), kSlice));
                if (written || written.error().code != ErrorCode::timeout) return written;
            }
            if (std::chrono::steady_clock::now() >= deadline) return make_error(ErrorCode::timeout, "the ring stayed full");
        }
    }
    static bool creating(plh_host_context* ctx) { return ctx->self->creating_; }
    static bool channel_bound_once(plh_host_context* ctx) {
        std::lock_guard lock(ctx->self->write_mutex_);
        return ctx->self->bound_once_;
    }
    static std::size_t input_count(plh_host_context* ctx) { return ctx->self->inputs_.size(); }
    static const plh_input_info* input(plh_host_context* ctx, std::size_t index) {
        const auto& inputs = ctx->self->inputs_;
        return index < inputs.size() ? &inputs[index]->info : nullptr;
    }
    static const plh_input_info* output(plh_host_context* ctx) {
        const auto* described = ctx->self->output_.load(std::memory_order_acquire);
        return described != nullptr ? &described->info : nullptr;
    }
    static std::uint32_t direction(plh_host_context* ctx) { return ctx->self->transport_direction_; }
    static const NetworkDirectory& directory(plh_host_context* ctx) { return ctx->self->directory_; }
    /// The JSON text of a config value, kept until destroy.
    static const char* json(plh_host_context* ctx, const std::string& name) {
        PluginInstance& instance = *ctx->self;
        const auto found = instance.config_.find(name);
        if (found == instance.config_.end()) return nullptr;
        std::lock_guard lock(instance.state_mutex_);
        auto [it, added] = instance.json_config_.try_emplace(name);
        if (added) it->second = to_json_text(found->second);
        return it->second.c_str();
    }
    static Result<std::uint64_t> write_zone(plh_host_context* ctx, std::string_view zone, std::span<const std::byte> data) {
        PluginInstance& instance = *ctx->self;
        std::lock_guard lock(instance.write_mutex_);
        if (instance.producer_ == nullptr) {
            return make_error(instance.bound_once_ ? ErrorCode::closed : ErrorCode::not_found,
                              instance.bound_once_ ? "the channel is closed" : "no channel yet");
        }
        return instance.producer_->write_zone(zone, data);
    }
    static Result<std::uint64_t> read_zone(plh_host_context* ctx, std::uint32_t index, std::string_view zone, std::span<std::byte> out,
                                           std::chrono::nanoseconds timeout) {
        PluginInstance& instance = *ctx->self;
        std::lock_guard lock(instance.zone_mutex_);
        if (!instance.zone_reader_) return make_error(ErrorCode::closed, "the inputs are closed");
        return instance.zone_reader_(index, zone, out, timeout);
    }
    static void set_schema(plh_host_context* ctx, SchemaDescription schema) { ctx->self->schema_ = std::move(schema); }
};

namespace {

template <typename T>
plh_status get_config(plh_host_context* ctx, const char* name, T** out_value) {
    if (ctx == nullptr || name == nullptr) return PLH_ERR_INVALID;
    const auto& config = HostApiAccess::config(ctx);
    const auto found = config.find(name);
    if (found == config.end()) return PLH_ERR_CONFIG;
    auto* value = std::get_if<T>(const_cast<ConfigValue*>(&found->second));
    if (value == nullptr) return PLH_ERR_CONFIG;
    *out_value = value;
    return PLH_OK;
}

void api_log(plh_host_context* ctx, int32_t level, const char* message) {
    if (ctx == nullptr || message == nullptr) return;
    static constexpr spdlog::level::level_enum levels[] = {spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
                                                           spdlog::level::warn, spdlog::level::err};
    const auto spd = level >= 0 && level <= 4 ? levels[level] : spdlog::level::info;
    log::logger().log(spd, "[{}] {}", self(ctx).id(), terminal_safe(message));
}

void api_report_error(plh_host_context* ctx, const char* message) {
    if (ctx != nullptr) HostApiAccess::set_error(ctx, message);
}

const char* api_instance_id(plh_host_context* ctx) { return ctx != nullptr ? self(ctx).id().c_str() : ""; }

plh_status api_config_bool(plh_host_context* ctx, const char* name, int32_t* out) {
    bool* value = nullptr;
    const plh_status status = get_config(ctx, name, &value);
    if (status == PLH_OK && out != nullptr) *out = *value ? 1 : 0;
    return status;
}
plh_status api_config_int(plh_host_context* ctx, const char* name, int64_t* out) {
    std::int64_t* value = nullptr;
    const plh_status status = get_config(ctx, name, &value);
    if (status == PLH_OK && out != nullptr) *out = *value;
    return status;
}
plh_status api_config_float(plh_host_context* ctx, const char* name, double* out) {
    double* value = nullptr;
    plh_status status = get_config(ctx, name, &value);
    if (status == PLH_OK) {
        if (out != nullptr) *out = *value;
        return status;
    }
    std::int64_t* integer = nullptr;  // an int may be read as a float
    status = get_config(ctx, name, &integer);
    if (status == PLH_OK && out != nullptr) *out = static_cast<double>(*integer);
    return status;
}
plh_status api_config_string(plh_host_context* ctx, const char* name, const char** out) {
    std::string* value = nullptr;
    const plh_status status = get_config(ctx, name, &value);
    if (status == PLH_OK && out != nullptr) *out = value->c_str();
    return status;
}
plh_status api_config_duration_ns(plh_host_context* ctx, const char* name, int64_t* out) {
    Duration* value = nullptr;
    const plh_status status = get_config(ctx, name, &value);
    if (status == PLH_OK && out != nullptr) *out = value->ns;
    return status;
}
plh_status api_config_size(plh_host_context* ctx, const char* name, uint64_t* out) {
    Size* value = nullptr;
    const plh_status status = get_config(ctx, name, &value);
    if (status == PLH_OK && out != nullptr) *out = value->bytes;
    return status;
}
plh_status api_config_list_count(plh_host_context* ctx, const char* name, uint32_t* out) {
    std::vector<std::string>* value = nullptr;
    const plh_status status = get_config(ctx, name, &value);
    if (status == PLH_OK && out != nullptr) *out = static_cast<uint32_t>(value->size());
    return status;
}
plh_status api_config_list_item(plh_host_context* ctx, const char* name, uint32_t index, const char** out) {
    std::vector<std::string>* value = nullptr;
    const plh_status status = get_config(ctx, name, &value);
    if (status != PLH_OK) return status;
    if (index >= value->size()) return PLH_ERR_INVALID;
    if (out != nullptr) *out = (*value)[index].c_str();
    return PLH_OK;
}

uint64_t api_monotonic_ns() { return platform::monotonic_time_ns(); }

void api_metric_add(plh_host_context* ctx, const char* name, uint64_t delta) {
    if (ctx != nullptr && name != nullptr) HostApiAccess::add_metric(ctx, name, delta);
}

void api_request_stop(plh_host_context* ctx) {
    if (ctx != nullptr) HostApiAccess::stop_pipeline(ctx);
}

int32_t api_stop_requested(plh_host_context* ctx) { return ctx != nullptr && self(ctx).stop_requested() ? 1 : 0; }

plh_status api_write_slot(plh_host_context* ctx, const void* data, size_t bytes, uint64_t timeout_ns) {
    if (ctx == nullptr || (data == nullptr && bytes > 0)) return PLH_ERR_INVALID;
    auto written = HostApiAccess::write(ctx, std::span(static_cast<const std::byte*>(data), bytes), std::chrono::nanoseconds(timeout_ns));
    if (written) return PLH_OK;
    switch (written.error().code) {
    case ErrorCode::not_found: return PLH_ERR_UNSUPPORTED;
    case ErrorCode::closed: return PLH_END;
    case ErrorCode::timeout: return PLH_TIMEOUT;
    case ErrorCode::invalid_argument: return PLH_ERR_INVALID;
    default: return PLH_ERR_INTERNAL;
    }
}

plh_status api_declare_schema(plh_host_context* ctx, const plh_schema_desc* desc) {
    if (ctx == nullptr || desc == nullptr || !PLH_HAS_FIELD(desc, plh_schema_desc, blds) || desc->blds == nullptr ||
        desc->name == nullptr || desc->version == nullptr) {
        return PLH_ERR_INVALID;
    }
    if (!HostApiAccess::creating(ctx)) {
        api_report_error(ctx, "declare_schema is only allowed during create");
        return PLH_ERR_INVALID;
    }
    if (auto parsed = schema::parse_blds(desc->blds); !parsed) {
        api_report_error(ctx, ("declared schema '" + std::string(desc->name) + "': " + parsed.error().message).c_str());
        return PLH_ERR_INVALID;
    }
    HostApiAccess::set_schema(ctx, SchemaDescription{desc->name, desc->version, desc->blds});
    return PLH_OK;
}

uint32_t api_input_count(plh_host_context* ctx) { return ctx != nullptr ? static_cast<uint32_t>(HostApiAccess::input_count(ctx)) : 0; }

plh_status api_input_info(plh_host_context* ctx, uint32_t index, const plh_input_info** out) {
    if (ctx == nullptr || out == nullptr) return PLH_ERR_INVALID;
    const plh_input_info* info = HostApiAccess::input(ctx, index);
    if (info == nullptr) return PLH_ERR_INVALID;
    *out = info;
    return PLH_OK;
}

plh_status api_config_json(plh_host_context* ctx, const char* name, const char** out) {
    if (ctx == nullptr || name == nullptr || out == nullptr) return PLH_ERR_INVALID;
    const char* text = HostApiAccess::json(ctx, name);
    if (text == nullptr) return PLH_ERR_CONFIG;
    *out = text;
    return PLH_OK;
}

plh_status api_output_info(plh_host_context* ctx, const plh_input_info** out) {
    if (ctx == nullptr || out == nullptr) return PLH_ERR_INVALID;
    const plh_input_info* info = HostApiAccess::output(ctx);
    if (info == nullptr) return PLH_ERR_UNSUPPORTED;
    *out = info;
    return PLH_OK;
}

/// Zone errors as statuses, with the message for people reported too.
plh_status zone_status(plh_host_context* ctx, const Error& error) {
    api_report_error(ctx, error.message.c_str());
    switch (error.code) {
    case ErrorCode::closed: return PLH_END;
    case ErrorCode::not_found:
    case ErrorCode::invalid_argument: return PLH_ERR_INVALID;
    case ErrorCode::timeout: return PLH_TIMEOUT;
    case ErrorCode::corrupt: return PLH_ERR_CORRUPT;
    default: return PLH_ERR_INTERNAL;
    }
}

plh_status api_zone_write(plh_host_context* ctx, const char* zone, const void* data, size_t bytes) {
    if (ctx == nullptr || zone == nullptr || (data == nullptr && bytes > 0)) return PLH_ERR_INVALID;
    auto written = HostApiAccess::write_zone(ctx, zone, std::span(static_cast<const std::byte*>(data), bytes));
    if (written) return PLH_OK;
    if (!HostApiAccess::channel_bound_once(ctx)) return PLH_ERR_UNSUPPORTED;  // called before its channel exists
    return zone_status(ctx, written.error());
}

plh_status api_zone_read(plh_host_context* ctx, uint32_t input_index, const char* zone, void* out, size_t capacity, size_t* bytes,
                         uint64_t* version, uint64_t timeout_ns) {
    if (ctx == nullptr || zone == nullptr || (out == nullptr && capacity > 0)) return PLH_ERR_INVALID;
    const plh_input_info* input = HostApiAccess::input(ctx, input_index);
    if (input == nullptr) return PLH_ERR_INVALID;
    std::uint64_t size = 0;
    for (std::uint32_t i = 0; i < input->zone_count; ++i) {
        if (std::strcmp(input->zones[i]->name, zone) == 0) size = input->zones[i]->bytes;
    }
    if (size == 0) {
        api_report_error(ctx, ("input '" + std::string(input->channel) + "' has no zone '" + zone + "'").c_str());
        return PLH_ERR_INVALID;
    }
    if (bytes != nullptr) *bytes = size;
    auto read = HostApiAccess::read_zone(ctx, input_index, zone, std::span(static_cast<std::byte*>(out), capacity),
                                         std::chrono::nanoseconds(timeout_ns));
    if (!read) return zone_status(ctx, read.error());
    if (version != nullptr) *version = *read;
    return PLH_OK;
}

uint32_t api_transport_direction(plh_host_context* ctx) { return ctx != nullptr ? HostApiAccess::direction(ctx) : 0; }

plh_status api_advertise(plh_host_context* ctx, const char* endpoint, const char* curve_public_key) {
    if (ctx == nullptr || endpoint == nullptr || *endpoint == '\0') return PLH_ERR_INVALID;
    const NetworkDirectory& directory = HostApiAccess::directory(ctx);
    if (!directory.advertise || HostApiAccess::direction(ctx) != PLH_TRANSPORT_OUT) {
        api_report_error(ctx, "advertise: only an outbound transport advertises its channel");
        return PLH_ERR_UNSUPPORTED;
    }
    auto advertised = directory.advertise({endpoint, curve_public_key != nullptr ? curve_public_key : ""});
    if (!advertised) {
        api_report_error(ctx, ("advertise " + std::string(endpoint) + ": " + advertised.error().message).c_str());
        return PLH_ERR_IO;
    }
    return PLH_OK;
}

plh_status api_discover(plh_host_context* ctx, const char* channel, char* endpoint, size_t endpoint_capacity, char* curve_public_key,
                        size_t key_capacity, uint64_t timeout_ns) {
    if (ctx == nullptr || channel == nullptr || endpoint == nullptr || curve_public_key == nullptr) return PLH_ERR_INVALID;
    const NetworkDirectory& directory = HostApiAccess::directory(ctx);
    if (!directory.discover) {
        api_report_error(ctx, "discover: only transports look channels up on the network");
        return PLH_ERR_UNSUPPORTED;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
    for (;;) {
        auto found = directory.discover(channel);
        if (found) {
            if (found->endpoint.size() >= endpoint_capacity || found->curve_public_key.size() >= key_capacity) {
                api_report_error(ctx, "discover: a buffer is too small for the endpoint or the key");
                return PLH_ERR_INVALID;
            }
            std::memcpy(endpoint, found->endpoint.c_str(), found->endpoint.size() + 1);
            std::memcpy(curve_public_key, found->curve_public_key.c_str(), found->curve_public_key.size() + 1);
            return PLH_OK;
        }
        if (found.error().code != ErrorCode::not_found) {
            api_report_error(ctx, ("discover '" + std::string(channel) + "': " + found.error().message).c_str());
            return PLH_ERR_IO;
        }
        if (std::chrono::steady_clock::now() + std::chrono::milliseconds(200) > deadline) return PLH_TIMEOUT;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

}  // namespace

const plh_host_api& host_api() {
    static const plh_host_api api = [] {
        plh_host_api table{};
        table.struct_size = sizeof(plh_host_api);
        table.abi_major = PLH_ABI_MAJOR;
        table.abi_minor = PLH_ABI_MINOR;
        table.log = api_log;
        table.report_error = api_report_error;
        table.instance_id = api_instance_id;
        table.config_bool = api_config_bool;
        table.config_int = api_config_int;
        table.config_float = api_config_float;
        table.config_string = api_config_string;
        table.config_duration_ns = api_config_duration_ns;
        table.config_size = api_config_size;
        table.config_list_count = api_config_list_count;
        table.config_list_item = api_config_list_item;
        table.monotonic_ns = api_monotonic_ns;
        table.metric_add = api_metric_add;
        table.request_stop = api_request_stop;
        table.stop_requested = api_stop_requested;
        table.write_slot = api_write_slot;
        table.declare_schema = api_declare_schema;
        table.input_count = api_input_count;
        table.input_info = api_input_info;
        table.config_json = api_config_json;
        table.output_info = api_output_info;
        table.zone_write = api_zone_write;
        table.zone_read = api_zone_read;
        table.transport_direction = api_transport_direction;
        table.advertise = api_advertise;
        table.discover = api_discover;
        return table;
    }();
    return api;
}

void PluginInstance::describe(DescribedChannel& described, std::uint32_t index) {
    static const std::string empty;
    const InputDescription& in = described.source;
    for (const auto& zone : in.zones) described.zones.push_back({sizeof(plh_zone_info), 0, zone.name.c_str(), zone.bytes});
    for (const auto& zone : described.zones) described.zone_pointers.push_back(&zone);
    plh_input_info& info = described.info;
    info.struct_size = sizeof(plh_input_info);
    info.index = index;
    info.channel = in.channel.c_str();
    info.schema_name = in.schema ? in.schema->name.c_str() : empty.c_str();
    info.schema_version = in.schema ? in.schema->version.c_str() : empty.c_str();
    info.schema_blds = in.schema ? in.schema->blds.c_str() : empty.c_str();
    info.schema_hash = in.schema_hash_hex.c_str();
    info.slot_bytes = in.slot_bytes;
    info.slot_count = in.slot_count;
    info.sync_policy = in.sync_policy;
    info.checksum_policy = in.checksum_policy;
    info.zone_count = static_cast<uint32_t>(described.zones.size());
    info.read_lossless = in.read_lossless ? 1 : 0;
    info.zones = described.zone_pointers.data();
}

PluginInstance::PluginInstance(const PluginInfo& plugin, std::string id, ResolvedConfig config, Wiring wiring)
    : plugin_(&plugin),
      id_(std::move(id)),
      config_(std::move(config)),
      transport_direction_(wiring.transport_direction),
      directory_(std::move(wiring.directory)),
      context_(std::make_unique<plh_host_context>(plh_host_context{this})),
      schema_(plugin.schema) {
    for (std::size_t i = 0; i < wiring.inputs.size(); ++i) {
        auto described = std::make_unique<DescribedChannel>();
        described->source = std::move(wiring.inputs[i]);
        describe(*described, static_cast<std::uint32_t>(i));
        inputs_.push_back(std::move(described));
    }
    if (wiring.output) {
        output_planned_ = std::make_unique<DescribedChannel>();
        output_planned_->source = std::move(*wiring.output);
        describe(*output_planned_, 0);
        output_.store(output_planned_.get());
    }
}

void PluginInstance::set_output(InputDescription output) {
    if (output_final_) return;  // the pointers handed out stay valid: set once
    output_final_ = std::make_unique<DescribedChannel>();
    output_final_->source = std::move(output);
    describe(*output_final_, 0);
    output_.store(output_final_.get(), std::memory_order_release);
}

Result<std::unique_ptr<PluginInstance>> PluginInstance::create(const PluginInfo& plugin, std::string instance_id, ResolvedConfig config,
                                                               Wiring wiring) {
    std::unique_ptr<PluginInstance> instance(new PluginInstance(plugin, std::move(instance_id), std::move(config), std::move(wiring)));
    const plh_plugin_descriptor* d = plugin.descriptor;
    if (d->create == nullptr) return instance;  // policies have no instances
    instance->creating_ = true;
    const plh_status status = d->create(&host_api(), instance->context_.get(), &instance->handle_);
    instance->creating_ = false;
    if (status != PLH_OK || instance->handle_ == nullptr) {
        std::string reason = instance->take_error();
        if (reason.empty()) reason = status == PLH_OK ? "it returned no instance" : "no message";
        instance->handle_ = nullptr;  // nothing to destroy
        return make_error(status == PLH_ERR_CONFIG ? ErrorCode::invalid_argument : ErrorCode::unrecoverable,
                          instance->describe() + ": create failed (" + status_name(status) + "): " + reason);
    }
    return instance;
}

PluginInstance::~PluginInstance() {
    if (handle_ != nullptr && plugin_->descriptor->destroy != nullptr) plugin_->descriptor->destroy(handle_);
}

std::string PluginInstance::take_error() {
    std::lock_guard lock(state_mutex_);
    return std::exchange(last_error_, std::string());
}

std::map<std::string, std::uint64_t> PluginInstance::metrics() const {
    std::lock_guard lock(state_mutex_);
    return metrics_;
}

std::string PluginInstance::describe() const {
    return "instance '" + id_ + "' (plugin '" + plugin_->id + "' from " + plugin_->file.string() + ")";
}

}  // namespace pylabhub::host
