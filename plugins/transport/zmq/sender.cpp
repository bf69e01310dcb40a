#include "sender.hpp"

namespace plh_zmq {
namespace {

/// A frame sent straight from a held buffer (no copy); the buffer lives
/// until ZeroMQ has sent it, even if the batch is credited first.
zmq::message_t shared_frame(const std::shared_ptr<std::vector<std::byte>>& bytes, std::size_t offset, std::size_t size) {
    if (size <= 256) return zmq::message_t(bytes->data() + offset, size);  // ZeroMQ keeps it inline anyway
    auto* keep = new std::shared_ptr<std::vector<std::byte>>(bytes);
    return zmq::message_t(
        bytes->data() + offset, size, [](void*, void* hint) { delete static_cast<std::shared_ptr<std::vector<std::byte>>*>(hint); }, keep);
}

constexpr std::uint64_t kPingInterval = 1'000'000'000ULL;
constexpr std::uint64_t kMaxBatchDelay = 200'000;  // 200 us

}  // namespace

Sender::Sender(const pylabhub::sdk::Host& host, Settings settings, const pylabhub::sdk::InputInfo& channel)
    : host_(host),
      settings_(std::move(settings)),
      who_("transport '" + host.instance_id() + "'"),
      channel_(channel),
      lossless_(channel.sync_policy != 1 && channel.read_lossless),
      socket_(context_, zmq::socket_type::router),
      stream_id_(random_id()) {
    // Before the socket is used, so no receiver is let in before the list is in force.
    if (!settings_.curve_clients.empty()) {
        allow_list_.emplace(context_, settings_.curve_clients, [this](const std::string& key, const std::string& address) {
            host_.warn(who_ + ": refused receiver " + address + " with CurveZMQ key " + key + ": not in curve_clients");
        });
    }
    socket_.set(zmq::sockopt::linger, 1000);
    socket_.set(zmq::sockopt::router_mandatory, 1);  // a vanished receiver is an error here, not a silent drop
    socket_.set(zmq::sockopt::sndhwm, 0);            // credit bounds what is queued
    socket_.set(zmq::sockopt::heartbeat_ivl, 1000);
    socket_.set(zmq::sockopt::heartbeat_timeout, 3000);
    make_curve_server(socket_, settings_);
    watch_.emplace(context_, socket_, host.instance_id() + "-out");
    try {
        if (!settings_.bind.empty()) {
            socket_.bind(settings_.bind);
            endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
        } else {
            socket_.connect(settings_.connect);
            endpoint_ = settings_.connect;
        }
    } catch (const zmq::error_t& e) {
        throw pylabhub::sdk::PluginError(
            PLH_ERR_IO,
            (settings_.bind.empty() ? "cannot connect to " + settings_.connect : "cannot bind " + settings_.bind) + ": " + e.what());
    }
    if (!settings_.bind.empty()) {
        const std::string reachable = settings_.advertise.empty() ? reachable_endpoint(endpoint_) : settings_.advertise;
        char public_key[41] = {};
        if (!settings_.curve_secret.empty()) zmq_curve_public(public_key, settings_.curve_secret.c_str());
        try {
            host_.advertise(reachable, public_key);
        } catch (const pylabhub::sdk::PluginError& e) {
            // The stream works without the broker; only lookups by name do not.
            host_.warn(who_ + ": receivers cannot find channel '" + channel_.channel + "' by name: " + e.what());
        }
        host_.info(who_ + ": channel '" + channel_.channel + "' served on " + endpoint_ +
                   (reachable != endpoint_ ? " (" + reachable + ")" : "") + (settings_.curve_secret.empty() ? "" : ", CurveZMQ"));
    }
}

Sender::~Sender() = default;

bool Sender::window_full() const {
    if (held_slots_ == 0) return false;
    const std::uint64_t slots = window_slots_ != 0 ? std::min(window_slots_, settings_.window_slots) : settings_.window_slots;
    const std::uint64_t bytes = window_bytes_ != 0 ? std::min(window_bytes_, settings_.window_bytes) : settings_.window_bytes;
    return held_slots_ >= slots || held_bytes_ >= bytes;
}

bool Sender::send(std::span<const std::byte> data, const plh_slot_info& info, std::chrono::nanoseconds timeout) {
    // The clock is read every 32 slots and the socket looked at every
    // millisecond, not for every slot (both cost more than a small slot).
    const bool look = (++sends_ & 31U) == 0;
    const std::uint64_t now = look ? now_ns() : 0;
    if (look && now - last_service_ns_ > 1'000'000) service(std::chrono::nanoseconds(0));
    if (window_full()) {
        if (!lossless_) {
            counters_.add("dropped");  // latest_only: the receiver sees the gap in the sequence ids
            return true;
        }
        const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(timeout.count());
        close_batch();
        pump();
        while (window_full()) {
            const std::uint64_t at = now_ns();
            if (at >= deadline) {
                counters_.add("credit_stalls");
                if (peer_.empty() && !warned_waiting_) {
                    host_.info(who_ + ": no receiver on " + endpoint_ + "; holding channel '" + channel_.channel + "' back");
                    warned_waiting_ = true;
                }
                counters_.publish(host_);
                return false;
            }
            service(std::chrono::nanoseconds(std::min<std::uint64_t>(deadline - at, 10'000'000)));
        }
    }
    if (open_.slots == 0) {
        open_.packed = buffer();
        open_.packed->reserve(std::min<std::uint64_t>(settings_.batch_bytes, 1 << 20) + 4096);
        open_.first_sequence = info.sequence;
        open_started_ns_ = look ? now : now_ns();
    }
    SlotMeta meta;
    meta.sequence = info.sequence;
    meta.commit_ns = info.commit_ns;
    meta.bytes = data.size();
    const bool inline_bytes = data.size() <= kMaxInline;
    meta.chunks = inline_bytes ? 0 : static_cast<std::uint32_t>((data.size() + kMaxChunk - 1) / kMaxChunk);
    auto& packed = *open_.packed;
    const std::size_t at = packed.size();
    packed.resize(at + sizeof meta + (inline_bytes ? data.size() : 0));
    std::memcpy(packed.data() + at, &meta, sizeof meta);
    if (inline_bytes) {
        if (!data.empty()) std::memcpy(packed.data() + at + sizeof meta, data.data(), data.size());
    } else {
        Bytes copy = buffer();
        copy->assign(data.begin(), data.end());
        open_.large.push_back(std::move(copy));
    }
    open_.last_sequence = info.sequence;
    ++open_.slots;
    open_.bytes += data.size();
    ++held_slots_;
    held_bytes_ += data.size();
    next_sequence_ = info.sequence + 1;
    any_sent_ = true;
    // A batch waits for more only while more can come: not once it is big
    // enough or the window is full, and not longer than kMaxBatchDelay.
    if (open_.bytes >= settings_.batch_bytes || open_.slots >= 4096 || window_full() || (look && now - open_started_ns_ > kMaxBatchDelay)) {
        close_batch();
        pump();
    }
    return true;
}

Sender::Bytes Sender::buffer() {
    if (spare_.empty()) return std::make_shared<std::vector<std::byte>>();
    Bytes reused = std::move(spare_.back());
    spare_.pop_back();
    reused->clear();
    return reused;
}

void Sender::recycle(Batch& batch) {
    constexpr std::size_t kMaxSpare = 16;
    auto keep = [&](Bytes& bytes) {
        if (bytes && bytes.use_count() == 1 && spare_.size() < kMaxSpare) spare_.push_back(std::move(bytes));
    };
    keep(batch.packed);
    for (auto& large : batch.large) keep(large);
}

void Sender::pop_front_batch() {
    held_slots_ -= held_.front().slots;
    held_bytes_ -= held_.front().bytes;
    recycle(held_.front());
    held_.pop_front();
}

void Sender::close_batch() {
    if (open_.slots == 0) return;
    held_.push_back(std::move(open_));
    open_ = Batch{};
}

void Sender::pump() {
    while (!peer_.empty() && unsent_ < held_.size()) {
        if (!send_batch(held_[unsent_])) return;
        ++unsent_;
    }
}

bool Sender::send_batch(const Batch& batch) {
    std::vector<zmq::message_t> frames;
    frames.reserve(3 + batch.large.size() * 2);
    frames.push_back(header_frame(Type::data));
    plh_transport::Batch header;
    header.stream_id = stream_id_;
    header.slots = batch.slots;
    frames.push_back(frame_of(header));
    frames.push_back(shared_frame(batch.packed, 0, batch.packed->size()));
    for (const auto& slot : batch.large) {
        for (std::size_t offset = 0; offset < slot->size(); offset += kMaxChunk) {
            frames.push_back(shared_frame(slot, offset, std::min(kMaxChunk, slot->size() - offset)));
        }
    }
    if (!send_to_peer(frames)) return false;
    counters_.add("batches_sent");
    counters_.add("slots_sent", batch.slots);
    counters_.add("bytes_sent", batch.bytes);
    return true;
}

bool Sender::send_to_peer(std::vector<zmq::message_t>& frames) {
    if (peer_.empty()) return false;
    try {
        socket_.send(zmq::buffer(peer_), zmq::send_flags::sndmore);
        for (std::size_t i = 0; i < frames.size(); ++i) {
            socket_.send(frames[i], i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
        }
        last_sent_ns_ = now_ns();
        return true;
    } catch (const zmq::error_t& e) {
        lose_peer(std::string("it is gone (") + e.what() + ")");
        return false;
    }
}

void Sender::lose_peer(const std::string& why) {
    if (peer_.empty()) return;
    host_.warn(who_ + ": lost the receiver: " + why + "; holding " + std::to_string(held_slots_) + " slots for it or the next one");
    peer_.clear();
    unsent_ = 0;  // everything held goes again, to whoever says HELLO next
}

void Sender::send_stream() {
    Stream s;
    s.stream_id = stream_id_;
    s.first_sequence = !held_.empty() ? held_.front().first_sequence
        : open_.slots > 0             ? open_.first_sequence
        : any_sent_                   ? next_sequence_
                                      : kResumeAnywhere;
    s.slot_bytes = channel_.slot_bytes;
    s.sync_policy = channel_.sync_policy;
    std::vector<zmq::message_t> frames;
    frames.push_back(header_frame(Type::stream));
    frames.push_back(frame_of(stamped(s)));
    frames.emplace_back(channel_.schema_name.data(), channel_.schema_name.size());
    frames.emplace_back(channel_.schema_version.data(), channel_.schema_version.size());
    frames.emplace_back(channel_.schema_blds.data(), channel_.schema_blds.size());
    send_to_peer(frames);
}

void Sender::send_end() {
    End end;
    end.stream_id = stream_id_;
    end.next_sequence = next_sequence_;
    std::vector<zmq::message_t> frames;
    frames.push_back(header_frame(Type::end));
    frames.push_back(frame_of(end));
    send_to_peer(frames);
}

void Sender::on_hello(const std::string& peer, const Hello& hello) {
    const bool other = !peer_.empty() && peer != peer_;
    if (other && now_ns() - last_heard_ns_ < static_cast<std::uint64_t>(settings_.peer_timeout.count())) {
        refuse(peer, "channel '" + channel_.channel + "' is streamed to another receiver already");
        return;
    }
    if (!peer_.empty()) counters_.add("reconnects");
    const bool resumed = hello.resume_from != kResumeAnywhere;
    close_batch();
    // Batches the receiver has whole are dropped; the rest go again (it
    // drops the slots of a batch it has already).
    while (resumed && !held_.empty() && held_.front().last_sequence < hello.resume_from) pop_front_batch();
    peer_ = peer;
    session_ = hello.session;
    window_slots_ = hello.window_slots;
    window_bytes_ = hello.window_bytes;
    credited_ = 0;
    credit_left_ = 0;
    unsent_ = 0;
    warned_waiting_ = false;
    host_.info(who_ + ": receiver connected" + (resumed ? ", resuming at sequence " + std::to_string(hello.resume_from) : std::string()) +
               "; " + std::to_string(held_slots_) + " held slots go first");
    send_stream();
    pump();
    if (ending_) send_end();
}

void Sender::refuse(const std::string& peer, const std::string& reason) {
    counters_.add("refused");
    try {
        socket_.send(zmq::buffer(peer), zmq::send_flags::sndmore);
        socket_.send(header_frame(Type::refuse), zmq::send_flags::sndmore);
        socket_.send(zmq::buffer(reason), zmq::send_flags::none);
    } catch (const zmq::error_t&) {
        // it left already
    }
}

void Sender::handle(std::vector<zmq::message_t>& frames) {
    if (frames.size() < 2) return;
    const std::string peer = frames[0].to_string();
    Header header;
    if (const std::string problem = header_problem(frames[1], header); !problem.empty()) {
        counters_.add("malformed");
        host_.warn(who_ + ": a peer sent " + problem + "; ignored");
        if (read_frame<Header>(frames[1]) && read_frame<Header>(frames[1])->magic == kMagic) refuse(peer, problem);
        return;
    }
    const Type type = static_cast<Type>(header.type);
    if (type == Type::hello) {
        auto hello = frames.size() == 3 ? read_frame<Hello>(frames[2]) : std::nullopt;
        if (!hello) {
            counters_.add("malformed");
            return;
        }
        last_heard_ns_ = now_ns();
        on_hello(peer, *hello);
        return;
    }
    if (peer != peer_) return;  // an earlier receiver's late words
    last_heard_ns_ = now_ns();
    if (type == Type::credit) {
        auto credit = frames.size() == 3 ? read_frame<Credit>(frames[2]) : std::nullopt;
        if (!credit || credit->session != session_ || credit->slots < credited_) return;
        credit_left_ += credit->slots - credited_;
        credited_ = credit->slots;
        // Whole batches only, and only sent ones (in order).
        while (unsent_ > 0 && credit_left_ >= held_.front().slots) {
            credit_left_ -= held_.front().slots;
            pop_front_batch();
            --unsent_;
        }
    } else if (type == Type::refuse && frames.size() >= 3) {
        host_.warn(who_ + ": the receiver refused the stream: " + frames[2].to_string());
        lose_peer("it refused");
    }
}

void Sender::service(std::chrono::nanoseconds wait) {
    last_service_ns_ = now_ns();
    zmq::pollitem_t items[2] = {{socket_.handle(), 0, ZMQ_POLLIN, 0},
                                {allow_list_ ? allow_list_->socket().handle() : nullptr, 0, ZMQ_POLLIN, 0}};
    const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(wait);
    zmq::poll(items, allow_list_ ? 2 : 1, timeout);
    if (allow_list_ && (items[1].revents & ZMQ_POLLIN) != 0) allow_list_->answer();
    for (int i = 0; i < 256; ++i) {
        std::vector<zmq::message_t> frames = pylabhub::messagehub::receive_frames(socket_);
        if (frames.empty()) break;
        handle(frames);
    }
    watch_->poll(host_, who_);
    const std::uint64_t now = now_ns();
    if (!peer_.empty() && now - last_heard_ns_ > static_cast<std::uint64_t>(settings_.peer_timeout.count())) {
        lose_peer("nothing heard for " + std::to_string(settings_.peer_timeout.count() / 1'000'000) + " ms");
    }
    if (!peer_.empty() && now - last_sent_ns_ > kPingInterval) {
        std::vector<zmq::message_t> frames;
        frames.push_back(header_frame(Type::ping));
        send_to_peer(frames);
    }
    pump();  // credit may have come
}

void Sender::idle(std::chrono::nanoseconds timeout) {
    close_batch();
    pump();
    service(timeout);
    counters_.publish(host_);
}

void Sender::flush() {
    ending_ = true;
    close_batch();
    pump();
    send_end();
    const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(settings_.drain_timeout.count());
    while (held_slots_ > 0 && now_ns() < deadline) service(std::chrono::milliseconds(10));
    if (held_slots_ > 0) {
        host_.warn(who_ + ": " + std::to_string(held_slots_) + " slots (from sequence " + std::to_string(held_.front().first_sequence) +
                   ") were not confirmed by a receiver within drain_timeout");
        counters_.add("unconfirmed", held_slots_);
    }
    counters_.publish(host_);
}

}  // namespace plh_zmq
