#include "subscriber.hpp"

#include <algorithm>
#include <cstring>
#include <thread>

namespace plh_nats {

using pylabhub::sdk::PluginError;
using Received = pylabhub::sdk::Transport::Received;

namespace {

/// How long a receiver keeps asking a cluster that does not answer (each
/// JetStream request waits seconds itself) while it elects new leaders
/// after losing a node; a loaded machine has needed more than 10 s.
constexpr std::chrono::seconds kClusterPatience{60};

std::int64_t milliseconds(std::chrono::nanoseconds wait) { return std::max<std::int64_t>(1, wait.count() / 1'000'000); }

std::string text(Frame frame) { return std::string(reinterpret_cast<const char*>(frame.data()), frame.size()); }

}  // namespace

Subscriber::Subscriber(const pylabhub::sdk::Host& host, Settings settings)
    : host_(host), settings_(std::move(settings)), who_("transport '" + host.instance_id() + "'"), connection_(host, settings_, who_) {
    peer_ = "nats subject '" + settings_.subject + "' at " + connection_.server();
    if (settings_.mode == Mode::core) {
        if (const natsStatus s = natsConnection_SubscribeSync(&sub_, connection_.get(), settings_.subject.c_str()); s != NATS_OK) {
            throw PluginError(PLH_ERR_IO,
                              "cannot subscribe to '" + settings_.subject + "' at " + connection_.server() + ": " +
                                  describe(s, nats_GetLastError(nullptr)));
        }
        // Room for bursts; beyond it nats.c drops and reports a slow consumer.
        (void)natsSubscription_SetPendingLimits(sub_, 1 << 20, 256 << 20);
    } else {
        js_ = connection_.jetstream();
    }
}

Subscriber::~Subscriber() {
    for (auto& arrived : pending_) done(arrived);
    if (joining_) done(*joining_);
    for (natsMsg* msg : finished_) natsMsg_Destroy(msg);  // not acknowledged: JetStream sends them again
    if (sub_ != nullptr) natsSubscription_Destroy(sub_);  // not unsubscribed: the durable consumer stays
}

bool Subscriber::open() {
    if (sub_ != nullptr) return true;
    if (now_ns() < next_open_ns_) return false;
    next_open_ns_ = now_ns() + 500'000'000ULL;
    jsErrCode code = static_cast<jsErrCode>(0);
    jsStreamInfo* stream = nullptr;
    natsStatus status = js_GetStreamInfo(&stream, js_, settings_.stream.c_str(), nullptr, &code);
    if (status != NATS_OK) {
        if (code != JSStreamNotFoundErr && status != NATS_NOT_FOUND && status != NATS_TIMEOUT && status != NATS_CONNECTION_CLOSED &&
            connection_.connected()) {
            throw PluginError(PLH_ERR_IO,
                              "JetStream at " + connection_.server() + ": cannot look up stream '" + settings_.stream +
                                  "': " + describe(status, nats_GetLastError(nullptr)));
        }
        if (!said_waiting_) {
            host_.info(who_ + ": waiting for JetStream stream '" + settings_.stream + "' (its publisher makes it)");
            said_waiting_ = true;
        }
        stream_was_missing_ = true;  // then all it will hold is new to this receiver
        return false;
    }
    jsStreamInfo_Destroy(stream);
    jsConsumerInfo* consumer = nullptr;
    status = js_GetConsumerInfo(&consumer, js_, settings_.stream.c_str(), settings_.durable.c_str(), nullptr, &code);
    if (status != NATS_OK) return subscribe(configured_start(), false);
    if (consumer->NumAckPending == 0) {
        host_.info(who_ + ": resuming durable consumer '" + settings_.durable + "' of stream '" + settings_.stream + "' (" +
                   std::to_string(consumer->NumPending) + " messages waiting)");
        jsConsumerInfo_Destroy(consumer);
        return subscribe({}, true);  // its position wins over 'start'
    }
    // Messages it was sent but did not acknowledge would come again only
    // after ack_wait, behind newer ones; the sender's order matters here
    // (an id the channel has passed is a duplicate), so the consumer starts
    // again at its first unacknowledged message.
    const Position position = resume_position(*consumer);
    host_.info(who_ + ": durable consumer '" + settings_.durable + "' has " + std::to_string(consumer->NumAckPending) +
               " unacknowledged messages; it starts again from stream sequence " +
               (position.policy == js_DeliverByStartSequence ? std::to_string(position.sequence) : std::string("its first")) +
               " so they come first, in order");
    jsConsumerInfo_Destroy(consumer);
    if (!delete_durable()) return false;  // tried again once the server is back
    return subscribe(position, false);
}

bool Subscriber::delete_durable() {
    // Right after a node dies the cluster may refuse while it elects a new
    // leader for the consumer; subscribing over a durable still there would
    // fail on its old start position, so the delete is seen through.
    const auto give_up = std::chrono::steady_clock::now() + kClusterPatience;
    for (;;) {
        jsErrCode code = static_cast<jsErrCode>(0);
        const natsStatus status = js_DeleteConsumer(js_, settings_.stream.c_str(), settings_.durable.c_str(), nullptr, &code);
        if (status == NATS_OK || status == NATS_NOT_FOUND || code == JSConsumerNotFoundErr) return true;
        if (!connection_.connected()) return false;
        if (std::chrono::steady_clock::now() >= give_up) {
            throw PluginError(PLH_ERR_IO,
                              "JetStream at " + connection_.server() + ": cannot delete durable consumer '" + settings_.durable +
                                  "' of stream '" + settings_.stream +
                                  "' to restart it at its first unacknowledged message: " + describe(status, nats_GetLastError(nullptr)));
        }
        host_.info(who_ + ": JetStream at " + connection_.server() + " did not delete durable consumer '" + settings_.durable + "' (" +
                   describe(status, nats_GetLastError(nullptr)) + "); asking again");
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
}

Subscriber::Position Subscriber::configured_start() const {
    Position p;
    switch (settings_.start.from) {
    case Start::From::new_only: p.policy = stream_was_missing_ ? js_DeliverAll : js_DeliverNew; break;
    case Start::From::all:
    case Start::From::sequence: p.policy = js_DeliverAll; break;  // slots before N are skipped here
    case Start::From::time:
        p.policy = js_DeliverByStartTime;
        p.utc_ns = settings_.start.utc_ns;
        break;
    }
    return p;
}

Subscriber::Position Subscriber::resume_position(const jsConsumerInfo& consumer) const {
    Position p;
    if (consumer.AckFloor.Stream > 0) {
        p.policy = js_DeliverByStartSequence;
        p.sequence = consumer.AckFloor.Stream + 1;
        return p;
    }
    // Nothing acknowledged yet: where it began.
    p.policy = consumer.Config->DeliverPolicy;
    p.sequence = consumer.Config->OptStartSeq;
    p.utc_ns = consumer.Config->OptStartTime;
    if (p.policy == js_DeliverNew) {
        p.policy = js_DeliverByStartTime;
        p.utc_ns = consumer.Created;
    }
    return p;
}

bool Subscriber::subscribe(const Position& position, bool bind) {
    jsSubOptions options;
    jsSubOptions_Init(&options);
    options.Stream = settings_.stream.c_str();
    if (bind) {
        options.Consumer = settings_.durable.c_str();
    } else {
        auto& config = options.Config;
        config.DeliverPolicy = position.policy;
        config.OptStartSeq = position.sequence;
        config.OptStartTime = position.utc_ns;
        config.AckPolicy = js_AckExplicit;
        config.AckWait = settings_.ack_wait.count();
        config.MaxAckPending = static_cast<int64_t>(settings_.window);
        config.FilterSubject = settings_.subject.c_str();
        config.Durable = settings_.durable.c_str();
    }
    // A cluster that just lost a node answers API requests late or not at
    // all while it elects leaders: those two outcomes are retried a while.
    const auto give_up = std::chrono::steady_clock::now() + kClusterPatience;
    natsStatus status = NATS_OK;
    for (;;) {
        jsErrCode code = static_cast<jsErrCode>(0);
        status = js_PullSubscribe(&sub_, js_, settings_.subject.c_str(), settings_.durable.c_str(), nullptr, &options, &code);
        const bool transient = status == NATS_TIMEOUT || status == NATS_NO_RESPONDERS;
        if (!transient || !connection_.connected() || std::chrono::steady_clock::now() >= give_up) break;
        host_.info(who_ + ": JetStream at " + connection_.server() + " did not answer the subscription (" +
                   describe(status, nats_GetLastError(nullptr)) + "); asking again");
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    if (status != NATS_OK) {
        sub_ = nullptr;
        if (!connection_.connected()) return false;  // tried again once the server is back
        throw PluginError(PLH_ERR_IO,
                          "JetStream at " + connection_.server() + ": cannot consume stream '" + settings_.stream + "' as '" +
                              settings_.durable + "': " + describe(status, nats_GetLastError(nullptr)));
    }
    last_consumer_sequence_ = 0;
    host_.info(who_ + ": consuming JetStream stream '" + settings_.stream + "' as durable '" + settings_.durable + "'");
    return true;
}

void Subscriber::start_over(const std::string& why) {
    counters_.add("consumer_restarts");
    host_.warn(who_ + ": " + why + "; taking the stream again from the first unacknowledged message");
    acknowledge_done();
    (void)natsConnection_FlushTimeout(connection_.get(), 1000);  // the acknowledgements first
    for (auto& arrived : pending_) {
        for (natsMsg* msg : arrived.msgs) natsMsg_Destroy(msg);  // not acknowledged: sent again
    }
    pending_.clear();
    if (joining_) {
        for (natsMsg* msg : joining_->msgs) natsMsg_Destroy(msg);
        joining_.reset();
    }
    fetched_unacked_ = 0;
    natsSubscription_Destroy(sub_);
    sub_ = nullptr;
    next_open_ns_ = 0;
    restart_needed_ = false;
}

void Subscriber::fetch(std::chrono::nanoseconds wait) {
    connection_.report(host_, counters_);
    if (settings_.mode == Mode::core) {
        natsMsg* msg = nullptr;
        if (natsSubscription_NextMsg(&msg, sub_, milliseconds(wait)) != NATS_OK) return;
        take(msg);
        for (int i = 0; i < 256 && natsSubscription_NextMsg(&msg, sub_, 0) == NATS_OK; ++i) take(msg);
        int64_t dropped = 0;
        if (natsSubscription_GetDropped(sub_, &dropped) == NATS_OK && dropped > dropped_seen_) {
            counters_.add("dropped_by_client", static_cast<std::uint64_t>(dropped - dropped_seen_));
            dropped_seen_ = dropped;
        }
        return;
    }
    if (!open()) {
        std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(wait, std::chrono::milliseconds(50)));
        return;
    }
    if (fetched_unacked_ >= settings_.window) {  // the consumer would not send more anyway
        std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(wait, std::chrono::milliseconds(1)));
        return;
    }
    natsMsgList list{};
    jsErrCode code = static_cast<jsErrCode>(0);
    const int batch = static_cast<int>(std::min<std::uint64_t>(settings_.window - fetched_unacked_, 256));
    const natsStatus status = natsSubscription_Fetch(&list, sub_, batch, milliseconds(wait), &code);
    if (status != NATS_OK) {
        if (status != NATS_TIMEOUT) std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(wait, std::chrono::milliseconds(50)));
        return;
    }
    for (int i = 0; i < list.Count && !restart_needed_; ++i) {
        natsMsg* msg = list.Msgs[i];
        list.Msgs[i] = nullptr;
        ++fetched_unacked_;
        take(msg);
    }
    natsMsgList_Destroy(&list);  // after a missed delivery: the rest, unacknowledged, comes again
    if (restart_needed_)
        start_over("a delivery went missing (consumer sequence " + std::to_string(last_consumer_sequence_) + " then " +
                   std::to_string(missed_at_) + ")");
}

