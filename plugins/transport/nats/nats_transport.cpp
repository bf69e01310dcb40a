// The `nats` transport plugin: a channel to any number of machines through
// a NATS server or cluster (nats.c): core NATS (at most once, live views)
// or JetStream (stored, lossless across restarts, replay for late joiners).
// docs/transports.md describes both and when to use which.
#include <memory>

#include "publisher.hpp"
#include "pylabhub/sdk/plugin.hpp"
#include "subscriber.hpp"

namespace {

using namespace pylabhub;

class NatsTransport : public sdk::Transport {
public:
    static constexpr sdk::PluginInfo info{"nats", "1.0.0", "a channel to many machines through NATS (core or JetStream)"};
    static constexpr plh_config_entry config[] = {
        sdk::required_string("url", "the NATS server, nats://HOST:4222 (a comma-separated list for a cluster)"),
        sdk::required_string("subject", "the subject the channel's slots travel on, e.g. lab1.ticks (no wildcards outbound)"),
        sdk::string("mode", "core", "core: at most once, for live views; jetstream: stored, lossless, replayable"),
        sdk::string("stream", "", "jetstream: the stream's name (default PLH_ and the subject, dots as _)"),
        sdk::string("durable", "", "inbound jetstream: the durable consumer (default HOSTNAME_TRANSPORTID); one per receiving pipeline"),
        sdk::string("start", "new", "inbound jetstream, a new durable: new, all, 'sequence N' or 'time T' (2026-11-30T16:00:00Z, -10m)"),
        sdk::duration("max_age", "24h", "jetstream, when the publisher creates the stream: how long messages are kept (0: no limit)"),
        sdk::size("max_bytes", "1GiB", "jetstream, when the publisher creates the stream: at most this much is kept (0: no limit)"),
        sdk::with_range(sdk::integer("replicas", "1", "jetstream, when the publisher creates the stream: copies in a cluster"), 1, 5),
        sdk::duration("ack_wait", "5s", "inbound jetstream: a message not acknowledged in this time is sent again"),
        sdk::with_range(sdk::integer("window", "256", "jetstream: messages in flight unconfirmed (out) or unacknowledged (in)"), 1, 65536),
        sdk::size("batch_bytes", "256KiB", "small slots sent under load go in messages of up to this many bytes"),
        sdk::duration("connect_timeout", "5s", "at start, how long to keep trying to reach a server before failing"),
        sdk::duration("drain_timeout", "5s", "outbound: at the end, how long to wait for JetStream to confirm"),
        sdk::string("user", "", "user name, with password_file"),
        sdk::string("password_file", "", "a file holding the password (never the password in YAML)"),
        sdk::string("token_file", "", "a file holding an authentication token"),
        sdk::string("nkey", "", "the NKey public key (U...), with nkey_seed_file"),
        sdk::string("nkey_seed_file", "", "a file holding the NKey seed"),
        sdk::string("credentials_file", "", "a NATS credentials file (JWT and NKey seed)"),
        sdk::boolean("tls", "false", "require TLS (tls:// urls and tls_ca imply it)"),
        sdk::string("tls_ca", "", "the CA certificate file the server's certificate is checked against"),
    };

    explicit NatsTransport(sdk::Host host) : Transport(host) {
        plh_nats::Settings settings = plh_nats::read_settings(host, outbound());
        if (outbound()) {
            const auto inputs = host.inputs();
            if (inputs.empty()) throw sdk::PluginError(PLH_ERR_INVALID, "an outbound transport needs its channel");
            publisher_ = std::make_unique<plh_nats::Publisher>(host, std::move(settings), inputs.front());
        } else {
            subscriber_ = std::make_unique<plh_nats::Subscriber>(host, std::move(settings));
        }
    }

    bool send(std::span<const std::byte> data, const plh_slot_info& slot, std::chrono::nanoseconds timeout) override {
        return publisher_->send(data, slot, timeout);
    }
    void idle(std::chrono::nanoseconds timeout) override {
        if (publisher_) publisher_->idle(timeout);
        else subscriber_->idle(timeout);
    }
    const plh_stream_info* stream(std::chrono::nanoseconds timeout) override { return subscriber_->stream(timeout); }
    Received receive(std::span<std::byte> slot, plh_received_slot& got, std::chrono::nanoseconds timeout) override {
        return subscriber_->receive(slot, got, timeout);
    }
    void flush() override {
        if (publisher_) publisher_->flush();
        else subscriber_->flush();
    }

private:
    std::unique_ptr<plh_nats::Publisher> publisher_;
    std::unique_ptr<plh_nats::Subscriber> subscriber_;
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(NatsTransport)
