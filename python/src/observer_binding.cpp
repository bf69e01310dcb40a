// _Observer: watches a channel like `pylabhub echo`, without a row in the
// consumer table, so its producer never waits for it; every slot it hands
// out is a copy validated whole.
#include <memory>
#include <optional>

#include <pybind11/stl.h>

#include "bindings.hpp"
#include "channel_lookup.hpp"
#include "errors.hpp"
#include "interruptible_wait.hpp"
#include "pylabhub/datablock/observer.hpp"

namespace pylabhub::python {
namespace {

namespace py = pybind11;

struct ChannelObserver {
    std::string channel;
    std::unique_ptr<host::BrokerLink> broker;
    std::optional<datablock::Observer> observer;
    FoundChannel found;
    std::uint64_t last = UINT64_MAX;
};

}  // namespace

void bind_observer(py::module_& module) {
    py::class_<ChannelObserver>(module, "_Observer")
        .def_static(
            "attach",
            [](const std::string& channel, std::optional<std::string> broker, std::optional<std::string> segment,
               std::optional<std::string> secret) {
                auto made = std::make_unique<ChannelObserver>();
                made->channel = channel;
                if (segment) {
                    made->found = value_or_raise(channel_at_segment(*segment, secret.value_or("")));
                } else {
                    made->broker = value_or_raise(connect_broker(broker), "channel '" + channel + "'");
                    ExpectedSchema any;
                    made->found = value_or_raise(find_channel(*made->broker, channel, any));
                }
                made->observer.emplace(
                    value_or_raise(datablock::Observer::attach(made->found.shm_name, made->found.secret), "channel '" + channel + "'"));
                return made;
            },
            py::arg("channel"), py::arg("broker"), py::arg("segment"), py::arg("secret"))
        .def(
            "next",
            [](ChannelObserver& self, std::optional<double> timeout) {
                if (!self.observer) raise_released("observer of channel '" + self.channel + "' is closed");
                std::optional<datablock::ObservedSlot> slot;
                std::optional<Error> failed;
                const bool got = wait_interruptibly(to_timeout(timeout), [&](std::chrono::nanoseconds slice) {
                    auto next = self.observer->next(self.last, slice);
                    if (next) {
                        slot.emplace(std::move(next).value());
                        return true;
                    }
                    if (next.error().code == ErrorCode::timeout) return false;
                    failed = next.error();
                    return true;
                });
                if (failed) raise(*failed, "channel '" + self.channel + "'");
                if (!got) raise({ErrorCode::timeout, "channel '" + self.channel + "': nothing committed in time"});
                self.last = slot->sequence;
                py::bytes payload(reinterpret_cast<const char*>(slot->payload.data()), slot->payload.size());
                return py::make_tuple(slot->sequence, slot->commit_ns, payload);
            },
            py::arg("timeout"), "(sequence, commit_ns, bytes) of the newest slot after the last one seen")
        .def("close",
             [](ChannelObserver& self) {
                 self.observer.reset();
                 self.broker.reset();
             })
        .def_readonly("channel", &ChannelObserver::channel)
        .def_property_readonly("schema", [](const ChannelObserver& self) { return describe(self.found); });
}

}  // namespace pylabhub::python
