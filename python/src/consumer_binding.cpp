// _Consumer: a reader with a row in the channel's consumer table (the
// writer of a lossless channel waits for it); _ReadSlot: one slot read in
// place, or, on latest_only (where the writer never waits and may overtake
// the reader), a copy validated whole before it is handed out.
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include <pybind11/stl.h>

#include "bindings.hpp"
#include "channel_lookup.hpp"
#include "errors.hpp"
#include "interruptible_wait.hpp"
#include "pylabhub/datablock/consumer.hpp"

namespace pylabhub::python {
namespace {

namespace py = pybind11;

struct ReadSlot {
    std::optional<datablock::ReadTransactionGuard> guard;  // lossless: the slot itself
    std::vector<std::byte> copy;                           // latest_only: a validated copy
    bool copied = false;
    std::uint64_t sequence = 0;
    std::uint64_t commit_ns = 0;
    std::size_t size = 0;      // committed bytes
    std::size_t capacity = 0;  // the slot's bytes: a record's trailing padding may lie past `size`

    bool active() const { return copied || (guard && guard->active()); }
    std::span<const std::byte> buffer() const {
        if (!active()) raise_released("slot " + std::to_string(sequence) + " was released (its `with` block ended)");
        return {copied ? copy.data() : guard->buffer().data(), capacity};
    }
    void release() {
        guard.reset();
        copied = false;
        copy = {};
    }
};

struct ChannelConsumer {
    std::string channel;
    std::unique_ptr<host::BrokerLink> broker;
    std::optional<datablock::Consumer> consumer;
    FoundChannel found;

    // An error met after a read_runs call had already taken slots: those
    // are returned, and the error is raised by the next read.
    std::optional<Error> deferred;

