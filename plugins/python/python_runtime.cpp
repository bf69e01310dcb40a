#include "python_runtime.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>

#include <pybind11/embed.h>
#include <pylabhub/sdk/host.hpp>

#include "python_shared.hpp"

namespace py = pybind11;

// What `import pylabhub` uses inside a host instead of its extension module
// (which would bring a second copy of the hub into the process): the BLDS
// parser and the view helper. Its presence tells pylabhub it is embedded.
PYBIND11_EMBEDDED_MODULE(_pylabhub_embedded, module) {
    module.attr("__version__") = "embedded";
    pylabhub::python_shared::bind_shared(module);
}

namespace pylabhub::python_plugin {

void ensure_interpreter() {
    static std::once_flag once;
    static std::string failure;
    std::call_once(once, [] {
        // The host loaded this library with RTLD_LOCAL, so libpython's symbols
        // are hidden from the extension modules Python loads next (numpy's),
        // which expect them global: promote libpython to global first.
        if (::dlopen(PYLABHUB_LIBPYTHON, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD) == nullptr) {
            failure = std::string("cannot make ") + PYLABHUB_LIBPYTHON + " global: " + ::dlerror();
            return;
        }
        // No signal handlers: Ctrl-C belongs to the host, which stops the pipeline.
        py::initialize_interpreter(false);
        try {
            py::list path = py::module_::import("sys").attr("path");
            if (std::filesystem::exists(PYLABHUB_PYTHON_BUILD_DIR)) path.append(PYLABHUB_PYTHON_BUILD_DIR);
            py::module_::import("numpy");
        } catch (const py::error_already_set& e) {
            failure = "numpy cannot be imported (apt install python3-numpy): " + std::string(e.what());
        }
        PyEval_SaveThread();  // from here on, each call takes the GIL
    });
    if (!failure.empty()) throw sdk::PluginError(PLH_ERR_UNSUPPORTED, "python: " + failure);
}

std::string describe(const py::error_already_set& error) {
    try {
        py::module_ traceback = py::module_::import("traceback");
        // A handle may be null (no traceback): None is what format_exception takes then.
        auto or_none = [](const py::object& o) { return o ? o : py::none().cast<py::object>(); };
        py::list lines = traceback.attr("format_exception")(or_none(error.type()), or_none(error.value()), or_none(error.trace()));
        std::string text;
        for (const auto& line : lines) text += line.cast<std::string>();
        while (!text.empty() && text.back() == '\n') text.pop_back();
        return text;
    } catch (const std::exception&) {  // formatting failed: Python's own one-line form
        return error.what();
    }
}

}  // namespace pylabhub::python_plugin
