#include "receiver.hpp"

#include <cstring>

namespace plh_zmq {
namespace {

using Received = pylabhub::sdk::Transport::Received;

constexpr std::uint64_t kHelloInterval = 1'000'000'000ULL;

}  // namespace

Receiver::Receiver(const pylabhub::sdk::Host& host, Settings settings)
    : host_(host), settings_(std::move(settings)), who_("transport '" + host.instance_id() + "'") {
    server_key_ = settings_.curve_server;
}

Receiver::~Receiver() = default;

bool Receiver::open(std::chrono::nanoseconds timeout) {
    if (socket_) return true;
    std::string endpoint = settings_.connect.empty() ? settings_.bind : settings_.connect;
    if (!settings_.remote.empty()) {
        auto found = host_.discover(settings_.remote, timeout);
        if (!found) return false;  // nobody advertises it yet
        endpoint = found->endpoint;
        if (server_key_.empty()) server_key_ = found->curve_public_key;
        host_.info(who_ + ": channel '" + settings_.remote + "' is advertised at " + endpoint +
                   (found->curve_public_key.empty() ? "" : " (CurveZMQ)"));
    }
    zmq::socket_t socket(context_, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::rcvhwm, 0);  // the sender's credit bounds what arrives
    socket.set(zmq::sockopt::heartbeat_ivl, 1000);
    socket.set(zmq::sockopt::heartbeat_timeout, 3000);
    socket.set(zmq::sockopt::reconnect_ivl, 100);
    socket.set(zmq::sockopt::reconnect_ivl_max, 500);
    make_curve_client(socket, settings_, server_key_);
    watch_.emplace(context_, socket, host_.instance_id() + "-in");
    try {
        if (!settings_.bind.empty()) socket.bind(endpoint);
        else socket.connect(endpoint);
    } catch (const zmq::error_t& e) {
        throw pylabhub::sdk::PluginError(PLH_ERR_IO,
                                         (settings_.bind.empty() ? "cannot connect to " : "cannot bind ") + endpoint + ": " + e.what());
    }
    socket_.emplace(std::move(socket));
    peer_ = endpoint;
    opened_ns_ = now_ns();
    return true;
}

bool Receiver::send_frames(std::vector<zmq::message_t>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const auto flags = i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
        if (!socket_->send(frames[i], flags | zmq::send_flags::dontwait)) return false;  // no connection (yet): said again later
    }
    last_sent_ns_ = now_ns();
    return true;
}

void Receiver::say_hello() {
    Hello hello;
    hello.resume_from = next_expected_;
    hello.window_slots = settings_.window_slots;
    hello.window_bytes = settings_.window_bytes;
    hello.session = session_ = random_id();
    consumed_slots_ = consumed_bytes_ = credited_slots_ = 0;
    std::vector<zmq::message_t> frames;
    frames.push_back(header_frame(Type::hello));
    frames.push_back(frame_of(hello));
    send_frames(frames);
    last_hello_ns_ = now_ns();
}

void Receiver::credit(bool now) {
    const std::uint64_t owed = consumed_slots_ - credited_slots_;
    if (owed == 0 || (!now && owed < std::max<std::uint64_t>(1, settings_.window_slots / 4))) return;
    Credit c;
    c.session = session_;
    c.slots = consumed_slots_;
    c.bytes = consumed_bytes_;
    std::vector<zmq::message_t> frames;
    frames.push_back(header_frame(Type::credit));
    frames.push_back(frame_of(c));
    if (send_frames(frames)) credited_slots_ = consumed_slots_;  // cumulative: a lost one is made good by the next
}

void Receiver::take_stream(std::vector<zmq::message_t>& frames) {
    auto stream = frames.size() == 5 ? read_frame<Stream>(frames[1]) : std::nullopt;
    if (!stream) {
        counters_.add("malformed");
        return;
    }
    announced_ = stream;
    ended_ = false;
    clock_shift_ns_ = clock_shift(*stream);
    // A new stream's schema is told to the host once what came before is
    // delivered; the host checks it against the channel's.
    if (!current_ || current_->stream_id != stream->stream_id) {
        schema_name_ = frames[2].to_string();
        schema_version_ = frames[3].to_string();
        schema_blds_ = frames[4].to_string();
    }
}

