// The sending half: the host hands it each committed slot. Slots are
// packed into batches; a batch is kept until the receiver credits all of
// it (so a receiver that reconnects gets it again: it drops what it has),
// and batches go out only while the receiver's window has room.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "link.hpp"
#include "pylabhub/plugin_abi.h"
#include "pylabhub/sdk/host.hpp"
#include "wire.hpp"

namespace plh_zmq {

class Sender {
public:
    Sender(const pylabhub::sdk::Host& host, Settings settings, const pylabhub::sdk::InputInfo& channel);
    ~Sender();

    /// True when taken (batched or, on a latest_only channel, dropped as a
    /// gap); false when the window stayed full for `timeout`.
    bool send(std::span<const std::byte> data, const plh_slot_info& info, std::chrono::nanoseconds timeout);
    /// Sends the open batch, answers the receiver, pings, notices silence.
    void idle(std::chrono::nanoseconds timeout);
    /// Sends what is left and END, and waits (drain_timeout) for the
    /// receiver to credit everything.
    void flush();

private:
    using Bytes = std::shared_ptr<std::vector<std::byte>>;
    struct Batch {
        std::uint64_t first_sequence = 0, last_sequence = 0;
        std::uint32_t slots = 0;
        std::uint64_t bytes = 0;
        Bytes packed;              ///< SlotMeta + inline bytes, per slot
        std::vector<Bytes> large;  ///< slots over kMaxInline, sent from here without a copy
    };

    void service(std::chrono::nanoseconds wait);
    void handle(std::vector<zmq::message_t>& frames);
    void on_hello(const std::string& peer, const Hello& hello);
    void lose_peer(const std::string& why);
    void refuse(const std::string& peer, const std::string& reason);
    bool window_full() const;
    void close_batch();
    /// A buffer from `spare_` (no new pages to fault in), or a new one.
    Bytes buffer();
    /// Keeps a credited batch's buffers that ZeroMQ no longer holds.
    void recycle(Batch& batch);
    void pop_front_batch();
    void pump();
    bool send_batch(const Batch& batch);
    bool send_to_peer(std::vector<zmq::message_t>& frames);
    void send_stream();
    void send_end();

    pylabhub::sdk::Host host_;
    Settings settings_;
    std::string who_;  ///< "transport 'uplink'" for messages
    pylabhub::sdk::InputInfo channel_;
    bool lossless_;
    zmq::context_t context_{1};
    std::optional<pylabhub::messagehub::CurveAllowList> allow_list_;
    zmq::socket_t socket_;
    std::optional<HandshakeWatch> watch_;
    std::string endpoint_;

    std::uint64_t stream_id_;
    std::string peer_;  ///< the receiver's routing id; "" while none
    std::uint64_t session_ = 0;
    std::uint64_t window_slots_ = 0, window_bytes_ = 0;
    std::uint64_t last_heard_ns_ = 0, last_sent_ns_ = 0, last_service_ns_ = 0;

    Batch open_;  ///< being filled
    std::uint64_t open_started_ns_ = 0;
    std::uint32_t sends_ = 0;
    std::deque<Batch> held_;                         ///< closed, not yet credited: sent or to send
    std::uint64_t held_slots_ = 0, held_bytes_ = 0;  ///< in held_ and open_
    std::size_t unsent_ = 0;                         ///< held_[unsent_..] are not sent to the current receiver yet
    std::uint64_t credited_ = 0;                     ///< the receiver's cumulative count at its last CREDIT
    std::uint64_t credit_left_ = 0;                  ///< of it, not yet matched to whole batches
    std::uint64_t next_sequence_ = 0;
    bool any_sent_ = false;
    bool ending_ = false;  ///< flush() began: END follows the data, again after a reconnect

    std::vector<Bytes> spare_;

    Counters counters_;
    bool warned_waiting_ = false;
};

}  // namespace plh_zmq
