// pylabhub._pylabhub: the C++ core of the Python package. Users import
// `pylabhub`, whose Python layer adds numpy dtypes and context managers.
#include "bindings.hpp"
#include "errors.hpp"
#include "version.hpp"

PYBIND11_MODULE(_pylabhub, module) {
    module.doc() = "The C++ core of pylabhub (use the pylabhub package, not this module).";
    module.attr("__version__") = pylabhub::host::version();
    module.attr("__commit__") = pylabhub::host::commit();
    pylabhub::python::bind_errors(module);
    pylabhub::python::bind_schema(module);
    pylabhub::python::bind_producer(module);
    pylabhub::python::bind_consumer(module);
    pylabhub::python::bind_observer(module);
    pylabhub::python::bind_broker(module);
    pylabhub::python::bind_recording(module);
}