void Receiver::take_data(std::vector<zmq::message_t>& frames) {
    auto batch = frames.size() >= 3 ? read_frame<Batch>(frames[1]) : std::nullopt;
    if (!batch || !announced_ || batch->stream_id != announced_->stream_id) {
        counters_.add(batch ? "stale" : "malformed");
        return;
    }
    // Checked whole before any of it is handed over: a malformed message
    // is dropped as one (the gap shows), never half delivered.
    std::vector<std::size_t> chunk_sizes;
    for (std::size_t f = 3; f < frames.size(); ++f) chunk_sizes.push_back(frames[f].size());
    auto views = parse_batch(static_cast<const std::byte*>(frames[2].data()), frames[2].size(), chunk_sizes, batch->slots);
    if (!views) return malformed();
    std::uint64_t bytes = 0;
    for (const auto& view : *views) bytes += view.meta.bytes;
    counters_.add("batches_received");
    counters_.add("slots_received", batch->slots);
    counters_.add("bytes_received", bytes);
    if (views->empty()) return;
    Arrived arrived;
    arrived.slots = std::move(views).value();
    for (std::size_t f = 2; f < frames.size(); ++f) arrived.frames.push_back(std::move(frames[f]));
    pending_.push_back(std::move(arrived));
}

void Receiver::malformed() {
    counters_.add("malformed");
    host_.warn(who_ + ": a DATA message from " + peer_ + " is malformed; dropped (the gap shows)");
}

void Receiver::handle(std::vector<zmq::message_t>& frames) {
    Header header;
    if (const std::string problem = header_problem(frames[0], header); !problem.empty()) {
        counters_.add("malformed");
        host_.warn(who_ + ": the peer " + peer_ + " sent " + problem);
        return;
    }
    last_heard_ns_ = now_ns();
    switch (static_cast<Type>(header.type)) {
    case Type::stream: take_stream(frames); break;
    case Type::data: take_data(frames); break;
    case Type::end:
        if (auto end = frames.size() == 2 ? read_frame<End>(frames[1]) : std::nullopt;
            end && announced_ && end->stream_id == announced_->stream_id) {
            ended_ = true;
        }
        break;
    case Type::refuse:
        host_.warn(who_ + ": the sender " + peer_ + " refused: " + (frames.size() > 1 ? frames[1].to_string() : std::string("?")));
        break;
    default: break;
    }
}

void Receiver::service(std::chrono::nanoseconds wait) {
    if (!socket_) return;
    const std::uint64_t now = now_ns();
    const bool silent = last_heard_ns_ == 0 || now - last_heard_ns_ > static_cast<std::uint64_t>(settings_.peer_timeout.count());
    if ((!announced_ || silent) && now - last_hello_ns_ > kHelloInterval) {
        if (announced_ && silent) {
            counters_.add("reconnects");
            host_.warn(who_ + ": nothing from " + peer_ + " for " + std::to_string(settings_.peer_timeout.count() / 1'000'000) +
                       " ms; asking to resume" +
                       (next_expected_ != kResumeAnywhere ? " at sequence " + std::to_string(next_expected_) : ""));
            announced_.reset();  // its STREAM answers the HELLO
        }
        say_hello();
    }
    if (!announced_ && now - opened_ns_ > 5'000'000'000ULL && now - last_silence_note_ns_ > 10'000'000'000ULL) {
        host_.warn(who_ + ": no sender answers at " + peer_ +
                   " (is it running there? the right port? a firewall? "
                   "CurveZMQ keys?)");
        last_silence_note_ns_ = now;
    }
    zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::duration_cast<std::chrono::milliseconds>(wait));
    for (int i = 0; i < 64; ++i) {
        std::vector<zmq::message_t> frames = pylabhub::messagehub::receive_frames(*socket_);
        if (frames.empty()) break;
        handle(frames);
    }
    watch_->poll(host_, who_);
    if (announced_ && now_ns() - last_sent_ns_ > kHelloInterval) credit(true);  // also our keep-alive
    if (announced_ && now_ns() - last_sent_ns_ > kHelloInterval) {
        std::vector<zmq::message_t> frames;
        frames.push_back(header_frame(Type::ping));
        send_frames(frames);
    }
}

