// One configured component of a pipeline: a plugin instance, its checked
// configuration, and the host-API context it talks to the host through.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <span>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config_value.hpp"
#include "plugins/plugin_registry.hpp"
#include "pylabhub/core/result.hpp"
#include "pylabhub/datablock/producer.hpp"
#include "pylabhub/plugin_abi.h"

struct plh_host_context;  // defined in plugin_instance.cpp; plugins see it as opaque

namespace pylabhub::host {

/// What an instance is told about a channel it reads (an input) or writes.
struct InputDescription {
    std::string channel;
    std::optional<SchemaDescription> schema;
    std::string schema_hash_hex;
    std::uint64_t slot_bytes = 0;
    std::uint32_t slot_count = 0;
    std::uint32_t sync_policy = 0;
    std::uint32_t checksum_policy = 0;
    std::vector<datablock::FlexZoneSpec> zones;
    bool read_lossless = true;
};

/// Where a channel is reachable over the network.
struct NetworkEndpoint {
    std::string endpoint;
    std::string curve_public_key;  ///< Z85, or ""
};

/// How a transport's advertise and discover reach the pipeline's broker.
struct NetworkDirectory {
    std::function<Result<void>(const NetworkEndpoint&)> advertise;                ///< for this instance's channel
    std::function<Result<NetworkEndpoint>(const std::string& channel)> discover;  ///< not_found: nobody advertises it
};

/// The channels an instance is wired to, given to it at create.
struct Wiring {
    std::vector<InputDescription> inputs;
    /// The channel it writes (producers, processors, inbound transports).
    std::optional<InputDescription> output;
    std::uint32_t transport_direction = 0;  ///< plh_transport_direction, 0 for other kinds
    NetworkDirectory directory;             ///< transports only
};

/// Reads a zone of input `index` for zone_read (set by the runner while the
/// inputs are attached).
using ZoneReader = std::function<Result<std::uint64_t>(std::uint32_t index, std::string_view zone, std::span<std::byte> out,
                                                       std::chrono::nanoseconds timeout)>;

class PluginInstance {
public:
    /// Calls the plugin's create. The error names the instance, the plugin,
    /// its file and the plugin's own message.
    static Result<std::unique_ptr<PluginInstance>> create(const PluginInfo& plugin, std::string instance_id, ResolvedConfig config,
                                                          Wiring wiring = {});
    ~PluginInstance();  ///< calls the plugin's destroy
    PluginInstance(const PluginInstance&) = delete;
    PluginInstance& operator=(const PluginInstance&) = delete;

    const PluginInfo& plugin() const { return *plugin_; }
    const std::string& id() const { return id_; }
    void* handle() const { return handle_; }

    /// The schema the plugin declared at create, else its descriptor's.
    const std::optional<SchemaDescription>& schema() const { return schema_; }

    /// The DataBlock that write_slot writes to (producers).
    /// The channel write_slot writes to; nullptr before it exists and from
    /// the moment it closes (waits for a write in progress), after which
    /// write_slot returns PLH_END.
    void bind_producer(datablock::Producer* producer) {
        std::lock_guard lock(write_mutex_);
        producer_ = producer;
        bound_once_ = bound_once_ || producer != nullptr;
    }

    /// How zone_read reaches the inputs; an empty one (when the inputs are
    /// left) makes zone_read return PLH_END. Waits for a read in progress.
    void bind_zone_reader(ZoneReader reader) {
        std::lock_guard lock(zone_mutex_);
        zone_reader_ = std::move(reader);
    }
    /// The channel's final description (its schema as created), for output_info.
    void set_output(InputDescription output);

    void request_stop() { stop_.store(true); }
    bool stop_requested() const { return stop_.load(); }
    /// Set when the plugin asked the whole pipeline to stop.
    bool pipeline_stop_requested() const { return pipeline_stop_.load(); }

    /// The message the plugin reported with its last error status, then cleared.
    std::string take_error();
    std::map<std::string, std::uint64_t> metrics() const;

    /// "instance 'x' (plugin 'sine' from /path/lib.so)"
    std::string describe() const;

private:
    friend class HostApiAccess;
    PluginInstance(const PluginInfo& plugin, std::string id, ResolvedConfig config, Wiring wiring);

    /// A channel description in the ABI's form; pointers into `source`,
    /// which must not move until destroy.
    struct DescribedChannel {
        InputDescription source;
        std::vector<plh_zone_info> zones;
        std::vector<const plh_zone_info*> zone_pointers;
        plh_input_info info{};
    };
    static void describe(DescribedChannel& described, std::uint32_t index);

    const PluginInfo* plugin_;
    std::string id_;
    ResolvedConfig config_;
    std::vector<std::unique_ptr<DescribedChannel>> inputs_;
    std::unique_ptr<DescribedChannel> output_planned_;  // before the channel exists
    std::unique_ptr<DescribedChannel> output_final_;    // set once, when it does
    std::atomic<DescribedChannel*> output_{nullptr};
    std::uint32_t transport_direction_ = 0;
    NetworkDirectory directory_;
    std::mutex zone_mutex_;
    ZoneReader zone_reader_;                          // guarded by zone_mutex_
    std::map<std::string, std::string> json_config_;  // config_json texts, made on first use; guarded by state_mutex_
    std::unique_ptr<plh_host_context> context_;
    void* handle_ = nullptr;
    std::optional<SchemaDescription> schema_;
    bool creating_ = false;
    datablock::Producer* producer_ = nullptr;  // guarded by write_mutex_
    bool bound_once_ = false;                  // guarded by write_mutex_: unbound again means closed
    std::mutex write_mutex_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> pipeline_stop_{false};
    mutable std::mutex state_mutex_;
    std::string last_error_;
    std::map<std::string, std::uint64_t> metrics_;
};

/// The table every instance receives (plugin_abi.h).
const plh_host_api& host_api();

/// "PLH_ERR_CONFIG" for people reading errors.
std::string status_name(plh_status status);

}  // namespace pylabhub::host
