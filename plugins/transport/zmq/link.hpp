// What the sending and the receiving half of the zmq transport share: their
// settings, CurveZMQ set-up, handshake-failure reports, counters.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "../common/counters.hpp"
#include "../common/wire.hpp"
#include "pylabhub/messagehub/curve_zap.hpp"
#include "pylabhub/sdk/host.hpp"

namespace plh_zmq {

using namespace plh_transport;

struct Settings {
    std::string bind;                        ///< endpoint to bind, or ""
    std::string connect;                     ///< endpoint to connect to, or ""
    std::string remote;                      ///< inbound: the channel to look up at the broker
    std::string advertise;                   ///< outbound: endpoint to advertise ("" = the bound one)
    std::string curve_secret;                ///< this side's secret key (Z85), "" without Curve
    std::string curve_server;                ///< inbound: the sender's public key
    std::vector<std::string> curve_clients;  ///< outbound: receivers allowed (empty: any that knows our key)
    std::uint64_t window_slots = 1024;
    std::uint64_t window_bytes = 32ull << 20;
    std::uint64_t batch_bytes = 256ull << 10;
    std::chrono::nanoseconds peer_timeout = std::chrono::seconds(3);
    std::chrono::nanoseconds drain_timeout = std::chrono::seconds(5);
};

/// Reads and checks the settings; throws sdk::ConfigError naming the key.
Settings read_settings(const pylabhub::sdk::Host& host, bool outbound);

/// Reports handshake failures (a wrong or missing CurveZMQ key, another
/// protocol) and connections, from a ZeroMQ socket monitor.
class HandshakeWatch {
public:
    HandshakeWatch(zmq::context_t& context, zmq::socket_t& socket, const std::string& name);
    /// Reads pending events; logs failures through `host`. Returns true if
    /// a connection was (re)established since the last call.
    bool poll(const pylabhub::sdk::Host& host, const std::string& who);
    std::uint64_t failures() const { return failures_; }

private:
    zmq::socket_t monitor_;
    std::uint64_t failures_ = 0;
};

/// Curve server options on `socket` (the sender), and the allow-list when
/// clients are named (its ZAP socket must be polled: service()).
void make_curve_server(zmq::socket_t& socket, const Settings& settings);
/// Curve client options (the receiver), `server_key` being the sender's.
void make_curve_client(zmq::socket_t& socket, const Settings& settings, const std::string& server_key);

/// "tcp://0.0.0.0:5601" as others reach it: the host name for a wildcard address.
std::string reachable_endpoint(const std::string& bound);

}  // namespace plh_zmq
