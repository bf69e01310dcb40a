#include "publisher.hpp"

#include <algorithm>
#include <thread>

#include "../common/envelope.hpp"

namespace plh_nats {

using pylabhub::sdk::ConfigError;
using pylabhub::sdk::PluginError;

namespace {

constexpr std::uint64_t kAnnounceInterval = 1'000'000'000ULL;  // core: a late subscriber learns the stream within this
constexpr std::uint64_t kMaxBatchDelay = 200'000;              // 200 us
constexpr std::uint64_t kWindowBytes = 64ull << 20;
constexpr std::int64_t kAckTimeoutMs = 2000;
constexpr std::uint64_t kRetryDelay = 250'000'000ULL;
constexpr std::uint64_t kPublishInterval = 100'000'000ULL;

std::int64_t milliseconds(std::chrono::nanoseconds wait) { return std::max<std::int64_t>(1, wait.count() / 1'000'000); }

}  // namespace

Publisher::Publisher(const pylabhub::sdk::Host& host, Settings settings, const pylabhub::sdk::InputInfo& channel)
    : host_(host),
      settings_(std::move(settings)),
      who_("transport '" + host.instance_id() + "'"),
      channel_(channel),
      connection_(host, settings_, who_),
      stream_id_(random_id()) {
    part_bytes_ = std::max<std::size_t>(4096, connection_.max_payload() - 1024);  // room for the headers
    if (settings_.mode == Mode::jetstream) {
        jsOptions options;
        jsOptions_Init(&options);
        options.PublishAsync.MaxPending = static_cast<int64_t>(settings_.window) + 8;
        options.PublishAsync.AckHandler = &Publisher::on_publish_ack;
        options.PublishAsync.AckHandlerClosure = this;
        options.PublishAsync.StallWait = 20;
        js_ = connection_.jetstream(&options);
        create_stream();
    }
    announce();
    host_.info(who_ + ": channel '" + channel_.channel + "' published on subject '" + settings_.subject + "' at " + connection_.server() +
               (settings_.mode == Mode::jetstream ? " (JetStream stream " + settings_.stream + ")" : " (core NATS, at most once)"));
}

Publisher::~Publisher() {
    // No acknowledgement may reach this object once its members go: the
    // pending ones are cancelled and the connection closed first.
    if (js_ != nullptr) {
        natsMsgList pending{};
        if (js_PublishAsyncGetPendingList(&pending, js_) == NATS_OK) natsMsgList_Destroy(&pending);
    }
    connection_.close();
}

void Publisher::create_stream() {
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    // A cluster still electing its leaders answers "temporarily unavailable"
    // or not at all: asked again within connect_timeout.
    const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(settings_.connect_timeout.count());
    natsStatus status = js_GetStreamInfo(&info, js_, settings_.stream.c_str(), nullptr, &code);
    while (status != NATS_OK && code != JSStreamNotFoundErr && status != NATS_NOT_FOUND && now_ns() < deadline && !host_.stop_requested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        status = js_GetStreamInfo(&info, js_, settings_.stream.c_str(), nullptr, &code);
    }
    const std::string descriptions = settings_.subject + ".stream.*";
    if (status == NATS_OK) {
        bool has_data = false, has_descriptions = false;
        for (int i = 0; i < info->Config->SubjectsLen; ++i) {
            has_data |= settings_.subject == info->Config->Subjects[i];
            has_descriptions |= descriptions == info->Config->Subjects[i];
        }
        jsStreamInfo_Destroy(info);
        if (!has_data || !has_descriptions) {
            throw ConfigError("JetStream stream '" + settings_.stream + "' exists without the subjects '" + settings_.subject + "' and '" +
                              descriptions + "'; give another 'stream' or delete that one (nats stream rm " + settings_.stream + ")");
        }
        return;
    }
    if (code != JSStreamNotFoundErr && status != NATS_NOT_FOUND) {
        throw PluginError(PLH_ERR_IO,
                          "JetStream at " + connection_.server() + ": cannot look up stream '" + settings_.stream +
                              "': " + describe(status, nats_GetLastError(nullptr)) +
                              " (is JetStream enabled on the server? 'jetstream: enabled' in its config)");
    }
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    const char* subjects[] = {settings_.subject.c_str(), descriptions.c_str()};
    config.Name = settings_.stream.c_str();
    config.Subjects = subjects;
    config.SubjectsLen = 2;
    config.Storage = js_FileStorage;
    config.MaxAge = settings_.max_age.count();
    config.MaxBytes = settings_.max_bytes != 0 ? static_cast<int64_t>(settings_.max_bytes) : -1;
    config.Replicas = settings_.replicas;
    status = js_AddStream(&info, js_, &config, nullptr, &code);
    if (status != NATS_OK) {
        throw PluginError(PLH_ERR_IO,
                          "JetStream at " + connection_.server() + ": cannot create stream '" + settings_.stream +
                              "': " + describe(status, nats_GetLastError(nullptr)));
    }
    jsStreamInfo_Destroy(info);
    host_.info(who_ + ": created JetStream stream '" + settings_.stream + "' (replicas " + std::to_string(settings_.replicas) + ")");
}

void Publisher::announce() {
    Stream s;
    s.stream_id = stream_id_;
    s.first_sequence = kResumeAnywhere;
    s.slot_bytes = channel_.slot_bytes;
    s.sync_policy = channel_.sync_policy;
    const Stream now = stamped(s);
    const Header header = header_of(Type::stream);
    const std::vector<std::byte> payload = seal({frame_bytes(header), frame_bytes(now), frame_bytes(channel_.schema_name),
                                                 frame_bytes(channel_.schema_version), frame_bytes(channel_.schema_blds)});
    last_announce_ns_ = now_ns();
    if (settings_.mode == Mode::core) {
        (void)natsConnection_Publish(connection_.get(), settings_.subject.c_str(), payload.data(), static_cast<int>(payload.size()));
        return;
    }
    // Stored once under its own subject: a receiver looks a stream up by id
    // whenever it meets one, however late it joins.
    const std::string id = message_id(stream_id_, 0, 0) + "-stream";
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MsgId = id.c_str();
    options.MaxWait = kAckTimeoutMs * 2;
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const std::string subject = description_subject(settings_.subject, stream_id_);
    const natsStatus status = js_Publish(&ack, js_, subject.c_str(), payload.data(), static_cast<int>(payload.size()), &options, &code);
    if (status != NATS_OK) {
        throw PluginError(PLH_ERR_IO,
                          "JetStream at " + connection_.server() + ": cannot store the stream description on '" + subject +
                              "': " + describe(status, nats_GetLastError(nullptr)));
    }
    jsPubAck_Destroy(ack);
    last_confirmed_id_ = id;
}

bool Publisher::window_full() const {
    return settings_.mode == Mode::jetstream && !queue_.empty() && (queue_.size() >= settings_.window || queued_bytes_ >= kWindowBytes);
}

namespace {

const std::size_t kDataRoom = head_room({sizeof(Header), sizeof(plh_transport::Batch)});

}  // namespace

void Publisher::close_batch() {
    if (open_slots_ == 0) return;
    const Header header = header_of(Type::data);
    plh_transport::Batch batch;
    batch.stream_id = stream_id_;
    batch.slots = open_slots_;
    seal_in_place(packed_, {frame_bytes(header), frame_bytes(batch)});
    Buffer sealed;
    if (!spare_.empty()) {
        sealed = std::move(spare_.back());
        spare_.pop_back();
    } else {
        sealed = std::make_shared<std::vector<std::byte>>();
    }
    sealed->swap(packed_);  // packed_ takes the spare's capacity
    packed_.clear();
    const std::size_t parts = (sealed->size() + part_bytes_ - 1) / part_bytes_;
    for (std::size_t i = 0; i < parts; ++i) {
        Message message;
        message.id = message_id(stream_id_, open_first_, static_cast<std::uint32_t>(i));
        if (parts > 1) message.part = std::to_string(i + 1) + "/" + std::to_string(parts);
        message.buffer = sealed;
        message.offset = i * part_bytes_;
        message.size = std::min(sealed->size() - message.offset, part_bytes_);
        if (i + 1 == parts) {
            message.slots = open_slots_;
            message.bytes = open_bytes_;
        }
        queued_bytes_ += message.size;
        queue_.push_back(std::move(message));
    }
    counters_.add("batches_sent");
    open_slots_ = 0;
    open_bytes_ = 0;
}

void Publisher::pop_front() {
    Message& message = queue_.front();
    queued_bytes_ -= message.size;
    Buffer buffer = std::move(message.buffer);
    queue_.pop_front();
    if (buffer.use_count() == 1 && spare_.size() < 8) spare_.push_back(std::move(buffer));
}

bool Publisher::publish(Message& message, const std::string& previous_id) {
    const char* data = reinterpret_cast<const char*>(message.buffer->data() + message.offset);
    const int size = static_cast<int>(message.size);
    if (settings_.mode == Mode::core && message.part.empty()) {
        return natsConnection_Publish(connection_.get(), settings_.subject.c_str(), data, size) == NATS_OK;  // no message object
    }
    natsMsg* msg = nullptr;
    if (natsMsg_Create(&msg, settings_.subject.c_str(), nullptr, data, size) != NATS_OK) return false;
    if (!message.part.empty()) natsMsgHeader_Set(msg, "Plh-Part", message.part.c_str());
    natsStatus status;
    if (settings_.mode == Mode::core) {
        status = natsConnection_PublishMsg(connection_.get(), msg);
    } else {
        jsPubOptions options;
        jsPubOptions_Init(&options);
        options.MsgId = message.id.c_str();
        if (!previous_id.empty()) options.ExpectLastMsgId = previous_id.c_str();  // the stream keeps our order
        options.MaxWait = kAckTimeoutMs;
        status = js_PublishMsgAsync(js_, &msg, &options);
    }
    natsMsg_Destroy(msg);  // NULL when nats.c took it
    return status == NATS_OK;
}

void Publisher::publish_pending() {
    if (settings_.mode == Mode::core) {
        for (; !queue_.empty(); pop_front()) {
            Message& message = queue_.front();
            if (publish(message, {})) {
                counters_.add("slots_sent", message.slots);
                counters_.add("bytes_sent", message.bytes);
            } else {
                counters_.add("dropped", message.slots);  // at most once: the receivers see the gap
            }
        }
        return;
    }
    if (!connection_.connected() || now_ns() < retry_at_ns_) return;
    while (published_ < queue_.size()) {
        const std::string& previous = published_ == 0 ? last_confirmed_id_ : queue_[published_ - 1].id;
        if (!publish(queue_[published_], previous)) return;  // nats.c is full or disconnected: later
        ++published_;
    }
}

bool Publisher::confirm(std::chrono::nanoseconds wait) {
    publish_pending();
    if (published_ > 0 && !failed_.load() && wait.count() > 0) {
        jsPubOptions options;
        jsPubOptions_Init(&options);
        options.MaxWait = milliseconds(wait);
        (void)js_PublishAsyncComplete(js_, &options);  // a wait only: the acknowledgements say what is stored
    }
    std::size_t confirmed = 0;
    {
        std::lock_guard lock(failure_mutex_);
        while (confirmed < published_ && confirmed_ids_.erase(queue_[confirmed].id) > 0) ++confirmed;
    }
    for (std::size_t i = 0; i < confirmed; ++i) {
        Message& message = queue_.front();
        last_confirmed_id_ = message.id;
        counters_.add("slots_sent", message.slots);
        counters_.add("bytes_sent", message.bytes);
        pop_front();
    }
    published_ -= confirmed;
    if (failed_.exchange(false)) {
        std::string why;
        {
            std::lock_guard lock(failure_mutex_);
            why = failure_;
        }
        start_over(why);
    }
    if (confirmed > 0) publish_pending();
    return confirmed > 0 || queue_.empty();
}

void Publisher::start_over(const std::string& why) {
    // Everything not confirmed goes again, in order, each with its id: the
    // server drops what it has already (its duplicate window, 2 min by default).
    natsMsgList pending{};
    if (js_PublishAsyncGetPendingList(&pending, js_) == NATS_OK) natsMsgList_Destroy(&pending);
    {
        std::lock_guard lock(failure_mutex_);
        confirmed_ids_.clear();
    }
    counters_.add("republished", published_);
    published_ = 0;
    retry_at_ns_ = now_ns() + kRetryDelay;
    if (const std::uint64_t now = now_ns(); now - last_warning_ns_ > 5'000'000'000ULL) {
        host_.warn(who_ + ": JetStream did not confirm " + std::to_string(queue_.size()) + " held messages (" + why +
                   "); sending them again in order");
        last_warning_ns_ = now;
    }
}

void Publisher::on_publish_ack(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure) {
    auto* self = static_cast<Publisher*>(closure);
    const char* id = nullptr;
    (void)natsMsgHeader_Get(msg, "Nats-Msg-Id", &id);
    {
        std::lock_guard lock(self->failure_mutex_);
        if (ack != nullptr && id != nullptr) {
            self->confirmed_ids_.insert(id);
            if (ack->Duplicate) ++self->duplicates_;
        } else if (error != nullptr) {
            self->failure_ = describe(error->Err, error->ErrText);
            self->failed_ = true;
        }
    }
    natsMsg_Destroy(msg);
}

void Publisher::housekeeping(std::uint64_t now, bool publish_counters) {
    connection_.report(host_, counters_);
    if (settings_.mode == Mode::core && now - last_announce_ns_ > kAnnounceInterval) announce();
    if (const std::uint64_t duplicates = duplicates_.exchange(0); duplicates > 0) counters_.add("duplicates_dropped_by_server", duplicates);
    // Under load the host's counters are brought up to date ten times a
    // second, not every 32 slots (each is a call under the instance's lock).
    if (publish_counters || now - last_published_ns_ > kPublishInterval) {
        counters_.publish(host_);
        last_published_ns_ = now;
    }
}

bool Publisher::send(std::span<const std::byte> data, const plh_slot_info& info, std::chrono::nanoseconds timeout) {
    // The clock is read every 32 slots, not for every slot (it costs more than a small one).
    const bool look = (++sends_ & 31U) == 0;
    const std::uint64_t now = look ? now_ns() : 0;
    if (look) {
        housekeeping(now, false);
        if (settings_.mode == Mode::jetstream) confirm(std::chrono::nanoseconds(0));
    }
    if (window_full()) {
        const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(timeout.count());
        close_batch();
        while (window_full()) {
            const std::uint64_t at = now_ns();
            if (at >= deadline) {
                counters_.add("window_stalls");
                counters_.publish(host_);
                return false;  // the host offers the slot again; the channel waits, as for a slow reader
            }
            confirm(std::chrono::nanoseconds(std::min<std::uint64_t>(deadline - at, 10'000'000)));
            connection_.report(host_, counters_);
        }
    }
    // A slot that would push the batch over one message goes in the next.
    if (open_slots_ > 0 && packed_.size() + sizeof(SlotMeta) + data.size() > part_bytes_) close_batch();
    if (open_slots_ == 0 && packed_.capacity() < kDataRoom + sizeof(SlotMeta) + data.size()) {
        packed_.reserve(std::max<std::size_t>(settings_.batch_bytes, data.size()) + kDataRoom + 4096);
    }
    if (open_slots_ == 0) {
        packed_.resize(kDataRoom);  // the envelope's head goes here when the batch is sealed
        open_first_ = info.sequence;
        open_started_ns_ = look ? now : now_ns();
    }
    pack_inline(packed_, info.sequence, info.commit_ns, data.data(), data.size());
    ++open_slots_;
    open_bytes_ += data.size();
    next_sequence_ = info.sequence + 1;
    if (open_bytes_ >= settings_.batch_bytes || packed_.size() >= part_bytes_ || open_slots_ >= 4096 ||
        (look && now - open_started_ns_ > kMaxBatchDelay)) {
        close_batch();
        if (settings_.mode == Mode::core) publish_pending();
        else confirm(std::chrono::nanoseconds(0));
    }
    return true;
}

void Publisher::idle(std::chrono::nanoseconds timeout) {
    close_batch();
    if (settings_.mode == Mode::core) {
        publish_pending();
        std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(timeout, std::chrono::milliseconds(1)));
    } else {
        confirm(queue_.empty() ? std::chrono::nanoseconds(0) : std::min<std::chrono::nanoseconds>(timeout, std::chrono::milliseconds(10)));
        if (queue_.empty()) std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(timeout, std::chrono::milliseconds(1)));
    }
    housekeeping(now_ns(), true);
}

