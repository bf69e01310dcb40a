#include "errors.hpp"

namespace pylabhub::python {
namespace {

namespace py = pybind11;

// Made once at import; module objects live as long as the interpreter.
PyObject* g_error = nullptr;
PyObject* g_timeout = nullptr;
PyObject* g_closed = nullptr;
PyObject* g_mismatch = nullptr;
PyObject* g_corrupt = nullptr;
PyObject* g_not_found = nullptr;
PyObject* g_released = nullptr;

PyObject* make_class(py::module_& module, const char* name, PyObject* bases, const char* doc) {
    const std::string qualified = std::string("pylabhub.") + name;
    PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases, nullptr);
    if (type == nullptr) throw py::error_already_set();
    module.add_object(name, py::handle(type));
    return type;
}

PyObject* bases(PyObject* first, PyObject* second) { return py::make_tuple(py::handle(first), py::handle(second)).release().ptr(); }

}  // namespace

void bind_errors(py::module_& module) {
    g_error = make_class(module, "Error", PyExc_RuntimeError, "Anything the hub refuses or reports; every pylabhub exception is one.");
    g_timeout = make_class(module, "TimeoutError", bases(g_error, PyExc_TimeoutError), "Nothing arrived (or no room came) in time.");
    g_closed = make_class(module, "ChannelClosed", bases(g_error, PyExc_EOFError),
                          "The producer closed the channel and everything it committed was read.");
    g_mismatch = make_class(module, "SchemaMismatch", bases(g_error, PyExc_ValueError),
                            "Two sides disagree about the slot layout (both schemas and hashes are named).");
    g_corrupt = make_class(module, "CorruptData", g_error, "Data failed its checksum or validation.");
    g_not_found = make_class(module, "NotFound", bases(g_error, PyExc_LookupError), "No such channel, segment or file.");
    g_released = make_class(module, "SlotReleasedError", g_error,
                            "A slot's data was used after its `with` block ended (copy it inside the block to keep it).");
}

void raise(const Error& error, const std::string& context) {
    PyObject* type = g_error;
    switch (error.code) {
    case ErrorCode::timeout: type = g_timeout; break;
    case ErrorCode::closed: type = g_closed; break;
    case ErrorCode::mismatch: type = g_mismatch; break;
    case ErrorCode::corrupt: type = g_corrupt; break;
    case ErrorCode::not_found: type = g_not_found; break;
    case ErrorCode::invalid_argument: type = PyExc_ValueError; break;
    case ErrorCode::permission_denied: type = PyExc_PermissionError; break;
    default: break;
    }
    const std::string message = context.empty() ? error.message : context + ": " + error.message;
    PyErr_SetString(type, message.c_str());
    throw py::error_already_set();
}

void raise_released(const std::string& what) {
    PyErr_SetString(g_released, what.c_str());
    throw py::error_already_set();
}

}  // namespace pylabhub::python
