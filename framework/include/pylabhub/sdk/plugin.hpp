// Writing a plugin in C++: derive from sdk::Producer, sdk::Consumer,
// sdk::Processor or sdk::Transport (sdk/transport.hpp) (or sdk::ReadPolicy for a read policy, or describe a
// slot protocol with sdk::ChecksumPolicy / sdk::SyncPolicy), then list
// the classes in PYLABHUB_PLUGIN_LIBRARY. See docs/sdk-guide.md.
//
//   class Sine : public pylabhub::sdk::Producer {
//   public:
//       static constexpr pylabhub::sdk::PluginInfo info{"sine", "1.0.0", "N sine channels at rate_hz"};
//       static constexpr plh_config_entry config[] = { sdk::integer("channels", "8", "channels", 1, 64) };
//       explicit Sine(pylabhub::sdk::Host host) : Producer(host), channels_(host.config_int("channels")) {}
//       WaitResult wait_next(std::chrono::nanoseconds timeout) override;
//       std::size_t fill(std::span<std::byte> slot) override;
//   };
//   PYLABHUB_PLUGIN_LIBRARY(Sine)
//
// Exceptions never cross the ABI: the SDK catches them in every entry point,
// reports the message to the host and returns an error status
// (PluginError's own status, PLH_ERR_INTERNAL for anything else).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <span>
#include <type_traits>

#include "pylabhub/plugin_abi.h"
#include "pylabhub/sdk/config.hpp"
#include "pylabhub/sdk/host.hpp"
#include "pylabhub/sdk/transport.hpp"

namespace pylabhub::sdk {

/// What every plugin class declares as `static constexpr PluginInfo info`.
struct PluginInfo {
    const char* id;           ///< unique among loaded plugins: the `plugin:` a pipeline names
    const char* version;      ///< the plugin's own version: "1.2.0"
    const char* description;  ///< one line, for `pylabhub inspect`
};

/// Instrument -> DataBlock. One instance runs on one producer thread.
class Producer {
public:
    /// What wait_next says: a sample is due, nothing yet (the host asks again), or the stream is finished.
    enum class WaitResult { ready, not_yet, end_of_stream };

    /// Made by the SDK from `create`, with the host of this instance.
    explicit Producer(Host host) : host_(host) {}
    virtual ~Producer() = default;

    /// Block at most `timeout` until the next sample is due or available.
    virtual WaitResult wait_next(std::chrono::nanoseconds timeout) = 0;
    /// Write the sample into `slot` (the shared-memory slot itself); return its size.
    virtual std::size_t fill(std::span<std::byte> slot) = 0;

    /// The host this instance runs in.
    const Host& host() const { return host_; }

private:
    Host host_;
};

/// DataBlock -> recorder, viewer, analysis. One instance runs on one consumer thread.
class Consumer {
public:
    /// Made by the SDK from `create`, with the host of this instance.
    explicit Consumer(Host host) : host_(host) {}
    virtual ~Consumer() = default;

    /// `data` is the slot in shared memory, valid during this call only.
    virtual void consume(std::span<const std::byte> data, const plh_slot_info& info) = 0;
    /// After the last slot (inputs drained): write out what is buffered.
    virtual void flush() {}

    /// The host this instance runs in.
    const Host& host() const { return host_; }

private:
    Host host_;
};

/// Reads channels like a consumer (every slot) and writes one channel like a
/// producer (ABI 1.1). One instance runs on one processor thread.
class Processor {
public:
    /// Made by the SDK from `create`, with the host of this instance.
    explicit Processor(Host host) : host_(host) {}
    virtual ~Processor() = default;

    /// One input slot (valid during the call). Write at most one output
    /// slot into `out`, the output channel's next slot itself, and return
    /// its size; 0 emits nothing.
    virtual std::size_t process(std::span<const std::byte> data, const plh_slot_info& info, std::span<std::byte> out) = 0;
    /// After the inputs are drained: a last output slot, or 0.
    virtual std::size_t flush(std::span<std::byte> out) {
        (void)out;
        return 0;
    }

    /// The host this instance runs in.
    const Host& host() const { return host_; }

private:
    Host host_;
};

/// A read policy (ABI 1.1): chooses which slot one reader gets next. The
/// host makes an instance for each input that names it (`read: ID`), with
/// that input's config. Also provide `static constexpr PluginInfo info`.
class ReadPolicy {
public:
    /// Made by the SDK from `create`, with the host of this instance.
    explicit ReadPolicy(Host host) : host_(host) {}
    virtual ~ReadPolicy() = default;