const plh_stream_info* Receiver::stream(std::chrono::nanoseconds timeout) {
    if (!open(timeout)) return nullptr;
    if (!announced_) service(timeout);
    if (!announced_) return nullptr;
    current_ = announced_;
    info_ = plh_stream_info{sizeof(plh_stream_info), current_->sync_policy, schema_name_.c_str(),     schema_version_.c_str(),
                            schema_blds_.c_str(),    current_->slot_bytes,  current_->first_sequence, peer_.c_str()};
    return &info_;
}

Received Receiver::receive(std::span<std::byte> slot, plh_received_slot& got, std::chrono::nanoseconds timeout) {
    const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(timeout.count());
    for (;;) {
        while (!pending_.empty()) {
            Arrived& arrived = pending_.front();
            const SlotView view = arrived.slots[arrived.next];
            const SlotMeta& meta = view.meta;
            const std::byte* inline_bytes = static_cast<const std::byte*>(arrived.frames[0].data()) + view.inline_offset;
            const std::size_t first_chunk = view.first_chunk + 1;  // frames[0] is the packed frame
            const bool last = ++arrived.next == arrived.slots.size();
            ++consumed_slots_;  // credit covers what arrived, duplicates too
            consumed_bytes_ += meta.bytes;
            if (next_expected_ != kResumeAnywhere && meta.sequence < next_expected_ && announced_ && current_ &&
                announced_->stream_id == current_->stream_id) {
                counters_.add("duplicates_dropped");  // sent again after a reconnect, but it arrived the first time
                if (last) pending_.pop_front();
                credit(pending_.empty());
                continue;
            }
            if (meta.bytes > slot.size()) {
                throw pylabhub::sdk::PluginError(PLH_ERR_CORRUPT,
                                                 "slot " + std::to_string(meta.sequence) + " from " + peer_ + " is " +
                                                     std::to_string(meta.bytes) + " bytes, larger than the local channel's slots (" +
                                                     std::to_string(slot.size()) + ")");
            }
            if (meta.chunks == 0) {
                if (meta.bytes > 0) std::memcpy(slot.data(), inline_bytes, meta.bytes);
            } else {
                std::size_t offset = 0;
                for (std::size_t c = first_chunk; c < first_chunk + meta.chunks; ++c) {
                    std::memcpy(slot.data() + offset, arrived.frames[c].data(), arrived.frames[c].size());
                    offset += arrived.frames[c].size();
                }
            }
            if (last) pending_.pop_front();
            if (next_expected_ != kResumeAnywhere && meta.sequence > next_expected_) {
                counters_.add("gaps", meta.sequence - next_expected_);
            }
            got.sequence = meta.sequence;
            got.commit_ns = local_commit_ns(meta.commit_ns, clock_shift_ns_);
            got.bytes = static_cast<size_t>(meta.bytes);
            next_expected_ = meta.sequence + 1;
            credit(pending_.empty());
            return Received::slot;
        }
        if (announced_ && current_ && announced_->stream_id != current_->stream_id) {
            host_.info(who_ + ": the sender at " + peer_ + " restarted (a new stream)");
            next_expected_ = kResumeAnywhere;
            return Received::stream_changed;
        }
        if (ended_) return Received::end_of_stream;
        const std::uint64_t now = now_ns();
        if (now >= deadline) {
            counters_.publish(host_);
            return Received::nothing_yet;
        }
        service(std::chrono::nanoseconds(deadline - now));
    }
}

void Receiver::idle(std::chrono::nanoseconds timeout) {
    service(timeout);
    counters_.publish(host_);
}

void Receiver::flush() {
    credit(true);
    counters_.publish(host_);
}

}  // namespace plh_zmq