void Subscriber::drop(natsMsg* msg) {
    if (settings_.mode == Mode::jetstream) {
        (void)natsMsg_Ack(msg, nullptr);  // nothing in it to keep: never again
        --fetched_unacked_;
    }
    natsMsg_Destroy(msg);
}

void Subscriber::take(natsMsg* msg) {
    if (settings_.mode == Mode::jetstream) {
        jsMsgMetaData* meta = nullptr;
        if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
            if (meta->NumDelivered > 1) counters_.add("redeliveries");
            const std::uint64_t sequence = meta->Sequence.Consumer;
            jsMsgMetaData_Destroy(meta);
            // One consumer, one subscriber: its deliveries are numbered
            // without holes. A hole is a message lost on the way (a server
            // went down): it would come again after ack_wait, out of order.
            if (last_consumer_sequence_ != 0 && sequence != last_consumer_sequence_ + 1) {
                restart_needed_ = true;
                missed_at_ = sequence;
                natsMsg_Destroy(msg);
                return;
            }
            last_consumer_sequence_ = sequence;
        }
    }
    const char* part = nullptr;
    if (natsMsgHeader_Get(msg, "Plh-Part", &part) == NATS_OK && part != nullptr) {
        unsigned index = 0, count = 0;
        if (std::sscanf(part, "%u/%u", &index, &count) != 2 || index == 0 || index > count) {
            counters_.add("malformed");
            return drop(msg);
        }
        if (index == 1) {
            if (joining_) {
                counters_.add("incomplete");
                for (natsMsg* m : joining_->msgs) drop(m);
            }
            joining_ = Arrived{};
            parts_expected_ = count;
            parts_seen_ = 0;
        }
        if (!joining_ || index != parts_seen_ + 1 || count != parts_expected_) {
            counters_.add("incomplete");  // a part went missing (core NATS): the whole message is a gap
            if (joining_) {
                for (natsMsg* m : joining_->msgs) drop(m);
                joining_.reset();
            }
            return drop(msg);
        }
        const auto* data = reinterpret_cast<const std::byte*>(natsMsg_GetData(msg));
        joining_->joined.insert(joining_->joined.end(), data, data + natsMsg_GetDataLength(msg));
        joining_->msgs.push_back(msg);
        if (++parts_seen_ < parts_expected_) return;
        Arrived whole = std::move(*joining_);
        joining_.reset();
        const Frame payload(whole.joined);
        return take_whole(std::move(whole), payload, msg);
    }
    Arrived arrived;
    arrived.msgs.push_back(msg);
    const Frame payload(reinterpret_cast<const std::byte*>(natsMsg_GetData(msg)), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    take_whole(std::move(arrived), payload, msg);
}

