// The broker's registry of channels, and its JSON protocol (docs/protocol.md),
// as a pure function of requests: no sockets, so every rule is testable.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pylabhub::messagehub {

/// Largest request the broker reads; bigger ones get an error reply.
inline constexpr std::size_t kMaxRequestBytes = 1 << 20;

struct ConsumerRecord {
    std::string id;  ///< the consumer's id in its pipeline
    std::uint64_t pid = 0;
    std::string host;
    std::uint64_t last_heartbeat_ms = 0;  ///< a host repeats CONSUMER_REG_REQ as its consumers' heartbeat
};

struct ChannelRecord {
    std::string channel;
    std::string shm_name;
    std::string secret_hex;  ///< the DataBlock's shared secret: a consumer needs it to attach
    std::string schema_name;
    std::string schema_version;
    std::string schema_hash;  ///< 64 hex digits, or "" without schema
    std::string schema_blds;
    std::uint64_t producer_pid = 0;
    std::string producer_host;
    std::uint64_t registered_ms = 0;  ///< wall clock, for people
    std::uint64_t last_heartbeat_ms = 0;
    std::vector<ConsumerRecord> consumers;  ///< registered with CONSUMER_REG_REQ
    /// Proof of ownership: the broker makes it at registration and gives it
    /// only to the registering client; heartbeats, deregistration and a
    /// re-registration of a live channel must carry it. Never listed.
    std::string token;
};

/// Where a channel can be reached over the network: an outbound transport
/// advertises it, an inbound one on another machine discovers it. Kept
/// apart from the channel's record, which may live at another broker.
struct EndpointRecord {
    std::string channel;
    std::string endpoint;          ///< "tcp://10.0.0.2:5601"
    std::string curve_public_key;  ///< Z85, or "" without CurveZMQ
    std::string transport;         ///< the advertising transport's id and plugin, for people
    std::uint64_t pid = 0;
    std::string host;
    std::uint64_t last_heartbeat_ms = 0;  ///< a host repeats ENDPOINT_REG_REQ as its heartbeat
};

struct RegistryOptions {
    std::uint64_t heartbeat_timeout_ms = 10'000;  ///< a producer silent this long is dropped
    std::string host;                             ///< this machine's name: pids are checked only for local producers
    /// Whether a local producer process is alive (injectable for tests).
    std::function<bool(std::uint64_t pid)> is_alive;
    std::function<std::uint64_t()> now_ms;
    /// Bounds on what clients can make the broker hold (with the per-field
    /// limits: names 256 bytes, a BLDS 64 KiB, a request 1 MiB).
    std::size_t max_channels = 4096;
    std::size_t max_consumers_per_channel = 1024;
};

class Registry {
public:
    explicit Registry(RegistryOptions options);

    /// One request (JSON text) in, one reply (JSON text) out. Never throws:
    /// malformed input gets {"status":"error","message":...}.
    /// Bounded: nesting deeper than 16 levels is refused unparsed, only a
    /// scalar "id" is echoed, and invalid UTF-8 in a reply is replaced.
    std::string handle(const std::string& request) noexcept;

    /// Drops channels whose local producer is dead or whose producer has
    /// been silent past the heartbeat timeout; returns what was dropped.
    /// The broker calls it every second.
    std::vector<std::string> expire();

    const std::map<std::string, ChannelRecord>& channels() const { return channels_; }
    const std::map<std::string, EndpointRecord>& endpoints() const { return endpoints_; }

private:
    std::string handle_request(const std::string& request);
    /// Why a registration of `pid` on `host`, last heard at `last_heartbeat_ms`,
    /// no longer counts at `now` ("" while it does): a local process that is
    /// dead, or silence past the heartbeat timeout. One rule for channels,
    /// consumers and endpoints.
    std::string lapse(const std::string& host, std::uint64_t pid, std::uint64_t last_heartbeat_ms, std::uint64_t now) const;
    /// Why `record`'s producer no longer counts ("" while it does).
    std::string gone(const ChannelRecord& record, std::uint64_t now) const;

    RegistryOptions options_;
    std::map<std::string, ChannelRecord> channels_;
    std::map<std::string, EndpointRecord> endpoints_;  ///< by channel
};

}  // namespace pylabhub::messagehub
