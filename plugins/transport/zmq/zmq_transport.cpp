// The `zmq` transport plugin: a channel across machines over ZeroMQ
// (TCP, optionally CurveZMQ), lossless with credit-based flow control on
// lossless channels. docs/transports.md describes the model and the wire.
#include <memory>

#include "pylabhub/sdk/plugin.hpp"
#include "receiver.hpp"
#include "sender.hpp"

namespace {

using namespace pylabhub;

class ZmqTransport : public sdk::Transport {
public:
    static constexpr sdk::PluginInfo info{"zmq", "1.0.0", "a channel across machines over ZeroMQ (TCP, CurveZMQ), lossless with credit"};
    static constexpr plh_config_entry config[] = {
        sdk::string("bind", "", "endpoint to listen on, e.g. tcp://0.0.0.0:5601 (tcp://127.0.0.1:* picks a free port)"),
        sdk::string("connect", "", "endpoint of the other side, e.g. tcp://lab1:5601"),
        sdk::string("remote", "", "inbound: the channel to look up at the pipeline's broker instead of 'connect'"),
        sdk::string("advertise", "", "outbound: the endpoint to advertise (default: the bound one, 0.0.0.0 as this host's name)"),
        sdk::string("curve_secret", "", "this side's CurveZMQ secret key file (pylabhub keygen NAME -> NAME.key)"),
        sdk::string("curve_server", "", "inbound: the sender's public key file (not needed with 'remote')"),
        sdk::string_list("curve_clients", "outbound: public key files of the receivers let in (default: any that knows ours)"),
        sdk::integer("window_slots", "1024", "slots in flight before the sender waits for credit", 1, 1 << 20),
        sdk::size("window_bytes", "32MiB", "bytes in flight before the sender waits for credit (at least one slot)"),
        sdk::size("batch_bytes", "256KiB", "small slots sent under load go in messages of up to this many bytes"),
        sdk::duration("peer_timeout", "3s", "silence after which the other side counts as gone"),
        sdk::duration("drain_timeout", "5s", "outbound: at the end, how long to wait for the receiver to confirm"),
    };

    explicit ZmqTransport(sdk::Host host) : Transport(host) {
        plh_zmq::Settings settings = plh_zmq::read_settings(host, outbound());
        if (outbound()) {
            const auto inputs = host.inputs();
            if (inputs.empty()) throw sdk::PluginError(PLH_ERR_INVALID, "an outbound transport needs its channel");
            sender_ = std::make_unique<plh_zmq::Sender>(host, std::move(settings), inputs.front());
        } else {
            receiver_ = std::make_unique<plh_zmq::Receiver>(host, std::move(settings));
        }
    }

    bool send(std::span<const std::byte> data, const plh_slot_info& slot, std::chrono::nanoseconds timeout) override {
        return sender_->send(data, slot, timeout);
    }
    void idle(std::chrono::nanoseconds timeout) override {
        if (sender_) sender_->idle(timeout);
        else receiver_->idle(timeout);
    }
    const plh_stream_info* stream(std::chrono::nanoseconds timeout) override { return receiver_->stream(timeout); }
    Received receive(std::span<std::byte> slot, plh_received_slot& got, std::chrono::nanoseconds timeout) override {
        return receiver_->receive(slot, got, timeout);
    }
    void flush() override {
        if (sender_) sender_->flush();
        else receiver_->flush();
    }

private:
    std::unique_ptr<plh_zmq::Sender> sender_;
    std::unique_ptr<plh_zmq::Receiver> receiver_;
};

}  // namespace

PYLABHUB_PLUGIN_LIBRARY(ZmqTransport)