void Subscriber::take_whole(Arrived arrived, Frame payload, natsMsg* last) {
    auto frames = open_envelope(payload);
    Header header;
    if (!frames || !header_problem((*frames)[0].data(), (*frames)[0].size(), header).empty()) {
        counters_.add("malformed");
        host_.warn(who_ + ": a message on '" + settings_.subject + "' is not a pyLabHub transport message; dropped");
        for (natsMsg* m : arrived.msgs) drop(m);
        return;
    }
    const auto& f = *frames;
    switch (static_cast<Type>(header.type)) {
    case Type::stream: {
        auto stream = f.size() == 5 ? read_struct<Stream>(f[1].data(), f[1].size()) : std::nullopt;
        if (stream) {
            known_[stream->stream_id] = Description{*stream, text(f[2]), text(f[3]), text(f[4])};
            latest_announced_ = stream->stream_id;
        }
        for (natsMsg* m : arrived.msgs) drop(m);
        return;
    }
    case Type::data: {
        auto batch = f.size() == 3 ? read_struct<plh_transport::Batch>(f[1].data(), f[1].size()) : std::nullopt;
        auto views = batch ? parse_batch(f[2].data(), f[2].size(), {}, batch->slots) : std::nullopt;
        if (!views) {
            counters_.add("malformed");
            for (natsMsg* m : arrived.msgs) drop(m);
            return;
        }
        if (!known(batch->stream_id)) {
            counters_.add("before_stream", views->size());  // core: its description comes within a second
            for (natsMsg* m : arrived.msgs) drop(m);
            return;
        }
        std::uint64_t bytes = 0;
        for (const auto& view : *views) bytes += view.meta.bytes;
        counters_.add("slots_received", views->size());
        counters_.add("bytes_received", bytes);
        arrived.stream_id = batch->stream_id;
        arrived.packed = f[2].data();
        arrived.slots = std::move(views).value();
        pending_.push_back(std::move(arrived));
        return;
    }
    case Type::end: {
        auto end = f.size() == 2 ? read_struct<End>(f[1].data(), f[1].size()) : std::nullopt;
        bool last_one = true;
        if (settings_.mode == Mode::jetstream) {
            // History replayed may hold the END of an earlier run: only the
            // stream's last message ends the transport.
            jsMsgMetaData* meta = nullptr;
            if (natsMsg_GetMetaData(&meta, last) == NATS_OK) {
                last_one = meta->NumPending == 0;
                jsMsgMetaData_Destroy(meta);
            }
        }
        if (!end || !last_one || !known(end->stream_id)) {
            for (natsMsg* m : arrived.msgs) drop(m);
            return;
        }
        arrived.stream_id = end->stream_id;
        arrived.end = true;
        pending_.push_back(std::move(arrived));
        return;
    }
    default:
        for (natsMsg* m : arrived.msgs) drop(m);
        return;
    }
}

