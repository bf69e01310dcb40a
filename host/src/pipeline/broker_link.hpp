// A host's connection to the MessageHub: registers the channels it
// creates, keeps them alive, finds the channels it reads. Embeds a broker on
// the default endpoint when none answers there (so one host needs nothing
// else, and the next host on the machine finds the first one's channels).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pylabhub/core/result.hpp"
#include "pylabhub/messagehub/client.hpp"

namespace pylabhub::host {

class BrokerLink {
public:
    /// `endpoint`: the pipeline's `broker:` (must answer), or nullopt for
    /// the default endpoint (a broker is embedded when none answers).
    static Result<std::unique_ptr<BrokerLink>> open(const std::optional<std::string>& endpoint,
                                                    const std::optional<messagehub::CurveClientKeys>& curve = std::nullopt);
    ~BrokerLink();  ///< deregisters, stops heartbeats and the embedded broker

    Result<void> register_channel(messagehub::ChannelRecord record);
    Result<messagehub::ChannelRecord> discover(const std::string& channel);
    void deregister(const std::string& channel);
    /// Best effort: a consumer's registration is informational. It is
    /// repeated with every heartbeat (so a restarted broker learns it again).
    void register_consumer(const std::string& channel, const std::string& consumer_id);

    /// An outbound transport's endpoint for its channel; repeated with every
    /// heartbeat, withdrawn when the link closes.
    Result<void> advertise(messagehub::EndpointRecord record);
    /// Where another host's transport advertises `channel` (not_found: nobody).
    Result<messagehub::EndpointRecord> discover_endpoint(const std::string& channel);

    const std::string& endpoint() const { return endpoint_; }
    bool embedded() const { return embedded_.joinable(); }

private:
    BrokerLink(std::string endpoint, const std::optional<messagehub::CurveClientKeys>& curve)
        : endpoint_(std::move(endpoint)), client_(endpoint_, std::chrono::milliseconds(2000), curve) {}
    static Result<std::unique_ptr<BrokerLink>> connect(const std::optional<std::string>& endpoint,
                                                       const std::optional<messagehub::CurveClientKeys>& curve);
    void keep_alive();
    /// One heartbeat each; false when the broker does not answer.
    bool beat_channels();
    bool beat_consumers();
    bool beat_endpoints();

    std::string endpoint_;
    std::mutex mutex_;  // the client's socket is used by the control and heartbeat threads
    messagehub::Client client_;
    std::vector<messagehub::ChannelRecord> registered_;
    std::vector<std::pair<std::string, messagehub::ConsumerRecord>> consumers_;
    std::vector<messagehub::EndpointRecord> endpoints_;
    std::atomic<bool> stop_{false};
    std::thread heartbeat_;
    std::thread embedded_;
};

/// This machine's host name, as recorded with producers.
std::string host_name();

/// Options for a broker on this machine: its host name, local pid liveness,
/// the wall clock. Shared by `pylabhub broker` and the embedded broker.
messagehub::RegistryOptions local_registry_options();

}  // namespace pylabhub::host
