// The subscribing half: takes wire messages from the subject (core NATS) or
// from a durable pull consumer (JetStream), puts parts of large messages
// back together, learns each stream's description (inline on core; looked
// up by id on JetStream, however late it joins) and hands the host one
// slot at a time straight into the local channel's slot. JetStream
// messages are acknowledged only after their slots are committed locally
// (the host's next call says so): a killed receiver is sent them again.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../common/envelope.hpp"
#include "../common/wire.hpp"
#include "connection.hpp"
#include "pylabhub/plugin_abi.h"
#include "pylabhub/sdk/transport.hpp"

namespace plh_nats {

class Subscriber {
public:
    Subscriber(const pylabhub::sdk::Host& host, Settings settings);
    ~Subscriber();

    const plh_stream_info* stream(std::chrono::nanoseconds timeout);
    pylabhub::sdk::Transport::Received receive(std::span<std::byte> slot, plh_received_slot& got, std::chrono::nanoseconds timeout);
    void idle(std::chrono::nanoseconds timeout);
    void flush();

private:
    struct Description {
        Stream stream;
        std::string name, version, blds;
    };
    /// One whole wire message, handed over one slot at a time.
    struct Arrived {
        std::vector<natsMsg*> msgs;     ///< acknowledged (JetStream) and freed when done
        std::vector<std::byte> joined;  ///< the parts put together, when there were parts
        std::uint64_t stream_id = 0;
        bool end = false;
        std::vector<SlotView> slots;
        const std::byte* packed = nullptr;
        std::size_t next = 0;
    };

    /// Where a consumer starts: policy, and sequence or time for the "by" ones.
    struct Position {
        jsDeliverPolicy policy = js_DeliverNew;
        std::uint64_t sequence = 0;
        std::int64_t utc_ns = 0;
    };

    bool open();
    Position configured_start() const;
    Position resume_position(const jsConsumerInfo& consumer) const;
    /// Deletes the durable consumer (it is made again from another
    /// position), retrying while the cluster cannot answer; false when the
    /// connection is down (the caller tries again once it is back).
    bool delete_durable();
    bool subscribe(const Position& position, bool bind);
    void start_over(const std::string& why);
    void fetch(std::chrono::nanoseconds wait);
    void take(natsMsg* msg);
    void take_whole(Arrived arrived, Frame payload, natsMsg* last);
    bool known(std::uint64_t stream_id);
    void done(Arrived& arrived);
    void acknowledge_done();
    void drop(natsMsg* msg);

    pylabhub::sdk::Host host_;
    Settings settings_;
    std::string who_;
    Connection connection_;
    jsCtx* js_ = nullptr;
    natsSubscription* sub_ = nullptr;
    std::uint64_t next_open_ns_ = 0;
    bool said_waiting_ = false;
    bool stream_was_missing_ = false;

    std::map<std::uint64_t, Description> known_;
    std::optional<std::uint64_t> latest_announced_;  ///< core: the last STREAM heard
    std::optional<std::uint64_t> current_;           ///< the stream the host has been told of
    plh_stream_info info_{};
    std::string peer_;

    std::optional<Arrived> joining_;  ///< parts so far of a large message
    std::uint32_t parts_expected_ = 0, parts_seen_ = 0;
    std::deque<Arrived> pending_;
    std::vector<natsMsg*> finished_;  ///< handed over; acknowledged at the host's next call
    std::uint64_t next_expected_ = kResumeAnywhere;
    std::int64_t clock_shift_ns_ = 0;
    std::uint64_t fetched_unacked_ = 0;
    std::int64_t dropped_seen_ = 0;
    std::uint64_t last_consumer_sequence_ = 0, missed_at_ = 0;
    bool restart_needed_ = false;
    Counters counters_;
};

}  // namespace plh_nats
