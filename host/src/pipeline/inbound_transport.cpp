// An inbound transport: the writer of its channel, with the sender's
// layout and sequence ids.
#include <cstring>
#include <vector>

#include "pipeline/component_runtime.hpp"
#include "pylabhub/log.hpp"
#include "pylabhub/platform/clock.hpp"

namespace pylabhub::host {
namespace {

std::string text(const char* s) { return s != nullptr ? s : ""; }

StreamLayout layout_of(const plh_stream_info& info) {
    StreamLayout layout;
    layout.sync_policy = info.sync_policy;
    if (!text(info.schema_blds).empty()) {
        layout.schema = SchemaDescription{text(info.schema_name), text(info.schema_version), text(info.schema_blds)};
    }
    layout.slot_bytes = info.slot_bytes;
    layout.first_sequence = info.first_sequence;
    layout.peer = text(info.peer);
    return layout;
}

std::string describe(const std::optional<SchemaDescription>& schema) {
    return schema ? "'" + schema->name + "' " + schema->version : std::string("no schema");
}

const plh_transport_vtable& table_of(const InboundRuntime& t) {
    return *static_cast<const plh_transport_vtable*>(t.plan->plugin->descriptor->vtable);
}

}  // namespace

Result<StreamLayout> wait_for_stream(InboundRuntime& t, const std::function<bool()>& give_up) {
    const plh_transport_vtable& table = table_of(t);
    const auto poll_ns = static_cast<std::uint64_t>(std::chrono::nanoseconds(kPollTimeout).count());
    const std::uint64_t started = platform::monotonic_time_ns();
    std::uint64_t next_note = started + 5'000'000'000ULL;
    for (;;) {
        const plh_stream_info* info = nullptr;
        const plh_status status = table.stream(t.instance->handle(), poll_ns, &info);
        if (status == PLH_OK && info != nullptr) {
            StreamLayout layout = layout_of(*info);
            if (layout.sync_policy < 1 || layout.sync_policy > 3 || layout.slot_bytes == 0) {
                return make_error(ErrorCode::corrupt,
                                  t.instance->describe() + ": the peer " + layout.peer + " described a stream with sync policy " +
                                      std::to_string(layout.sync_policy) + " and slot size " + std::to_string(layout.slot_bytes));
            }
            return layout;
        }
        if (status != PLH_TIMEOUT) return make_error(ErrorCode::system, describe_status(*t.instance, "stream", status));
        if (give_up()) return make_error(ErrorCode::timeout, t.instance->describe() + ": stopped while waiting for the stream");
        if (const std::uint64_t now = platform::monotonic_time_ns(); now >= next_note) {
            log::logger().info("transport '{}': still waiting for the stream of channel '{}' ({:.0f} s){}", t.plan->spec->id,
                               t.plan->spec->output, double(now - started) * 1e-9, [&] {
                                   const std::string why = t.instance->take_error();
                                   return why.empty() ? std::string() : ": " + why;
                               }());
            next_note = now + 10'000'000'000ULL;
        }
    }
}

std::string stream_fit_problem(const StreamLayout& layout, const datablock::DataBlockConfig& config) {
    if (layout.slot_bytes > config.slot_bytes) {
        return "the sender's slots are up to " + std::to_string(layout.slot_bytes) + " bytes, larger than this channel's slot_bytes " +
            std::to_string(config.slot_bytes);
    }
    if (layout.sync_policy != static_cast<std::uint32_t>(config.sync)) {
        return "the sender's channel is " + std::string(datablock::to_string(static_cast<datablock::SyncPolicy>(layout.sync_policy))) +
            ", this one " + std::string(datablock::to_string(config.sync)) + " (leave 'sync' out to take the sender's)";
    }
    return {};
}

namespace {

/// After PLH_STREAM_CHANGED: the peer restarted. Its new stream must fit the
/// channel its consumers already read; then the ids go on from where it resumes.
bool take_new_stream(InboundRuntime& t) {
    auto layout = wait_for_stream(t, [&] { return t.instance->stop_requested(); });
    if (!layout) {
        if (!t.instance->stop_requested()) t.fail(layout.error().message);
        return false;
    }
    ++t.stream_changes;
    t.new_stream = true;  // its first slot says whether its ids go on or start again
    const auto same_schema = [](const std::optional<SchemaDescription>& a, const std::optional<SchemaDescription>& b) {
        return a.has_value() == b.has_value() && (!a || (a->name == b->name && a->version == b->version && a->blds == b->blds));
    };
    if (!same_schema(layout->schema, t.stream.schema)) {
        t.fail(t.instance->describe() + ": the peer " + layout->peer + " restarted with schema " + describe(layout->schema) +
               " instead of " + describe(t.stream.schema) + "; channel '" + t.plan->spec->output +
               "' keeps its schema while it exists: restart this pipeline to take the new one");
        return false;
    }
    if (auto why = stream_fit_problem(*layout, t.channel->config); !why.empty()) {
        t.fail(t.instance->describe() + ": the peer " + layout->peer + " restarted its stream, and " + why);
        return false;
    }
    const std::uint64_t next = t.channel->producer->next_sequence();
    log::logger().info("transport '{}': a new stream from {} (the sender restarted); the channel goes on at sequence {}", t.plan->spec->id,
                       layout->peer, next);
    t.stream = std::move(layout).value();
    return true;
}

enum class Taken { committed, already_here, failed };

/// Commits a received slot under the sender's id: a jump forward moves the
/// ring's ids with skip_to (a gap readers see; the slot, received into the
/// ring's next place, is moved). An id the channel has passed is a slot it
/// holds already (a restarted host took over its segment and the sender
/// sent again what it had not been credited for): dropped. Only a new
/// sender whose ids went back is numbered on.
Taken commit_as(InboundRuntime& t, datablock::WriteTransactionGuard& slot, const plh_received_slot& got) {
    datablock::Producer& block = *t.channel->producer;
    const std::size_t bytes = std::min<std::size_t>(got.bytes, slot.buffer().size());
    // The sender's commit time, in this host's monotonic clock (the plugin
    // translates it); 0 when it has none: now.
    const std::uint64_t stamp = got.commit_ns != 0 ? got.commit_ns : platform::monotonic_time_ns();
    if (t.new_stream) {
        t.new_stream = false;
        t.renumbering = got.sequence < slot.sequence();
        if (t.renumbering) {
            log::logger().warn(
                "transport '{}': the new stream's ids start at {}, below the channel's next {}; its slots are numbered "
                "on from there",
                t.plan->spec->id, got.sequence, slot.sequence());
        }
    }
    if (got.sequence < slot.sequence() && !t.renumbering) {
        slot.abandon();
        ++t.already_here;
        return Taken::already_here;
    }
    if (got.sequence <= slot.sequence()) {
        if (auto committed = slot.commit_at(bytes, stamp); !committed) {
            t.fail(t.instance->describe() + ": " + committed.error().message);
            return Taken::failed;
        }
        return Taken::committed;
    }
    if (t.received > 0) t.gaps += got.sequence - slot.sequence();  // not before the first: where a stream starts is no gap
    std::vector<std::byte> held(slot.buffer().begin(), slot.buffer().begin() + static_cast<std::ptrdiff_t>(bytes));
    slot.abandon();
    for (;;) {
        auto skipped = block.skip_to(got.sequence, kPollTimeout);
        if (skipped) break;
        if (skipped.error().code != ErrorCode::timeout || t.instance->stop_requested()) {
            if (!t.instance->stop_requested()) t.fail(t.instance->describe() + ": " + skipped.error().message);
            return Taken::failed;
        }
        ++t.backpressure_waits;
    }
    for (;;) {
        auto moved = block.acquire_write(kPollTimeout);
        if (!moved) {
            if (moved.error().code == ErrorCode::timeout && !t.instance->stop_requested()) continue;
            if (!t.instance->stop_requested()) t.fail(t.instance->describe() + ": " + moved.error().message);
            return Taken::failed;
        }
        std::memcpy(moved->buffer().data(), held.data(), held.size());
        if (auto committed = moved->commit_at(held.size(), stamp); !committed) {
            t.fail(t.instance->describe() + ": " + committed.error().message);
            return Taken::failed;
        }
        return Taken::committed;
    }
}

}  // namespace

void run_inbound(InboundRuntime& t) {
    const plh_transport_vtable& table = table_of(t);
    void* handle = t.instance->handle();
    datablock::Producer& block = *t.channel->producer;
    const auto poll_ns = static_cast<std::uint64_t>(std::chrono::nanoseconds(kPollTimeout).count());
    t.start_ns = platform::monotonic_time_ns();
    while (!t.instance->stop_requested()) {
        auto slot = block.acquire_write(kPollTimeout);
        if (!slot) {
            if (slot.error().code != ErrorCode::timeout) {
                t.fail(t.instance->describe() + ": " + slot.error().message);
                break;
            }
            ++t.backpressure_waits;  // a local lossless reader is behind; the link keeps its credit back
            if (table.idle != nullptr) (void)table.idle(handle, 0);
            continue;
        }
        plh_received_slot got{sizeof(plh_received_slot), 0, 0, 0, 0};
        const plh_status status = table.receive(handle, slot->buffer().data(), slot->buffer().size(), &got, poll_ns);
        if (status == PLH_OK) {
            const Taken taken = commit_as(t, *slot, got);
            if (taken == Taken::failed) break;
            if (taken == Taken::committed) {
                ++t.received;
                t.channel->bytes_written += got.bytes;
            }
            continue;
        }
        slot->abandon();
        if (status == PLH_TIMEOUT) continue;
        if (status == PLH_END) {
            log::logger().info("transport '{}': the sender ended its stream", t.plan->spec->id);
            t.ended = true;
            break;
        }
        if (status == PLH_STREAM_CHANGED) {
            if (!take_new_stream(t)) break;
            continue;  // a jump in the ids shows with the next slot (commit_as)
        }
        t.fail(describe_status(*t.instance, "receive", status));
        break;
    }
    if (table.flush != nullptr) (void)table.flush(handle);
    t.end_ns = platform::monotonic_time_ns();
    t.done = true;
}

}  // namespace pylabhub::host