bool Subscriber::known(std::uint64_t stream_id) {
    if (known_.count(stream_id) > 0) return true;
    if (settings_.mode == Mode::core) return false;
    // JetStream keeps each stream's description under its own subject.
    natsMsg* msg = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const std::string subject = description_subject(settings_.subject, stream_id);
    const natsStatus status = js_GetLastMsg(&msg, js_, settings_.stream.c_str(), subject.c_str(), nullptr, &code);
    if (status != NATS_OK) {
        host_.warn(who_ + ": no description of stream " + subject + " in JetStream stream '" + settings_.stream + "' (" +
                   describe(status, nats_GetLastError(nullptr)) + "); its slots are dropped");
        return false;
    }
    const Frame payload(reinterpret_cast<const std::byte*>(natsMsg_GetData(msg)), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    auto frames = open_envelope(payload);
    std::optional<Stream> stream;
    if (frames && frames->size() == 5) stream = read_struct<Stream>((*frames)[1].data(), (*frames)[1].size());
    if (stream && stream->stream_id == stream_id) {
        const auto& f = *frames;
        known_[stream_id] = Description{*stream, text(f[2]), text(f[3]), text(f[4])};
    }
    natsMsg_Destroy(msg);
    return known_.count(stream_id) > 0;
}

void Subscriber::done(Arrived& arrived) {
    for (natsMsg* msg : arrived.msgs) finished_.push_back(msg);
    arrived.msgs.clear();
}

void Subscriber::acknowledge_done() {
    for (natsMsg* msg : finished_) {
        if (settings_.mode == Mode::jetstream) {
            (void)natsMsg_Ack(msg, nullptr);  // lost with a server restart: sent again, dropped here as a duplicate
            --fetched_unacked_;
        }
        natsMsg_Destroy(msg);
    }
    finished_.clear();
}

const plh_stream_info* Subscriber::stream(std::chrono::nanoseconds timeout) {
    acknowledge_done();
    const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(timeout.count());
    for (;;) {
        std::optional<std::uint64_t> next = !pending_.empty() ? std::optional(pending_.front().stream_id) : latest_announced_;
        if (next && known_.count(*next) > 0) {
            const Description& d = known_[*next];
            current_ = *next;
            clock_shift_ns_ = clock_shift(d.stream);
            info_ = plh_stream_info{sizeof(plh_stream_info), d.stream.sync_policy, d.name.c_str(),  d.version.c_str(),
                                    d.blds.c_str(),          d.stream.slot_bytes,  kResumeAnywhere, peer_.c_str()};
            return &info_;
        }
        const std::uint64_t now = now_ns();
        if (now >= deadline) return nullptr;
        fetch(std::chrono::nanoseconds(deadline - now));
    }
}

Received Subscriber::receive(std::span<std::byte> slot, plh_received_slot& got, std::chrono::nanoseconds timeout) {
    acknowledge_done();  // what was handed over before this call is committed now
    const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(timeout.count());
    for (;;) {
        while (!pending_.empty()) {
            Arrived& arrived = pending_.front();
            if (!current_ || arrived.stream_id != *current_) {
                if (current_) host_.info(who_ + ": a new stream on '" + settings_.subject + "' (the publisher restarted)");
                next_expected_ = kResumeAnywhere;
                return Received::stream_changed;
            }
            if (arrived.end) {
                done(arrived);
                pending_.pop_front();
                counters_.publish(host_);
                return Received::end_of_stream;
            }
            const SlotView view = arrived.slots[arrived.next++];
            const SlotMeta& meta = view.meta;
            const bool before_start = settings_.start.from == Start::From::sequence && meta.sequence < settings_.start.sequence;
            const bool duplicate = next_expected_ != kResumeAnywhere && meta.sequence < next_expected_;  // sent again
            const bool skip = before_start || duplicate;
            if (skip) counters_.add(duplicate ? "duplicates_dropped" : "skipped_before_start");
            if (meta.bytes > slot.size() && !skip) {
                throw PluginError(PLH_ERR_CORRUPT,
                                  "slot " + std::to_string(meta.sequence) + " on '" + settings_.subject + "' is " +
                                      std::to_string(meta.bytes) + " bytes, larger than the local channel's slots (" +
                                      std::to_string(slot.size()) + ")");
            }
            if (!skip && meta.bytes > 0) std::memcpy(slot.data(), arrived.packed + view.inline_offset, meta.bytes);
            if (arrived.next == arrived.slots.size()) {
                done(arrived);
                pending_.pop_front();
            }
            if (skip) continue;
            if (next_expected_ != kResumeAnywhere && meta.sequence > next_expected_) counters_.add("gaps", meta.sequence - next_expected_);
            got.sequence = meta.sequence;
            got.commit_ns = local_commit_ns(meta.commit_ns, clock_shift_ns_);
            got.bytes = static_cast<size_t>(meta.bytes);
            next_expected_ = meta.sequence + 1;
            return Received::slot;
        }
        const std::uint64_t now = now_ns();
        if (now >= deadline) {
            counters_.publish(host_);
            return Received::nothing_yet;
        }
        acknowledge_done();  // dropped duplicates need no commit
        fetch(std::chrono::nanoseconds(deadline - now));
    }
}

void Subscriber::idle(std::chrono::nanoseconds timeout) {
    acknowledge_done();
    if (pending_.empty()) fetch(timeout);
    counters_.publish(host_);
}

void Subscriber::flush() {
    acknowledge_done();
    if (sub_ != nullptr && settings_.mode == Mode::jetstream) (void)natsConnection_FlushTimeout(connection_.get(), 1000);
    counters_.publish(host_);
}

}  // namespace plh_nats