    /// Reader thread; must not block. Use read(sequence) or wait(...).
    virtual plh_read_choice select(const plh_read_state& state) = 0;

    /// A choice: read the slot with this sequence id.
    static plh_read_choice read(std::uint64_t sequence) { return {sizeof(plh_read_choice), PLH_READ_SLOT, sequence, 0}; }
    /// Nothing now: ask again after `at_most`, or at the next commit (zero).
    static plh_read_choice wait(std::chrono::nanoseconds at_most = std::chrono::nanoseconds(0)) {
        return {sizeof(plh_read_choice), PLH_READ_WAIT, 0, static_cast<std::uint64_t>(at_most.count())};
    }
    /// True when no slot newer than the last one read has been committed.
    static bool nothing_new(const plh_read_state& state) {
        return state.newest_sequence == UINT64_MAX || (state.last_sequence != UINT64_MAX && state.newest_sequence <= state.last_sequence);
    }

    /// The host this instance runs in.
    const Host& host() const { return host_; }

private:
    Host host_;
};

/// Base for checksum-policy descriptions (no instances). Provide
///   static constexpr PluginInfo info; static constexpr uint32_t policy_id, digest_bytes;
///   static void compute(const void* data, std::size_t size, std::uint8_t* digest);
struct ChecksumPolicy {};

/// Base for sync-policy descriptions (no instances). Provide
///   static constexpr PluginInfo info; static constexpr uint32_t policy_id, lossless, max_consumers;
struct SyncPolicy {};

namespace detail {

template <typename F>
plh_status guarded(const Host& host, F&& body) noexcept {
    try {
        return body();
    } catch (const PluginError& e) {
        host.report_error(e.what());
        return e.status();
    } catch (const std::exception& e) {
        host.report_error(e.what());
        return PLH_ERR_INTERNAL;
    } catch (...) {
        host.report_error("unknown exception");
        return PLH_ERR_INTERNAL;
    }
}

template <typename P>
const plh_config_entry* const* config_pointers() {
    if constexpr (requires { P::config; }) {
        static const auto pointers = [] {
            std::array<const plh_config_entry*, std::size(P::config)> all{};
            for (std::size_t i = 0; i < all.size(); ++i) all[i] = &P::config[i];
            return all;
        }();
        return pointers.data();
    } else {
        return nullptr;
    }
}

template <typename P>
constexpr uint32_t config_count() {
    if constexpr (requires { P::config; }) {
        return static_cast<uint32_t>(std::size(P::config));
    } else {
        return 0;
    }
}

template <typename P>
const plh_schema_desc* schema_of() {
    if constexpr (requires { P::schema; }) {
        return &P::schema;
    } else {
        return nullptr;
    }
}

// The instance pointer is always the Base subobject, which the vtable
// functions cast back to.
template <typename P, typename Base>
plh_status create(const plh_host_api* api, plh_host_context* ctx, void** instance) noexcept {
    const Host host(api, ctx);
    return guarded(host, [&] {
        *instance = static_cast<void*>(static_cast<Base*>(new P(host)));
        return PLH_OK;
    });
}

template <typename Base>
void destroy(void* instance) noexcept {
    delete static_cast<Base*>(instance);
}

inline plh_status producer_wait_next(void* instance, uint64_t timeout_ns) noexcept {
    auto* producer = static_cast<Producer*>(instance);
    return guarded(producer->host(), [&] {
        switch (producer->wait_next(std::chrono::nanoseconds(timeout_ns))) {
        case Producer::WaitResult::ready: return PLH_OK;
        case Producer::WaitResult::not_yet: return PLH_TIMEOUT;
        case Producer::WaitResult::end_of_stream: return PLH_END;
        }
        return PLH_ERR_INTERNAL;
    });
}

inline plh_status producer_fill(void* instance, void* slot, size_t capacity, size_t* bytes) noexcept {
    auto* producer = static_cast<Producer*>(instance);
    return guarded(producer->host(), [&] {
        const std::size_t written = producer->fill(std::span(static_cast<std::byte*>(slot), capacity));
        if (written > capacity) throw PluginError(PLH_ERR_INVALID, "fill() returned more bytes than the slot holds");
        *bytes = written;
        return PLH_OK;
    });
}

inline plh_status consumer_consume(void* instance, const void* data, size_t size, const plh_slot_info* info) noexcept {
    auto* consumer = static_cast<Consumer*>(instance);
    return guarded(consumer->host(), [&] {
        consumer->consume(std::span(static_cast<const std::byte*>(data), size), *info);
        return PLH_OK;
    });
}

inline plh_status consumer_flush(void* instance) noexcept {
    auto* consumer = static_cast<Consumer*>(instance);
    return guarded(consumer->host(), [&] {
        consumer->flush();
        return PLH_OK;
    });
}

inline plh_status processor_call(void* instance, plh_output_slot* out, auto&& body) noexcept {
    auto* processor = static_cast<Processor*>(instance);
    return guarded(processor->host(), [&] {
        const std::size_t written = body(*processor, std::span(static_cast<std::byte*>(out->data), out->capacity));
        if (written > out->capacity) throw PluginError(PLH_ERR_INVALID, "the processor wrote more bytes than the output slot holds");
        out->bytes = written;
        return PLH_OK;
    });
}

inline plh_status processor_process(void* instance, const void* data, size_t size, const plh_slot_info* info,
                                    plh_output_slot* out) noexcept {
    return processor_call(instance, out, [&](Processor& p, std::span<std::byte> slot) {
        return p.process(std::span(static_cast<const std::byte*>(data), size), *info, slot);
    });
}

inline plh_status processor_flush(void* instance, plh_output_slot* out) noexcept {
    return processor_call(instance, out, [&](Processor& p, std::span<std::byte> slot) { return p.flush(slot); });
}

inline plh_status read_policy_select(void* instance, const plh_read_state* state, plh_read_choice* choice) noexcept {
    auto* policy = static_cast<ReadPolicy*>(instance);
    return guarded(policy->host(), [&] {
        *choice = policy->select(*state);
        return PLH_OK;
    });
}

inline plh_status transport_send(void* instance, const void* data, size_t size, const plh_slot_info* info, uint64_t timeout_ns) noexcept {
    auto* t = static_cast<Transport*>(instance);
    return guarded(t->host(), [&] {
        return t->send(std::span(static_cast<const std::byte*>(data), size), *info, std::chrono::nanoseconds(timeout_ns)) ? PLH_OK
                                                                                                                          : PLH_TIMEOUT;
    });
}

inline plh_status transport_idle(void* instance, uint64_t timeout_ns) noexcept {
    auto* t = static_cast<Transport*>(instance);
    return guarded(t->host(), [&] {
        t->idle(std::chrono::nanoseconds(timeout_ns));
        return PLH_OK;
    });
}

inline plh_status transport_stream(void* instance, uint64_t timeout_ns, const plh_stream_info** out) noexcept {
    auto* t = static_cast<Transport*>(instance);
    return guarded(t->host(), [&] {
        *out = t->stream(std::chrono::nanoseconds(timeout_ns));
        return *out != nullptr ? PLH_OK : PLH_TIMEOUT;
    });
}

inline plh_status transport_receive(void* instance, void* slot, size_t capacity, plh_received_slot* got, uint64_t timeout_ns) noexcept {
    auto* t = static_cast<Transport*>(instance);
    return guarded(t->host(), [&] {
        switch (t->receive(std::span(static_cast<std::byte*>(slot), capacity), *got, std::chrono::nanoseconds(timeout_ns))) {
        case Transport::Received::slot:
            if (got->bytes > capacity) throw PluginError(PLH_ERR_INVALID, "receive() reported more bytes than the slot holds");
            return PLH_OK;
        case Transport::Received::nothing_yet: return PLH_TIMEOUT;
        case Transport::Received::end_of_stream: return PLH_END;
        case Transport::Received::stream_changed: return PLH_STREAM_CHANGED;
        }
        return PLH_ERR_INTERNAL;
    });
}

inline plh_status transport_flush(void* instance) noexcept {
    auto* t = static_cast<Transport*>(instance);
    return guarded(t->host(), [&] {
        t->flush();
        return PLH_OK;
    });
}

inline constexpr plh_transport_vtable kTransportVtable{
    sizeof(plh_transport_vtable), transport_send, transport_idle, transport_stream, transport_receive, transport_flush};

inline constexpr plh_processor_vtable kProcessorVtable{sizeof(plh_processor_vtable), processor_process, processor_flush};
inline constexpr plh_sync_vtable kReadPolicyVtable{sizeof(plh_sync_vtable), 0, 0, 0, read_policy_select};
inline constexpr plh_producer_vtable kProducerVtable{sizeof(plh_producer_vtable), producer_wait_next, producer_fill};
inline constexpr plh_consumer_vtable kConsumerVtable{sizeof(plh_consumer_vtable), consumer_consume, consumer_flush};

template <typename P>
const plh_plugin_descriptor* descriptor_for() {
    static const plh_plugin_descriptor descriptor = [] {
        plh_plugin_descriptor d{};
        d.struct_size = sizeof(plh_plugin_descriptor);
        d.id = P::info.id;
        d.version = P::info.version;
        d.description = P::info.description;
        d.config = config_pointers<P>();
        d.config_count = config_count<P>();
        d.schema = schema_of<P>();
        if constexpr (std::is_base_of_v<Producer, P>) {
            d.kind = PLH_KIND_PRODUCER;
            d.create = create<P, Producer>;
            d.destroy = destroy<Producer>;
            d.vtable = &kProducerVtable;
        } else if constexpr (std::is_base_of_v<Consumer, P>) {
            d.kind = PLH_KIND_CONSUMER;
            d.create = create<P, Consumer>;
            d.destroy = destroy<Consumer>;
            d.vtable = &kConsumerVtable;
        } else if constexpr (std::is_base_of_v<Processor, P>) {
            d.kind = PLH_KIND_PROCESSOR;
            d.create = create<P, Processor>;
            d.destroy = destroy<Processor>;
            d.vtable = &kProcessorVtable;
        } else if constexpr (std::is_base_of_v<Transport, P>) {
            d.kind = PLH_KIND_TRANSPORT;
            d.create = create<P, Transport>;
            d.destroy = destroy<Transport>;
            d.vtable = &kTransportVtable;
        } else if constexpr (std::is_base_of_v<ReadPolicy, P>) {
            d.kind = PLH_KIND_SYNC;
            d.create = create<P, ReadPolicy>;
            d.destroy = destroy<ReadPolicy>;
            d.vtable = &kReadPolicyVtable;
        } else if constexpr (std::is_base_of_v<ChecksumPolicy, P>) {
            static constexpr plh_checksum_vtable table{sizeof(plh_checksum_vtable), P::policy_id, P::digest_bytes, P::compute};
            d.kind = PLH_KIND_CHECKSUM;
            d.vtable = &table;
        } else if constexpr (std::is_base_of_v<SyncPolicy, P>) {
            static constexpr plh_sync_vtable table{sizeof(plh_sync_vtable), P::policy_id, P::lossless, P::max_consumers, nullptr};
            d.kind = PLH_KIND_SYNC;
            d.vtable = &table;
        } else {
            static_assert(sizeof(P) == 0,
                          "a plugin derives from sdk::Producer, Consumer, Processor, Transport, ReadPolicy, ChecksumPolicy or SyncPolicy");
        }
        return d;
    }();
    return &descriptor;
}

template <typename... Plugins>
const plh_entry* library_entry() {
    static const plh_plugin_descriptor* const descriptors[] = {descriptor_for<Plugins>()...};
    static std::atomic<int> references{0};
    static const plh_entry entry{
        sizeof(plh_entry),
        PLH_ABI_MAJOR,
        PLH_ABI_MINOR,
        []() -> int32_t {
            references.fetch_add(1);
            return 0;
        },
        []() { references.fetch_sub(1); },
        []() -> uint32_t { return sizeof...(Plugins); },
        [](uint32_t index) -> const plh_plugin_descriptor* { return index < sizeof...(Plugins) ? descriptors[index] : nullptr; },
    };
    return &entry;
}

}  // namespace detail
}  // namespace pylabhub::sdk

/// Generates the library's one exported symbol, listing its plugin classes.
#define PYLABHUB_PLUGIN_LIBRARY(...) \
    extern "C" PLH_EXPORT const plh_entry* plh_plugin_entry(void) { return ::pylabhub::sdk::detail::library_entry<__VA_ARGS__>(); }
