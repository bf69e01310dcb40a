// What the publishing and the subscribing half of the nats transport share:
// settings, one connection to a NATS server or cluster (nats.c) with its
// events counted for the transport thread, and JetStream set-up.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <cstdint>
#include <string>
#include <vector>

#include <nats/nats.h>

#include "../common/counters.hpp"
#include "../common/wire.hpp"
#include "pylabhub/sdk/host.hpp"

namespace plh_nats {

using namespace plh_transport;

enum class Mode { core, jetstream };

/// Where an inbound JetStream transport starts when its durable consumer is new.
struct Start {
    enum class From { new_only, all, sequence, time } from = From::new_only;
    std::uint64_t sequence = 0;  ///< From::sequence: the first producer sequence kept
    std::int64_t utc_ns = 0;     ///< From::time
};

struct Settings {
    std::vector<std::string> urls;
    std::string subject;
    Mode mode = Mode::core;
    std::string stream;   ///< JetStream stream name
    std::string durable;  ///< inbound JetStream: the durable consumer
    Start start;
    std::chrono::nanoseconds max_age{0};
    std::uint64_t max_bytes = 0;
    int replicas = 1;
    std::chrono::nanoseconds ack_wait = std::chrono::seconds(5);
    std::uint64_t window = 256;  ///< messages in flight (JetStream) / pending acks
    std::uint64_t batch_bytes = 256 << 10;
    std::chrono::nanoseconds connect_timeout = std::chrono::seconds(5);
    std::chrono::nanoseconds drain_timeout = std::chrono::seconds(5);
    // credentials: names of files, read by nats.c or here, never the secret in YAML
    std::string user, password, token, nkey_seed_file, credentials_file, tls_ca;
    bool tls = false;
};

Settings read_settings(const pylabhub::sdk::Host& host, bool outbound);

/// "S.stream.<id>": where a JetStream sender stores its stream's description.
std::string description_subject(const std::string& subject, std::uint64_t stream_id);
/// The id a wire message has for JetStream de-duplication.
std::string message_id(std::uint64_t stream_id, std::uint64_t first_sequence, std::uint32_t part);

/// One connection; reconnects by itself (nats.c), forever, with backoff.
class Connection {
public:
    /// Connects within connect_timeout, or throws a PluginError naming the
    /// servers and what they said (a refused login is not retried).
    Connection(const pylabhub::sdk::Host& host, const Settings& settings, const std::string& who);
    ~Connection();
    /// Flushes and closes now (the destructor does it otherwise); no
    /// callback runs after it returns.
    void close();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    natsConnection* get() const { return nc_; }
    bool connected() const { return natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED; }
    /// The largest message the server takes (its max_payload).
    std::size_t max_payload() const;
    std::string server() const;
    /// Reports what happened on nats.c's threads since the last call
    /// (disconnects, reconnects, slow-consumer events) as log lines and counters.
    void report(const pylabhub::sdk::Host& host, Counters& counters);

    /// JetStream: the context, made on first use.
    jsCtx* jetstream(const jsOptions* options = nullptr);

private:
    static void on_disconnected(natsConnection*, void* self);
    static void on_reconnected(natsConnection*, void* self);
    static void on_error(natsConnection*, natsSubscription*, natsStatus, void* self);
    static void on_closed(natsConnection*, void* self);

    natsConnection* nc_ = nullptr;
    jsCtx* js_ = nullptr;
    std::string who_;
    std::atomic<std::uint64_t> disconnects_{0}, reconnects_{0}, slow_consumer_{0}, errors_{0};
    std::uint64_t reported_disconnects_ = 0, reported_reconnects_ = 0, reported_slow_ = 0;
    // nats.c calls back from its own thread, after Close() returns; the
    // closed callback comes last, and close() waits for it.
    std::mutex closed_mutex_;
    std::condition_variable closed_signal_;
    bool closed_ = false;
};

/// "nats: <text> (status)" for an error message.
std::string describe(natsStatus status, const char* what = nullptr);

}  // namespace plh_nats
