#include "pipeline/component_runtime.hpp"

#include <algorithm>

#include "pipeline/policy_reader.hpp"
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

std::string describe_status(PluginInstance& instance, const char* call, plh_status status) {
    std::string message = instance.describe() + ": " + call + " returned " + status_name(status);
    if (auto reason = instance.take_error(); !reason.empty()) message += ": " + reason;
    return message;
}

namespace {

/// Slots handed over at once (docs/datablock.md, runs): up to 32, and at
/// most a quarter of the ring, so that the other side keeps working while a
/// run is filled or read.
std::size_t run_length(std::uint32_t slot_count) { return std::clamp<std::size_t>(slot_count / 4, 1, 32); }

}  // namespace

void run_producer(ProducerRuntime& p) {
    const auto* table = static_cast<const plh_producer_vtable*>(p.plan->plugin->descriptor->vtable);
    void* handle = p.instance->handle();
    datablock::Producer& block = *p.channel->producer;
    std::uint64_t waiting_since = 0;  // when the ring became full (0: it is not)
    std::uint64_t next_wait_warning = 0;
    // Samples ready back to back go out as runs (one publication each), of
    // at most 64 KiB so that filling one never holds its first sample long.
    const auto& config = block.config();
    const std::size_t max_run =
        std::clamp<std::size_t>(std::uint64_t{64} * 1024 / std::max<std::uint64_t>(config.slot_bytes, 1), 1, run_length(config.slot_count));
    std::vector<std::size_t> run_sizes;
    run_sizes.reserve(max_run);
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
        auto run = block.acquire_write_batch(max_run, kPollTimeout);
        if (!run) {
            if (run.error().code == ErrorCode::timeout) {
                ++p.backpressure_waits;  // a lossless consumer is behind: wait, lose nothing
                // Say who we wait for after 1 s, then every 10 s: a stopped
                // consumer (SIGSTOP, a debugger) must not stall a run silently.
                const std::uint64_t now = platform::monotonic_time_ns();
                if (waiting_since == 0) waiting_since = now;
                if (now - waiting_since >= 1'000'000'000ULL && now >= next_wait_warning) {
                    log::logger().warn("producer '{}' has waited {:.1f} s for room: {}", p.plan->spec->id,
                                       double(now - waiting_since) * 1e-9, run.error().message);
                    next_wait_warning = now + 10'000'000'000ULL;
                }
                continue;
            }
            p.fail(p.instance->describe() + ": " + run.error().message);
            break;
        }
        if (waiting_since != 0) {
            if (next_wait_warning != 0)
                log::logger().info("producer '{}': room again after {:.1f} s", p.plan->spec->id,
                                   double(platform::monotonic_time_ns() - waiting_since) * 1e-9);
            waiting_since = next_wait_warning = 0;
        }
        // The first slot has a sample; the rest of the run is filled only
        // with samples that are ready now (wait_next with no wait), so a run
        // never holds a sample back: a paced producer publishes one at a time.
        run_sizes.clear();
        bool stop = false;
        for (std::size_t k = 0; k < run->size(); ++k) {
            if (k > 0) {
                status = table->wait_next(handle, 0);
                if (status == PLH_TIMEOUT) break;
                if (status == PLH_END) {
                    p.ended = stop = true;
                    break;
                }
                if (status != PLH_OK) {
                    p.fail(describe_status(*p.instance, "wait_next", status));
                    stop = true;
                    break;
                }
            }
            std::size_t bytes = 0;
            status = table->fill(handle, run->buffer(k).data(), run->buffer(k).size(), &bytes);
            if (status != PLH_OK) {
                p.fail(describe_status(*p.instance, "fill", status));  // the samples before it are published
                stop = true;
                break;
            }
            run_sizes.push_back(bytes);
            if (p.instance->stop_requested()) break;
        }
        if (auto committed = run->commit(run_sizes.size(), run_sizes); !committed) {
            p.fail(p.instance->describe() + ": " + committed.error().message);
            break;
        }
        std::size_t run_bytes = 0;
        for (std::size_t bytes : run_sizes) run_bytes += bytes;
        p.channel->bytes_written += run_bytes;
        if (stop) break;
    }
    p.end_ns = platform::monotonic_time_ns();
    p.done = true;
}

InputReader::InputReader() = default;
InputReader::InputReader(InputReader&&) noexcept = default;
InputReader& InputReader::operator=(InputReader&&) noexcept = default;
InputReader::~InputReader() = default;

