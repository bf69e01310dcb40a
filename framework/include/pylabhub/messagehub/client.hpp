// The MessageHub client: talks to a broker (ZeroMQ DEALER, JSON).
// Every call has a timeout and returns a value or an Error; a broker that
// restarts is reconnected to by ZeroMQ underneath.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pylabhub/core/result.hpp"
#include "pylabhub/messagehub/curve.hpp"
#include "pylabhub/messagehub/registry.hpp"

namespace pylabhub::messagehub {

/// ipc://<runtime dir>/pylabhub/broker.ipc: one broker per user and machine.
std::string default_endpoint();

/// Whether `endpoint` may be used as given: the default endpoint's directory
/// must be this user's alone (created 0700 when missing), since in /tmp
/// (no XDG_RUNTIME_DIR) another user could otherwise serve a broker there.
/// Any other endpoint is the user's explicit choice and passes.
Result<void> check_endpoint(const std::string& endpoint);

/// A client of a MessageHub broker: register, discover and list channels (docs/protocol.md). One request at a time.
class Client {
public:
    /// Connects lazily: the first request says whether a broker answers.
    /// With `curve`, the connection is authenticated and encrypted; a broker
    /// that requires CurveZMQ does not answer clients without the right keys.
    explicit Client(std::string endpoint, std::chrono::milliseconds timeout = std::chrono::milliseconds(2000),
                    std::optional<CurveClientKeys> curve = std::nullopt);
    /// Moves; the moved-from object is left empty.
    Client(Client&&) noexcept;
    /// Move assignment; the moved-from object is left empty.
    Client& operator=(Client&&) noexcept;
    ~Client();

    /// Registers `record`'s channel; on success `record.token` holds the
    /// broker's proof of ownership (heartbeat and deregister need it). A
    /// record that already carries the token re-registers its live channel.
    [[nodiscard]] Result<void> register_producer(ChannelRecord& record);
    /// The channel's record; with `expected_schema_hash`, a mismatch is an
    /// error naming both hashes and schema names, before anything attaches.
    [[nodiscard]] Result<ChannelRecord> discover(const std::string& channel,
                                                 const std::optional<std::string>& expected_schema_hash = std::nullopt,
                                                 const std::string& expected_schema_name = "");
    /// Removes a channel this client registered (`token` from register_channel).
    [[nodiscard]] Result<void> deregister(const std::string& channel, const std::string& token);
    /// Tells the broker a consumer reads `channel` (shown by `pylabhub channels`).
    [[nodiscard]] Result<void> register_consumer(const std::string& channel, const ConsumerRecord& consumer);
    /// Removes a consumer registration.
    [[nodiscard]] Result<void> deregister_consumer(const std::string& channel, const ConsumerRecord& consumer);
    /// Keeps a registration alive (the broker drops silent ones).
    [[nodiscard]] Result<void> heartbeat(const std::string& channel, const std::string& token);
    /// Every channel registered.
    [[nodiscard]] Result<std::vector<ChannelRecord>> list();
    /// Says `record.channel` can be reached at `record.endpoint`; repeat it
    /// as the heartbeat. Refused while another live process advertises it.
    [[nodiscard]] Result<void> register_endpoint(const EndpointRecord& record);
    /// Where `channel` is advertised; not_found when nobody advertises it.
    [[nodiscard]] Result<EndpointRecord> discover_endpoint(const std::string& channel);
    /// Removes an advertised endpoint.
    [[nodiscard]] Result<void> deregister_endpoint(const EndpointRecord& record);
    /// Every advertised endpoint (`pylabhub channels`).
    [[nodiscard]] Result<std::vector<EndpointRecord>> list_endpoints();
    /// Any request as JSON text (tools and tests).
    [[nodiscard]] Result<std::string> request(const std::string& json);

    /// The broker's endpoint.
    const std::string& endpoint() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Runs a broker on `endpoint` until `should_stop` returns true (checked
/// every 100 ms). Logs each registration. An error if it cannot bind. With
/// `curve_secret` (the broker's secret key) only clients that know the
/// broker's public key are served; with `allowed_clients` too (Z85 public
/// keys), only those clients: CurveZMQ alone encrypts, the allow-list
/// decides who may talk to the broker at all (ZAP).
Result<void> run_broker(const std::string& endpoint, RegistryOptions options, const std::function<bool()>& should_stop,
                        const std::optional<std::string>& curve_secret = std::nullopt,
                        const std::vector<std::string>& allowed_clients = {});

}  // namespace pylabhub::messagehub
