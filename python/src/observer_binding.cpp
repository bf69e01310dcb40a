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
                ExpectedSchema any;
                LocatedChannel located = locate(channel, broker, segment, secret, any);
                made->broker = std::move(located.broker);
                made->found = std::move(located.found);
                made->observer.emplace(
                    value_or_raise(datablock::Observer::attach(made->found.shm_name, made->found.secret), "channel '" + channel + "'"));
                return made;
            },
            py::arg("channel"), py::arg("broker"), py::arg("segment"), py::arg("secret"))
        .def(
            "next",
            [](ChannelObserver& self, std::optional<double> timeout) {
                if (!self.observer) raise_released("observer of channel '" + self.channel + "' is closed");
                auto slot = wait_for<datablock::ObservedSlot>(
                    to_timeout(timeout), [&](std::chrono::nanoseconds slice) { return self.observer->next(self.last, slice); },
                    "channel '" + self.channel + "'", "nothing committed in time");
                self.last = slot.sequence;
                py::bytes payload(reinterpret_cast<const char*>(slot.payload.data()), slot.payload.size());
                return py::make_tuple(slot.sequence, slot.commit_ns, payload);
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
