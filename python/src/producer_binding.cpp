// _Producer: a channel created from Python, registered with the broker like
// a pipeline's; _WriteSlot: one slot being written in place.
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>

#include <pybind11/stl.h>

#include "bindings.hpp"
#include "errors.hpp"
#include "interruptible_wait.hpp"
#include "pipeline/broker_link.hpp"
#include "pipeline/pipeline_plan.hpp"
#include "pylabhub/datablock/producer.hpp"
#include "pylabhub/platform/process.hpp"

namespace pylabhub::python {
namespace {

namespace py = pybind11;

struct WriteSlot {
    std::optional<datablock::WriteTransactionGuard> guard;
    std::uint64_t sequence = 0;

    std::span<std::byte> buffer() const {
        if (!guard || !guard->active()) raise_released("slot " + std::to_string(sequence) + " was committed or abandoned");
        return guard->buffer();
    }
};

struct ChannelProducer {
    std::string channel;
    std::unique_ptr<host::BrokerLink> broker;
    std::optional<datablock::Producer> producer;

    datablock::Producer& live() {
        if (!producer) raise_released("producer of channel '" + channel + "' is closed");
        return *producer;
    }
    void close() {
        if (broker) broker->deregister(channel);
        producer.reset();  // closes the block: readers drain, then see the end
        broker.reset();
    }
};

std::unique_ptr<ChannelProducer> create(const std::string& channel, std::optional<std::string> blds, const std::string& schema_name,
                                        const std::string& schema_version, std::uint32_t slots, std::size_t slot_bytes,
                                        const std::string& sync, const std::string& checksum, const std::string& wait,
                                        std::optional<std::string> broker, bool registered, bool replace) {
    datablock::DataBlockConfig config;
    config.slot_count = slots;
    config.slot_bytes = slot_bytes;
    config.sync = value_or_raise(datablock::parse_sync_policy(sync), "sync");
    config.checksum = value_or_raise(datablock::parse_checksum_kind(checksum), "checksum");
    datablock::ProducerOptions options;
    options.wait = value_or_raise(datablock::parse_wait_strategy(wait), "wait");
    options.replace_existing = replace;
    if (blds) {
        options.schema = value_or_raise(schema::SchemaInfo::from_blds(schema_name, *blds, schema_version), "schema '" + schema_name + "'");
        if (options.schema->struct_size > slot_bytes) {
            raise({ErrorCode::invalid_argument,
                   "channel '" + channel + "': slot_bytes " + std::to_string(slot_bytes) + " cannot hold '" + schema_name + "' of " +
                       std::to_string(options.schema->struct_size) + " bytes"});
        }
    }
    auto made = std::make_unique<ChannelProducer>();
    made->channel = channel;
    // The broker first: its embedded thread must start before the segment exists (BrokerLink::open).
    if (registered) made->broker = value_or_raise(host::BrokerLink::open(broker), "channel '" + channel + "'");
    made->producer.emplace(
        value_or_raise(datablock::Producer::create(host::channel_shm_name(channel), config, options), "channel '" + channel + "'"));
    if (!registered) return made;  // readers attach by segment name and secret
    messagehub::ChannelRecord record;
    record.channel = channel;
    record.shm_name = made->producer->shm_name();
    record.secret_hex = crypto::to_hex(made->producer->secret());
    if (const auto& s = made->producer->schema()) {
        record.schema_name = s->name;
        record.schema_version = s->version.to_string();
        record.schema_blds = s->blds;
        record.schema_hash = s->hash_hex();
    }
    record.producer_pid = platform::current_pid();
    record.producer_host = host::host_name();
    value_or_raise(made->broker->register_channel(record), "channel '" + channel + "'");
    return made;
}

/// Copies `slots` rows of `bytes_each` bytes from `rows` into the next
/// slots, handed over in runs (WriteBatch: one publication per run). The
/// copying and committing run without the GIL. Returns the first slot's
/// sequence; a timeout names how many slots were published before it.
std::uint64_t write_runs(ChannelProducer& self, const py::buffer& rows, std::size_t slots, std::size_t bytes_each,
                         std::optional<double> timeout) {
    datablock::Producer& producer = self.live();
    const py::buffer_info source = rows.request();
    if (bytes_each > producer.config().slot_bytes) {
        raise({ErrorCode::invalid_argument,
               "channel '" + self.channel + "': rows of " + std::to_string(bytes_each) + " bytes do not fit its slots of " +
                   std::to_string(producer.config().slot_bytes)});
    }
    if (static_cast<std::size_t>(source.size * source.itemsize) < slots * bytes_each) {
        raise({ErrorCode::invalid_argument,
               "channel '" + self.channel + "': the buffer holds fewer than " + std::to_string(slots) + " rows of " +
                   std::to_string(bytes_each) + " bytes"});
    }
    const auto* from = static_cast<const std::byte*>(source.ptr);
    const std::uint64_t first = producer.next_sequence();
    const WaitBudget budget(to_timeout(timeout));
    std::size_t written = 0;
    while (written < slots) {
        const std::string progress = std::to_string(written) + " of " + std::to_string(slots) + " slots were written" +
            (written > 0 ? " (sequences " + std::to_string(first) + ".." + std::to_string(first + written - 1) + ")" : std::string());
        written += wait_for<std::size_t>(
            budget.left(),
            [&](std::chrono::nanoseconds slice) -> Result<std::size_t> {
                auto run = producer.acquire_write_batch(std::min(slots - written, datablock::kMaxBatchSlots), slice);
                if (!run) return std::move(run).error();
                const std::size_t count = run->size();
                for (std::size_t i = 0; i < count; ++i) std::memcpy(run->buffer(i).data(), from + (written + i) * bytes_each, bytes_each);
                if (auto committed = run->commit_uniform(count, bytes_each); !committed) return std::move(committed).error();
                return count;
            },
            "channel '" + self.channel + "'", "no free slot in time (a lossless reader is behind); " + progress);
    }
    return first;
}

}  // namespace

void bind_producer(py::module_& module) {
    py::class_<WriteSlot>(module, "_WriteSlot", py::buffer_protocol())
        .def_buffer([](WriteSlot& slot) {
            const auto bytes = slot.buffer();
            return py::buffer_info(bytes.data(), 1, py::format_descriptor<std::uint8_t>::format(), 1, {bytes.size()}, {1}, false);
        })
        .def_readonly("sequence", &WriteSlot::sequence)
        .def_property_readonly("active", [](const WriteSlot& s) { return s.guard && s.guard->active(); })
        .def(
            "commit",
            [](WriteSlot& slot, std::size_t bytes) {
                slot.buffer();  // raises when released
                auto done = slot.guard->commit(bytes);
                slot.guard.reset();
                value_or_raise(std::move(done), "commit of slot " + std::to_string(slot.sequence));
            },
            py::arg("nbytes"))
        .def("abandon", [](WriteSlot& slot) { slot.guard.reset(); });

    py::class_<ChannelProducer>(module, "_Producer")
        .def_static("create", &create, py::arg("channel"), py::arg("blds"), py::arg("schema_name"), py::arg("schema_version"),
                    py::arg("slots"), py::arg("slot_bytes"), py::arg("sync"), py::arg("checksum"), py::arg("wait"), py::arg("broker"),
                    py::arg("registered"), py::arg("replace"))
        .def(
            "acquire",
            [](ChannelProducer& self, std::optional<double> timeout) {
                datablock::Producer& producer = self.live();
                auto guard = wait_for<datablock::WriteTransactionGuard>(
                    to_timeout(timeout), [&](std::chrono::nanoseconds slice) { return producer.acquire_write(slice); },
                    "channel '" + self.channel + "'", "no free slot in time (a lossless reader is behind)");
                WriteSlot slot;
                slot.sequence = guard.sequence();
                slot.guard.emplace(std::move(guard));
                return slot;
            },
            py::arg("timeout"))
        .def("write_runs", &write_runs, py::arg("rows"), py::arg("slots"), py::arg("bytes_each"), py::arg("timeout"))
        .def("close", &ChannelProducer::close)
        .def_readonly("channel", &ChannelProducer::channel)
        .def_property_readonly("closed", [](const ChannelProducer& self) { return !self.producer.has_value(); })
        .def_property_readonly("shm_name", [](ChannelProducer& self) { return self.live().shm_name(); })
        .def_property_readonly("secret", [](ChannelProducer& self) { return crypto::to_hex(self.live().secret()); })
        .def_property_readonly("slot_bytes", [](ChannelProducer& self) { return self.live().config().slot_bytes; })
        .def_property_readonly("slots", [](ChannelProducer& self) { return self.live().config().slot_count; })
        .def_property_readonly("sync", [](ChannelProducer& self) { return std::string(datablock::to_string(self.live().config().sync)); })
        .def_property_readonly("next_sequence", [](ChannelProducer& self) { return self.live().next_sequence(); })
        .def_property_readonly("broker", [](ChannelProducer& self) { return self.broker ? self.broker->endpoint() : std::string(); })
        .def_property_readonly("schema_hash", [](ChannelProducer& self) {
            const auto& s = self.live().schema();
            return s ? s->hash_hex() : std::string();
        });
}

}  // namespace pylabhub::python
