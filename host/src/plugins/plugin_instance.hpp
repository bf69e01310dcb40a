// One configured component of a pipeline: a plugin instance, its checked
// configuration, and the host-API context it talks to the host through.
#pragma once

#include <atomic>
#include <chrono>
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

/// What a consumer instance is told about one of its inputs.
struct InputDescription {
    std::string channel;
    std::optional<SchemaDescription> schema;
    std::string schema_hash_hex;
    std::uint64_t slot_bytes = 0;
    std::uint32_t slot_count = 0;
    std::uint32_t sync_policy = 0;
    std::uint32_t checksum_policy = 0;
};

class PluginInstance {
public:
    /// Calls the plugin's create. The error names the instance, the plugin,
    /// its file and the plugin's own message.
    static Result<std::unique_ptr<PluginInstance>> create(const PluginInfo& plugin, std::string instance_id,
                                                          ResolvedConfig config,
                                                          std::vector<InputDescription> inputs = {});
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
    PluginInstance(const PluginInfo& plugin, std::string id, ResolvedConfig config,
                   std::vector<InputDescription> inputs);

    const PluginInfo* plugin_;
    std::string id_;
    ResolvedConfig config_;
    std::vector<InputDescription> inputs_;
    std::vector<plh_input_info> input_infos_;  // point into inputs_
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

} // namespace pylabhub::host
