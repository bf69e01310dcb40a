#include "python_class.hpp"

#include <filesystem>

#include <pylabhub/sdk/plugin.hpp>

#include "python_runtime.hpp"

namespace pylabhub::python_plugin {

namespace py = pybind11;

PythonClass::PythonClass(const sdk::Host& host) {
    ensure_interpreter();
    const std::string module_name = host.config_string("module");
    const std::string class_name = host.config_string("class");
    const std::string path = host.config_string("path");
    const std::string settings = host.config_json("settings");
    name_ = module_name + "." + class_name;
    py::gil_scoped_acquire gil;
    try {
        load(module_name, class_name, path, settings);
    } catch (...) {
        // A constructor that throws runs no destructor: drop the Python objects while the GIL is held.
        release();
        throw;
    }
}

void PythonClass::load(const std::string& module_name, const std::string& class_name, const std::string& path,
                       const std::string& settings) {
    py::object module;
    try {
        py::list sys_path = py::module_::import("sys").attr("path");
        if (!path.empty()) {
            const std::string dir = std::filesystem::absolute(path).lexically_normal().string();
            if (!std::filesystem::is_directory(dir)) throw sdk::ConfigError("path '" + path + "': no such directory (" + dir + ")");
            if (!sys_path.contains(dir)) sys_path.insert(0, dir);
        }
        module = py::module_::import("importlib").attr("import_module")(module_name);
    } catch (const py::error_already_set& e) {
        if (e.matches(PyExc_ModuleNotFoundError)) {
            throw sdk::ConfigError("module '" + module_name + "' not found (" +
                                   std::string(e.value().attr("__str__")().cast<std::string>()) + "); searched " +
                                   (path.empty() ? std::string() : "'" + path + "' (config 'path') and ") + "Python's sys.path");
        }
        throw sdk::PluginError(PLH_ERR_CONFIG, "importing module '" + module_name + "' failed:\n" + describe(e));
    }
    if (!py::hasattr(module, class_name.c_str())) {
        std::string has;
        for (const auto& item : module.attr("__dict__").cast<py::dict>()) {
            if (py::isinstance<py::type>(item.second)) has += (has.empty() ? "" : ", ") + item.first.cast<std::string>();
        }
        throw sdk::ConfigError("module '" + module_name + "' (" + py::str(module.attr("__file__")).cast<std::string>() +
                               ") has no class '" + class_name + "'" + (has.empty() ? std::string() : " (it has: " + has + ")"));
    }
    try {
        pylabhub_ = py::module_::import("pylabhub");
        view_class_ = py::module_::import("pylabhub._slots").attr("SlotView");
    } catch (const py::error_already_set& e) {
        throw sdk::PluginError(PLH_ERR_UNSUPPORTED,
                               "the pylabhub Python package cannot be imported (" + std::string(py::str(e.value())) +
                                   "): build it ('make build' puts it in build/python) or install it "
                                   "('cmake --install'); searched Python's sys.path");
    }
    try {
        py::object parsed = py::module_::import("json").attr("loads")(settings);
        instance_ = module.attr(class_name.c_str())(parsed);
    } catch (const py::error_already_set& e) {
        fail("__init__", e);
    }
    dtype_ = py::none();
    schema_name_ = "python." + class_name;
    schema_version_ = "1.0.0";
    try {
        if (py::hasattr(*instance_, "dtype") && !instance_->attr("dtype").is_none()) {
            dtype_ = py::module_::import("numpy").attr("dtype")(instance_->attr("dtype"));
            blds_ = pylabhub_->attr("dtype_to_blds")(*dtype_).cast<std::string>();
        }
        if (py::hasattr(*instance_, "schema_name")) schema_name_ = py::str(instance_->attr("schema_name"));
        if (py::hasattr(*instance_, "schema_version")) schema_version_ = py::str(instance_->attr("schema_version"));
    } catch (const py::error_already_set& e) {
        throw sdk::ConfigError(name_ + ".dtype: " + std::string(py::str(e.value())));
    }
}

void PythonClass::release() {
    instance_.reset();
    dtype_.reset();
    view_class_.reset();
    pylabhub_.reset();
}

PythonClass::~PythonClass() {
    py::gil_scoped_acquire gil;
    try {
        if (instance_ && has_method("close")) instance_->attr("close")();
    } catch (const py::error_already_set&) {  // destroy cannot fail; close's own errors are the class's
    }
    release();
}

bool PythonClass::has_method(const char* method) const { return instance_ && py::hasattr(*instance_, method); }

py::object PythonClass::dtype_of(const std::string& blds) {
    if (blds.empty()) return py::none();
    return pylabhub_->attr("blds_to_dtype")(blds);
}

py::object PythonClass::view(std::span<std::byte> bytes, bool writable, const py::object& dtype, std::uint64_t sequence,
                             std::size_t records) {
    py::memoryview memory = py::memoryview::from_memory(bytes.data(), static_cast<py::ssize_t>(bytes.size()), !writable);
    try {
        return (*view_class_)(memory, dtype, bytes.size(), bytes.size(), py::handle(PyExc_RuntimeError), sequence,
                              records == 0 ? py::object(py::none()) : py::int_(records));
    } catch (const py::error_already_set& e) {
        throw sdk::PluginError(PLH_ERR_INVALID, name_ + ": slot " + std::to_string(sequence) + ": " + std::string(py::str(e.value())));
    }
}

void PythonClass::end_view(py::object& view) { view.attr("_end")(); }

void PythonClass::fail(const char* method, const py::error_already_set& error) const {
    throw sdk::PluginError(PLH_ERR_INTERNAL, name_ + "." + method + " raised " + describe(error));
}

}  // namespace pylabhub::python_plugin