    datablock::Consumer& live() {
        if (!consumer) raise_released("consumer of channel '" + channel + "' is closed");
        return *consumer;
    }
    /// The consumer, for a read: raises first what an earlier read deferred.
    datablock::Consumer& for_read() {
        datablock::Consumer& live_consumer = live();
        if (deferred) raise(*std::exchange(deferred, std::nullopt), "channel '" + channel + "'");
        return live_consumer;
    }
};

std::unique_ptr<ChannelConsumer> attach(const std::string& channel, std::optional<std::string> broker, std::optional<std::string> segment,
                                        std::optional<std::string> secret_hex, ExpectedSchema expected, const std::string& id,
                                        const std::string& wait) {
    auto made = std::make_unique<ChannelConsumer>();
    made->channel = channel;
    LocatedChannel located = locate(channel, broker, segment, secret_hex, expected);
    made->broker = std::move(located.broker);
    made->found = std::move(located.found);
    datablock::ConsumerOptions options;
    options.secret = made->found.secret;
    options.wait = value_or_raise(datablock::parse_wait_strategy(wait), "wait");
    if (expected.info && !expected.any_version) options.schema = *expected.info;
    made->consumer.emplace(
        value_or_raise(datablock::Consumer::attach(made->found.shm_name, std::move(options)), "channel '" + channel + "'"));
    const auto& carried = made->consumer->info().schema;
    if (expected.info && expected.any_version && (!carried || carried->hash != expected.info->hash)) {
        raise({ErrorCode::mismatch,
               "segment '" + made->found.shm_name + "' carries " +
                   (carried ? "schema '" + carried->name + "' (hash " + carried->hash_hex() + ")" : std::string("no schema")) +
                   ", the reader expects hash " + expected.info->hash_hex()});
    }
    if (made->broker) made->broker->register_consumer(channel, id);
    return made;
}

ReadSlot acquire(ChannelConsumer& self, std::optional<double> timeout) {
    datablock::Consumer& consumer = self.for_read();
    const bool latest_only = consumer.info().config.sync == datablock::SyncPolicy::latest_only;
    return wait_for<ReadSlot>(
        to_timeout(timeout),
        [&](std::chrono::nanoseconds slice) -> Result<ReadSlot> {
            auto acquired = consumer.acquire_read(slice);
            if (!acquired) return std::move(acquired).error();
            ReadSlot slot;
            slot.sequence = acquired->sequence();
            slot.commit_ns = acquired->commit_ns();
            slot.size = acquired->buffer().size();
            slot.capacity = consumer.info().config.slot_bytes;
            if (!latest_only) {
                slot.guard.emplace(std::move(acquired).value());
                return slot;
            }
            slot.copy.assign(slot.capacity, std::byte{0});
            // Overtaken while copying: never hand it out; the newest slot is next.
            if (!acquired->copy_to(slot.copy)) return make_error(ErrorCode::timeout, "torn");
            slot.copied = true;
            return slot;
        },
        "channel '" + self.channel + "'", "nothing committed in time");
}

/// Where read_runs copies a run: `max_slots` rows of slot_bytes, and per
/// slot its sequence, commit time and committed bytes.
struct RunDestination {
    std::byte* rows = nullptr;
    std::uint64_t* sequences = nullptr;
    std::uint64_t* commit_ns = nullptr;
    std::uint64_t* nbytes = nullptr;
    std::size_t row_bytes = 0;
};

/// Copies one run (up to `wanted` slots) after the `taken` already copied;
/// its slots are released once copied and validated.
Result<std::size_t> copy_run(datablock::Consumer& consumer, const RunDestination& to, std::size_t taken, std::size_t wanted,
                             std::chrono::nanoseconds timeout) {
    auto run = consumer.acquire_read_batch(std::min(wanted, datablock::kMaxBatchSlots), timeout);
    if (!run) return std::move(run).error();
    const std::size_t count = run->size();
    for (std::size_t i = 0; i < count; ++i) {
        const auto payload = run->buffer(i);
        std::byte* row = to.rows + (taken + i) * to.row_bytes;
        std::memcpy(row, payload.data(), payload.size());
        std::memset(row + payload.size(), 0, to.row_bytes - payload.size());
        to.sequences[taken + i] = run->sequence(i);
        to.commit_ns[taken + i] = run->commit_ns(i);
        to.nbytes[taken + i] = payload.size();
    }
    if (auto released = run->release(); !released) return std::move(released).error();  // rewritten while copied: void
    return count;
}

/// Up to `max_slots` slots copied into `rows` and `meta` (3 x max_slots:
/// sequences, commit times, bytes): waits up to `timeout` for the first,
/// then takes what else is committed already, in runs. Returns how many.
std::size_t read_runs(ChannelConsumer& self, const py::buffer& rows, const py::buffer& meta, std::size_t max_slots,
                      std::optional<double> timeout) {
    datablock::Consumer& consumer = self.for_read();
    const py::buffer_info rows_info = rows.request(true);
    const py::buffer_info meta_info = meta.request(true);
    RunDestination to;
    to.row_bytes = consumer.info().config.slot_bytes;
    if (static_cast<std::size_t>(rows_info.size * rows_info.itemsize) < max_slots * to.row_bytes ||
        static_cast<std::size_t>(meta_info.size * meta_info.itemsize) < 3 * max_slots * sizeof(std::uint64_t)) {
        raise({ErrorCode::invalid_argument, "read_runs: the buffers hold fewer than " + std::to_string(max_slots) + " slots"});
    }
    to.rows = static_cast<std::byte*>(rows_info.ptr);
    to.sequences = static_cast<std::uint64_t*>(meta_info.ptr);
    to.commit_ns = to.sequences + max_slots;
    to.nbytes = to.commit_ns + max_slots;
    if (max_slots == 0) return 0;
    const std::string context = "channel '" + self.channel + "'";
    std::size_t taken = wait_for<std::size_t>(
        to_timeout(timeout), [&](std::chrono::nanoseconds slice) { return copy_run(consumer, to, 0, max_slots, slice); }, context,
        "nothing committed in time");
    py::gil_scoped_release unlocked;
    while (taken < max_slots) {
        auto more = copy_run(consumer, to, taken, max_slots - taken, std::chrono::nanoseconds(0));
        if (!more) {
            // Nothing more now, or the end: the next read says so. Anything
            // else would lose the slots already taken if raised now.
            if (more.error().code != ErrorCode::timeout && more.error().code != ErrorCode::closed) self.deferred = more.error();
            break;
        }
        taken += *more;
    }
    return taken;
}

}  // namespace

void bind_consumer(py::module_& module) {
    py::class_<ReadSlot>(module, "_ReadSlot", py::buffer_protocol())
        .def_buffer([](ReadSlot& slot) {
            const auto bytes = slot.buffer();
            return py::buffer_info(const_cast<std::byte*>(bytes.data()), 1, py::format_descriptor<std::uint8_t>::format(), 1,
                                   {bytes.size()}, {1}, true);
        })
        .def_readonly("sequence", &ReadSlot::sequence)
        .def_readonly("commit_ns", &ReadSlot::commit_ns)
        .def_readonly("nbytes", &ReadSlot::size)
        .def_readonly("capacity", &ReadSlot::capacity)
        .def_readonly("copied", &ReadSlot::copied)
        .def_property_readonly(
            "meta",
            [](const ReadSlot& slot) { return py::make_tuple(slot.sequence, slot.commit_ns, slot.size, slot.capacity, slot.copied); })
        .def_property_readonly("active", &ReadSlot::active)
        .def("address", [](const ReadSlot& slot) { return reinterpret_cast<std::uintptr_t>(slot.buffer().data()); })
        .def("release", &ReadSlot::release);

    py::class_<ChannelConsumer>(module, "_Consumer")
        .def_static(
            "attach",
            [](const std::string& channel, std::optional<std::string> broker, std::optional<std::string> segment,
               std::optional<std::string> secret, std::optional<std::string> blds, const std::string& schema_name,
               const std::string& schema_version, const std::string& id, const std::string& wait) {
                return attach(channel, broker, segment, secret, expected_schema(blds, schema_name, schema_version), id, wait);
            },
            py::arg("channel"), py::arg("broker"), py::arg("segment"), py::arg("secret"), py::arg("blds"), py::arg("schema_name"),
            py::arg("schema_version"), py::arg("id"), py::arg("wait"))
        .def("acquire", &acquire, py::arg("timeout"))
        .def("read_runs", &read_runs, py::arg("rows"), py::arg("meta"), py::arg("max_slots"), py::arg("timeout"))
        .def("close",
             [](ChannelConsumer& self) {
                 self.consumer.reset();
                 self.broker.reset();
             })
        .def_readonly("channel", &ChannelConsumer::channel)
        .def_property_readonly("closed", [](const ChannelConsumer& self) { return !self.consumer.has_value(); })
        .def_property_readonly("schema", [](const ChannelConsumer& self) { return describe(self.found); })
        .def_property_readonly("sync",
                               [](ChannelConsumer& self) { return std::string(datablock::to_string(self.live().info().config.sync)); })
        .def_property_readonly("slot_bytes", [](ChannelConsumer& self) { return self.live().info().config.slot_bytes; })
        .def_property_readonly("slots", [](ChannelConsumer& self) { return self.live().info().config.slot_count; });
}

}  // namespace pylabhub::python
