#include <pybind11/stl.h>

#include "bindings.hpp"
#include "errors.hpp"
#include "pylabhub/messagehub/client.hpp"

namespace pylabhub::python {

namespace py = pybind11;

void bind_broker(py::module_& module) {
    module.def("default_broker", &messagehub::default_endpoint, "The broker endpoint used when none is given (one per user and machine).");
    module.def(
        "channels",
        [](std::optional<std::string> endpoint) {
            const std::string at = endpoint.value_or(messagehub::default_endpoint());
            messagehub::Client client(at);
            Result<std::vector<messagehub::ChannelRecord>> listed = make_error(ErrorCode::timeout, "");
            {
                py::gil_scoped_release unlocked;
                listed = client.list();
            }
            auto records = value_or_raise(std::move(listed), "broker " + at);
            py::list out;
            for (const auto& r : records) {
                py::dict d;
                d["channel"] = r.channel;
                d["segment"] = r.shm_name;
                d["schema"] = py::dict(py::arg("name") = r.schema_name, py::arg("version") = r.schema_version,
                                       py::arg("blds") = r.schema_blds, py::arg("hash") = r.schema_hash);
                d["producer_pid"] = r.producer_pid;
                d["producer_host"] = r.producer_host;
                py::list consumers;
                for (const auto& c : r.consumers)
                    consumers.append(py::dict(py::arg("id") = c.id, py::arg("pid") = c.pid, py::arg("host") = c.host));
                d["consumers"] = consumers;
                out.append(d);
            }
            return out;
        },
        py::arg("broker") = py::none(), "Every channel the broker knows, with its schema, producer and consumers.");
}

}  // namespace pylabhub::python
