// The receiving half: says HELLO with where it wants the stream to resume,
// hands the host one slot at a time straight into the local channel's
// slot, and returns credit as the slots are committed.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "link.hpp"
#include "pylabhub/plugin_abi.h"
#include "pylabhub/sdk/host.hpp"
#include "pylabhub/sdk/transport.hpp"
#include "wire.hpp"

namespace plh_zmq {

class Receiver {
public:
    Receiver(const pylabhub::sdk::Host& host, Settings settings);
    ~Receiver();

    const plh_stream_info* stream(std::chrono::nanoseconds timeout);
    pylabhub::sdk::Transport::Received receive(std::span<std::byte> slot, plh_received_slot& got, std::chrono::nanoseconds timeout);
    void idle(std::chrono::nanoseconds timeout);
    void flush();

private:
    /// A received DATA message, handed over one slot at a time.
    struct Arrived {
        std::vector<zmq::message_t> frames;  ///< [packed][chunk]...
        std::vector<SlotView> slots;         ///< checked whole by parse_batch
        std::size_t next = 0;                ///< the next slot to hand over
    };

    /// Finds the sender (connect, or `remote` through the broker) and opens the socket.
    bool open(std::chrono::nanoseconds timeout);
    void say_hello();
    /// Waits up to `wait` for messages and takes them in.
    void service(std::chrono::nanoseconds wait);
    void handle(std::vector<zmq::message_t>& frames);
    void take_stream(std::vector<zmq::message_t>& frames);
    void take_data(std::vector<zmq::message_t>& frames);
    void malformed();
    bool send_frames(std::vector<zmq::message_t>& frames);
    void credit(bool now);

    pylabhub::sdk::Host host_;
    Settings settings_;
    std::string who_;
    zmq::context_t context_{1};
    std::optional<zmq::socket_t> socket_;
    std::optional<HandshakeWatch> watch_;
    std::string peer_;        ///< the sender's endpoint, for people
    std::string server_key_;  ///< the sender's CurveZMQ public key, or ""

    std::optional<Stream> current_;    ///< the stream the host has been told of
    std::optional<Stream> announced_;  ///< the latest STREAM from the sender
    std::string schema_name_, schema_version_, schema_blds_;
    plh_stream_info info_{};
    std::deque<Arrived> pending_;
    std::uint64_t next_expected_ = kResumeAnywhere;
    std::uint64_t session_ = 0;
    std::uint64_t consumed_slots_ = 0, consumed_bytes_ = 0, credited_slots_ = 0;
    std::uint64_t opened_ns_ = 0, last_silence_note_ns_ = 0;
    std::uint64_t last_heard_ns_ = 0, last_hello_ns_ = 0, last_sent_ns_ = 0;
    bool ended_ = false;
    std::int64_t clock_shift_ns_ = 0;  ///< add to a sender's monotonic time to get ours
    Counters counters_;
};

}  // namespace plh_zmq