void Publisher::flush() {
    close_batch();
    // END travels like data (confirmed, in order) so it comes after the last slot.
    End end;
    end.stream_id = stream_id_;
    end.next_sequence = next_sequence_;
    const Header header = header_of(Type::end);
    Message message;
    message.id = message_id(stream_id_, next_sequence_, 0) + "-end";
    message.buffer = std::make_shared<std::vector<std::byte>>(seal({frame_bytes(header), frame_bytes(end)}));
    message.size = message.buffer->size();
    queued_bytes_ += message.size;
    queue_.push_back(std::move(message));
    const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(settings_.drain_timeout.count());
    if (settings_.mode == Mode::core) {
        publish_pending();
        (void)natsConnection_FlushTimeout(connection_.get(), milliseconds(settings_.drain_timeout));
    } else {
        while (!queue_.empty() && now_ns() < deadline) {
            confirm(std::chrono::milliseconds(10));
            connection_.report(host_, counters_);
        }
        if (!queue_.empty()) {
            std::uint64_t slots = 0;
            for (const auto& m : queue_) slots += m.slots;
            host_.warn(who_ + ": " + std::to_string(slots) + " slots were not confirmed by JetStream within drain_timeout");
            counters_.add("unconfirmed", slots);
        }
    }
    housekeeping(now_ns(), true);
}

}  // namespace plh_nats