namespace {

/// A consumer that stops reading leaves its channels at once, so that a
/// lossless writer does not wait for it (the rest of the pipeline runs on).
void leave_channels(ConsumerRuntime& c) {
    c.instance->bind_zone_reader({});  // waits for a zone_read in progress
    c.readers.clear();
}

/// One slot of one input, ready for the plugin: in place (lossless inputs)
/// or a validated copy (latest_only channels and read policies).
struct Delivery {
    std::span<const std::byte> data;
    std::uint64_t sequence = 0;
    std::uint64_t commit_ns = 0;
};

/// Reads the inputs in turn and hands each slot to `deliver` (false: stop,
/// the component failed); `idle` runs when a read found nothing new.
/// `timeout(default)` may shorten a read's wait. The inputs are left when
/// it returns.
template <typename Deliver, typename Idle, typename Timeout>
void read_inputs(ConsumerRuntime& c, Deliver&& deliver, Idle&& idle, Timeout&& timeout_for) {
    std::vector<bool> open(c.readers.size(), true);
    std::size_t remaining = c.readers.size();
    std::vector<std::byte> copy;  // latest_only inputs are copied and validated first
    while (remaining > 0 && !c.instance->stop_requested()) {
        for (std::size_t i = 0; i < c.readers.size() && !c.instance->stop_requested(); ++i) {
            if (!open[i]) continue;
            const auto timeout = timeout_for(remaining == 1 ? std::chrono::nanoseconds(kPollTimeout) : std::chrono::nanoseconds(2ms));
            InputReader& reader = c.readers[i];
            const bool latest_only = c.inputs[i]->config.sync == datablock::SyncPolicy::latest_only;
            std::optional<datablock::ReadTransactionGuard> slot;
            std::optional<datablock::ReadBatch> run;
            std::optional<datablock::ObservedSlot> observed;
            std::optional<Error> failed;
            if (reader.policy) {
                auto next = reader.policy->next(timeout);
                if (next) observed.emplace(std::move(next).value());
                else failed = std::move(next).error();
            } else if (!latest_only) {
                // A run of what is committed: one position update for all of it.
                auto next = reader.lossless->acquire_read_batch(run_length(c.inputs[i]->config.slot_count), timeout);
                if (next) run.emplace(std::move(next).value());
                else failed = std::move(next).error();
            } else {
                auto next = reader.lossless->acquire_read(timeout);
                if (next) slot.emplace(std::move(next).value());
                else failed = std::move(next).error();
            }
            if (failed) {
                switch (failed->code) {
                case ErrorCode::closed:
                    open[i] = false;
                    --remaining;
                    // Our own channels close when the run stops; another host's closing is news.
                    if (c.inputs[i]->plan->spec->external) {
                        log::logger().info("{} '{}': input '{}' was closed by the host that created it; all of it was read", c.kind,
                                           c.plan->spec->id, c.inputs[i]->plan->spec->name);
                    }
                    break;
                case ErrorCode::timeout: idle(); break;
                case ErrorCode::corrupt: ++c.stats[i].corrupt; break;  // counted and reported, never passed on
                default:
                    c.fail(c.instance->describe() + ": input '" + c.inputs[i]->plan->spec->name + "': " + failed->message);
                    leave_channels(c);
                    return;
                }
                continue;
            }
            auto hand_over = [&](const Delivery& delivery) {
                InputStats& stats = c.stats[i];
                if (stats.seen && delivery.sequence > stats.last_sequence + 1) stats.gaps += delivery.sequence - stats.last_sequence - 1;
                stats.seen = true;
                stats.last_sequence = delivery.sequence;
                c.record_latency(platform::monotonic_time_ns() - delivery.commit_ns);
                const plh_slot_info info{sizeof(plh_slot_info), static_cast<uint32_t>(i), delivery.sequence, delivery.commit_ns,
                                         c.inputs[i]->plan->spec->name.c_str()};
                if (!deliver(delivery.data, info)) return false;
                ++stats.slots;
                return true;
            };
            bool ok = true;
            if (run) {
                for (std::size_t k = 0; k < run->size() && ok; ++k) ok = hand_over({run->buffer(k), run->sequence(k), run->commit_ns(k)});
                (void)run->release();
            } else if (observed) {
                ok = hand_over({observed->payload, observed->sequence, observed->commit_ns});
            } else {
                Delivery delivery{slot->buffer(), slot->sequence(), slot->commit_ns()};
                copy.resize(delivery.data.size());
                auto whole = slot->copy_to(copy);
                (void)slot->release();
                if (!whole) continue;  // overtaken while copying: counted as torn, never delivered
                delivery.data = copy;
                ok = hand_over(delivery);
            }
            if (!ok) {
                leave_channels(c);
                return;
            }
        }
    }
    leave_channels(c);
}

}  // namespace

