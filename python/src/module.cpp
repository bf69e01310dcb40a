// pylabhub._pylabhub: the C++ core of the Python package. Users import
// `pylabhub`, whose Python layer adds numpy dtypes and context managers.
#include "bindings.hpp"
#include "errors.hpp"
#include "pylabhub/log.hpp"
#include "version.hpp"

PYBIND11_MODULE(_pylabhub, module) {
    module.doc() = "The C++ core of pylabhub (use the pylabhub package, not this module).";
    module.attr("__version__") = pylabhub::host::version();
    module.attr("__commit__") = pylabhub::host::commit();
    // A script is not a service: only warnings and errors unless asked.
    pylabhub::log::set_level(pylabhub::log::Level::warn);
    module.def(
        "set_log_level",
        [](const std::string& level) {
            pylabhub::log::set_level(pylabhub::python::value_or_raise(pylabhub::log::parse_level(level), "log level"));
        },
        pybind11::arg("level"), "How much the hub logs to stderr: trace, debug, info, warn (the default), error, critical, off.");
    pylabhub::python::bind_errors(module);
    pylabhub::python::bind_schema(module);
    pylabhub::python::bind_producer(module);
    pylabhub::python::bind_consumer(module);
    pylabhub::python::bind_observer(module);
    pylabhub::python::bind_broker(module);
    pylabhub::python::bind_recording(module);
}
