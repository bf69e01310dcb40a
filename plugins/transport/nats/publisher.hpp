// The publishing half: committed slots, batched under load, go out as wire
// DATA messages (../common/wire.hpp, sealed by ../common/envelope.hpp) on
// the subject; a message larger than the server's max_payload goes in
// parts. Core NATS: published and forgotten (a failure is a gap).
// JetStream: each message carries a de-duplication id and the id of the
// one before it (so the stream keeps the sender's order); messages are
// held until the server confirms them and sent again, in order, when it
// did not, holding the channel back while the window is full.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "connection.hpp"
#include "pylabhub/plugin_abi.h"
#include "pylabhub/sdk/host.hpp"

namespace plh_nats {

class Publisher {
public:
    Publisher(const pylabhub::sdk::Host& host, Settings settings, const pylabhub::sdk::InputInfo& channel);
    ~Publisher();

    bool send(std::span<const std::byte> data, const plh_slot_info& info, std::chrono::nanoseconds timeout);
    void idle(std::chrono::nanoseconds timeout);
    void flush();

private:
    using Buffer = std::shared_ptr<std::vector<std::byte>>;
    struct Message {
        std::string id;    ///< JetStream de-duplication id
        std::string part;  ///< "i/n" for a part of a large message, else ""
        Buffer buffer;     ///< the sealed wire message, shared by its parts
        std::size_t offset = 0, size = 0;
        std::uint32_t slots = 0;  ///< the slots it completes (on its last part)
        std::uint64_t bytes = 0;
    };

    void create_stream();
    void announce();
    void close_batch();
    void publish_pending();
    void pop_front();
    bool publish(Message& message, const std::string& previous_id);
    /// JetStream: waits up to `wait` for the server to confirm what is
    /// published; true when some was confirmed (or nothing was waiting).
    bool confirm(std::chrono::nanoseconds wait);
    void start_over(const std::string& why);
    bool window_full() const;
    /// Link events, core-mode announcements, and the counters (now, or at most every 100 ms).
    void housekeeping(std::uint64_t now, bool publish_counters);
    static void on_publish_ack(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* self);

    pylabhub::sdk::Host host_;
    Settings settings_;
    std::string who_;
    pylabhub::sdk::InputInfo channel_;
    Connection connection_;
    jsCtx* js_ = nullptr;
    std::size_t part_bytes_ = 0;
    std::uint64_t stream_id_;

    std::vector<std::byte> packed_;  ///< the open batch: room for the envelope's head, then SlotMeta + bytes per slot
    std::vector<Buffer> spare_;      ///< sealed buffers nobody holds any more: no new pages to fault in
    std::uint32_t open_slots_ = 0;
    std::uint64_t open_bytes_ = 0, open_first_ = 0, open_started_ns_ = 0;
    std::uint64_t next_sequence_ = 0;
    std::uint32_t sends_ = 0;

    std::deque<Message> queue_;  ///< closed messages; JetStream: until confirmed
    std::size_t published_ = 0;  ///< queue_[0, published_) are with nats.c awaiting confirmation
    std::uint64_t queued_bytes_ = 0;
    std::string last_confirmed_id_;  ///< the last message the stream holds from us
    std::uint64_t retry_at_ns_ = 0, last_announce_ns_ = 0, last_warning_ns_ = 0, last_published_ns_ = 0;

    std::atomic<bool> failed_{false};
    std::mutex failure_mutex_;
    std::string failure_;                            ///< the server's or library's word on the last failure
    std::unordered_set<std::string> confirmed_ids_;  ///< stored, by id (nats.c's threads fill it)
    std::atomic<std::uint64_t> duplicates_{0};

    Counters counters_;
};

}  // namespace plh_nats