void run_consumer(ConsumerRuntime& c) {
    const auto* table = static_cast<const plh_consumer_vtable*>(c.plan->plugin->descriptor->vtable);
    void* handle = c.instance->handle();
    c.start_ns = platform::monotonic_time_ns();
    bool failed = false;
    read_inputs(
        c,
        [&](std::span<const std::byte> data, const plh_slot_info& info) {
            const plh_status status = table->consume(handle, data.data(), data.size(), &info);
            if (status == PLH_OK) return true;
            c.fail(describe_status(*c.instance, "consume", status));
            failed = true;
            return false;
        },
        [] {}, [](std::chrono::nanoseconds wait) { return wait; });
    if (!failed && c.failed().empty() && PLH_HAS_FIELD(table, plh_consumer_vtable, flush) && table->flush != nullptr) {
        if (const plh_status status = table->flush(handle); status != PLH_OK) c.fail(describe_status(*c.instance, "flush", status));
    }
    c.end_ns = platform::monotonic_time_ns();
    c.done = true;
}

namespace {

/// Calls `call` with the output channel's next slot, waiting for room like
/// a producer (a lossless reader of the output holds the processor back),
/// and commits what the plugin wrote. False when the processor failed or
/// is stopping.
template <typename Call>
bool emit(ProcessorRuntime& p, const char* what, Call&& call) {
    datablock::Producer& block = *p.output->producer;
    for (;;) {
        auto slot = block.acquire_write(kPollTimeout);
        if (!slot) {
            if (slot.error().code == ErrorCode::timeout) {
                ++p.backpressure_waits;
                if (p.instance->stop_requested()) return false;
                continue;
            }
            p.fail(p.instance->describe() + ": output '" + p.output->plan->spec->name + "': " + slot.error().message);
            return false;
        }
        plh_output_slot out{sizeof(plh_output_slot), 0, slot->buffer().data(), slot->buffer().size(), 0};
        const plh_status status = call(&out);
        if (status != PLH_OK) {
            slot->abandon();
            p.fail(describe_status(*p.instance, what, status));
            return false;
        }
        if (out.bytes == 0) {
            slot->abandon();  // nothing emitted this time
            return true;
        }
        const std::size_t bytes = std::min(out.bytes, slot->buffer().size());
        if (auto committed = slot->commit(bytes); !committed) {
            p.fail(p.instance->describe() + ": " + committed.error().message);
            return false;
        }
        ++p.emitted;
        p.output->bytes_written += bytes;
        return true;
    }
}

}  // namespace

void run_processor(ProcessorRuntime& p) {
    const auto* table = static_cast<const plh_processor_vtable*>(p.plan->plugin->descriptor->vtable);
    void* handle = p.instance->handle();
    p.start_ns = platform::monotonic_time_ns();
    read_inputs(
        p,
        [&](std::span<const std::byte> data, const plh_slot_info& info) {
            return emit(p, "process", [&](plh_output_slot* out) { return table->process(handle, data.data(), data.size(), &info, out); });
        },
        [] {}, [](std::chrono::nanoseconds wait) { return wait; });
    if (p.failed().empty() && PLH_HAS_FIELD(table, plh_processor_vtable, flush) && table->flush != nullptr) {
        (void)emit(p, "flush", [&](plh_output_slot* out) { return table->flush(handle, out); });
    }
    p.end_ns = platform::monotonic_time_ns();
    p.done = true;
}

void run_outbound(OutboundRuntime& t) {
    const auto* table = static_cast<const plh_transport_vtable*>(t.plan->plugin->descriptor->vtable);
    void* handle = t.instance->handle();
    const auto poll_ns = static_cast<std::uint64_t>(std::chrono::nanoseconds(kPollTimeout).count());
    t.start_ns = platform::monotonic_time_ns();
    // Right after a send the next slot is only taken if it is there already:
    // under load slots follow each other and the plugin can batch them;
    // the first read that finds nothing calls idle(), which sends the batch.
    bool sent_since_idle = false;
    read_inputs(
        t,
        [&](std::span<const std::byte> data, const plh_slot_info& info) {
            sent_since_idle = true;
            // Without credit the slot stays held: a lossless ring waits for the
            // link exactly as for a slow local consumer.
            for (;;) {
                const plh_status status = table->send(handle, data.data(), data.size(), &info, poll_ns);
                if (status == PLH_OK) return true;
                if (status == PLH_TIMEOUT) {
                    ++t.credit_waits;
                    if (t.instance->stop_requested()) return false;
                    continue;
                }
                t.fail(describe_status(*t.instance, "send", status));
                return false;
            }
        },
        [&] {
            sent_since_idle = false;
            if (table->idle == nullptr) return;
            if (const plh_status status = table->idle(handle, 0); status != PLH_OK && status != PLH_TIMEOUT) {
                t.fail(describe_status(*t.instance, "idle", status));
                t.instance->request_stop();
            }
        },
        [&](std::chrono::nanoseconds wait) { return sent_since_idle ? std::chrono::nanoseconds(0) : wait; });
    if (t.failed().empty() && table->flush != nullptr) {
        if (const plh_status status = table->flush(handle); status != PLH_OK) t.fail(describe_status(*t.instance, "flush", status));
    }
    t.end_ns = platform::monotonic_time_ns();
    t.done = true;
}

}  // namespace pylabhub::host
