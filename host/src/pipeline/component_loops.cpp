#include "pipeline/component_runtime.hpp"

#include <algorithm>

#include "pylabhub/log.hpp"
#include "pylabhub/platform/clock.hpp"
#include "text/terminal.hpp"

namespace pylabhub::host {

using namespace std::chrono_literals;

void ComponentRuntime::fail(const std::string& what) {
    std::lock_guard lock(failure_mutex);
    if (!failure.empty()) return;
    failure = what;
    log::logger().error("{} failed: {}", plan->spec->id, terminal_safe(what));
}

namespace {

std::string describe_status(PluginInstance& instance, const char* call, plh_status status) {
    std::string message = instance.describe() + ": " + call + " returned " + status_name(status);
    if (auto reason = instance.take_error(); !reason.empty()) message += ": " + reason;
    return message;
}

} // namespace

void run_producer(ProducerRuntime& p) {
    const auto* table = static_cast<const plh_producer_vtable*>(p.plan->plugin->descriptor->vtable);
    void* handle = p.instance->handle();
    datablock::Producer& block = *p.channel->producer;
    std::uint64_t waiting_since = 0;      // when the ring became full (0: it is not)
    std::uint64_t next_wait_warning = 0;
    p.start_ns = platform::monotonic_time_ns();
    while (!p.instance->stop_requested()) {
        plh_status status = table->wait_next(handle, static_cast<uint64_t>(std::chrono::nanoseconds(kPollTimeout).count()));
        if (status == PLH_TIMEOUT) continue;
        if (status == PLH_END) {
            p.ended = true;
            break;
        }
        if (status != PLH_OK) {
            p.fail(describe_status(*p.instance, "wait_next", status));
            break;
        }
        auto slot = block.acquire_write(kPollTimeout);
        if (!slot) {
            if (slot.error().code == ErrorCode::timeout) {
                ++p.backpressure_waits;  // a lossless consumer is behind: wait, lose nothing
                // Say who we wait for after 1 s, then every 10 s: a stopped
                // consumer (SIGSTOP, a debugger) must not stall a run silently.
                const std::uint64_t now = platform::monotonic_time_ns();
                if (waiting_since == 0) waiting_since = now;
                if (now - waiting_since >= 1'000'000'000ULL && now >= next_wait_warning) {
                    log::logger().warn("producer '{}' has waited {:.1f} s for room: {}", p.plan->spec->id,
                                       double(now - waiting_since) * 1e-9, slot.error().message);
                    next_wait_warning = now + 10'000'000'000ULL;
                }
                continue;
            }
            p.fail(p.instance->describe() + ": " + slot.error().message);
            break;
        }
        if (waiting_since != 0) {
            if (next_wait_warning != 0) log::logger().info("producer '{}': room again after {:.1f} s", p.plan->spec->id,
                                                           double(platform::monotonic_time_ns() - waiting_since) * 1e-9);
            waiting_since = next_wait_warning = 0;
        }
        std::size_t bytes = 0;
        status = table->fill(handle, slot->buffer().data(), slot->buffer().size(), &bytes);
        if (status != PLH_OK) {
            slot->abandon();
            p.fail(describe_status(*p.instance, "fill", status));
            break;
        }
        if (auto committed = slot->commit(bytes); !committed) {
            p.fail(p.instance->describe() + ": " + committed.error().message);
            break;
        }
    }
    p.end_ns = platform::monotonic_time_ns();
    p.done = true;
}

namespace {

/// A consumer that stops reading leaves its channels at once, so that a
/// lossless writer does not wait for it (the rest of the pipeline runs on).
void leave_channels(ConsumerRuntime& c) {
    c.instance->bind_zone_reader({});  // waits for a zone_read in progress
    c.readers.clear();
}

} // namespace

void run_consumer(ConsumerRuntime& c) {
    const auto* table = static_cast<const plh_consumer_vtable*>(c.plan->plugin->descriptor->vtable);
    void* handle = c.instance->handle();
    std::vector<bool> open(c.readers.size(), true);
    std::size_t remaining = c.readers.size();
    std::vector<std::byte> copy;  // latest_only inputs are copied and validated first
    c.start_ns = platform::monotonic_time_ns();
    while (remaining > 0 && !c.instance->stop_requested()) {
        for (std::size_t i = 0; i < c.readers.size() && !c.instance->stop_requested(); ++i) {
            if (!open[i]) continue;
            auto slot = c.readers[i].acquire_read(remaining == 1 ? std::chrono::nanoseconds(kPollTimeout) : 2ms);
            if (!slot) {
                switch (slot.error().code) {
                case ErrorCode::closed:
                    open[i] = false;
                    --remaining;
                    // Our own channels close when the run stops; another host's closing is news.
                    if (c.inputs[i]->plan->spec->external) {
                        log::logger().info("consumer '{}': input '{}' was closed by the host that created it; all of it was read",
                                           c.plan->spec->id, c.inputs[i]->plan->spec->name);
                    }
                    break;
                case ErrorCode::timeout: break;
                case ErrorCode::corrupt: ++c.stats[i].corrupt; break;  // counted and reported, never passed on
                default:
                    c.fail(c.instance->describe() + ": input '" + c.inputs[i]->plan->spec->name + "': " + slot.error().message);
                    leave_channels(c);
                    c.done = true;
                    return;
                }
                continue;
            }
            const std::uint64_t sequence = slot->sequence();
            const std::uint64_t commit_ns = slot->commit_ns();
            InputStats& stats = c.stats[i];
            if (stats.seen && sequence > stats.last_sequence + 1) stats.gaps += sequence - stats.last_sequence - 1;
            stats.seen = true;
            stats.last_sequence = sequence;
            std::span<const std::byte> data = slot->buffer();
            if (c.inputs[i]->config.sync == datablock::SyncPolicy::latest_only) {
                copy.resize(data.size());
                auto whole = slot->copy_to(copy);
                (void)slot->release();
                if (!whole) continue;  // overtaken while copying: counted as torn, never delivered
                data = copy;
            }
            c.record_latency(platform::monotonic_time_ns() - commit_ns);
            const plh_slot_info info{sizeof(plh_slot_info), static_cast<uint32_t>(i), sequence, commit_ns,
                                     c.inputs[i]->plan->spec->name.c_str()};
            const plh_status status = table->consume(handle, data.data(), data.size(), &info);
            (void)slot->release();
            if (status != PLH_OK) {
                c.fail(describe_status(*c.instance, "consume", status));
                leave_channels(c);
                c.end_ns = platform::monotonic_time_ns();
                c.done = true;
                return;
            }
            ++stats.slots;
        }
    }
    leave_channels(c);
    if (PLH_HAS_FIELD(table, plh_consumer_vtable, flush) && table->flush != nullptr) {
        if (const plh_status status = table->flush(handle); status != PLH_OK) c.fail(describe_status(*c.instance, "flush", status));
    }
    c.end_ns = platform::monotonic_time_ns();
    c.done = true;
}

} // namespace pylabhub::host
