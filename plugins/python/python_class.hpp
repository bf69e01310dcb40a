// A component's Python class: found by module and class name (config
// `module`, `class`, `path`), made with its `settings` as a dict, and its
// slots handed to it as numpy views that end with the call.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include <pybind11/pybind11.h>
#include <pylabhub/sdk/host.hpp>

namespace pylabhub::python_plugin {

/// The config entries every python component has (module, class, path, settings).
#define PYLABHUB_PYTHON_CLASS_CONFIG                                                                               \
    sdk::required_string("module", "the Python module that holds the class (imported like 'import MODULE')"),      \
        sdk::required_string("class", "the class in that module"),                                                 \
        sdk::string("path", "", "a directory searched first for the module (relative: to the working directory)"), \
        sdk::tree("settings", "{}", "handed to the class as a dict: Class(settings)")

/// One instance of the user's class, with the GIL taken for every use.
class PythonClass {
public:
    /// Imports the module, makes the instance with its settings, reads its
    /// `dtype` (if any). Throws ConfigError or PluginError with the Python
    /// traceback and what was searched.
    explicit PythonClass(const sdk::Host& host);
    ~PythonClass();
    PythonClass(const PythonClass&) = delete;
    PythonClass& operator=(const PythonClass&) = delete;

    /// "thermocouple.Thermocouple", for messages.
    const std::string& name() const { return name_; }
    /// The instance (use with the GIL held).
    pybind11::object& instance() { return *instance_; }
    /// True when the instance has `method`.
    bool has(const char* method) const { return has_method(method); }

    /// Its declared layout: the dtype's BLDS, or nullopt without a dtype.
    const std::optional<std::string>& blds() const { return blds_; }
    /// Its `schema_name` and `schema_version` attributes (defaults: python.CLASS, 1.0.0).
    const std::string& schema_name() const { return schema_name_; }
    const std::string& schema_version() const { return schema_version_; }

    /// dtype for a BLDS (pylabhub.blds_to_dtype), or None for "".
    pybind11::object dtype_of(const std::string& blds);
    /// The class's own dtype (None without one).
    pybind11::object dtype() const { return *dtype_; }
    /// A SlotView over `bytes` with `dtype` (GIL held); call end_view after.
    /// `records`: how many records the view holds (writers: 1); 0: as many as `bytes` cover (readers).
    pybind11::object view(std::span<std::byte> bytes, bool writable, const pybind11::object& dtype, std::uint64_t sequence,
                          std::size_t records);
    static void end_view(pybind11::object& view);

    /// Calls method(args...) with the GIL held; a Python exception becomes a
    /// PluginError naming the class, the method and the traceback.
    template <typename... Args>
    pybind11::object call(const char* method, Args&&... args);

    /// Turns the exception being handled into a PluginError (GIL held).
    [[noreturn]] void fail(const char* method, const pybind11::error_already_set& error) const;

private:
    void load(const std::string& module_name, const std::string& class_name, const std::string& path, const std::string& settings);
    void release();  // with the GIL held
    bool has_method(const char* method) const;

    std::string name_;
    // Pointers, so that they are released with the GIL held (destructor).
    std::optional<pybind11::object> instance_, dtype_, view_class_, pylabhub_;
    std::optional<std::string> blds_;
    std::string schema_name_, schema_version_;
};

template <typename... Args>
pybind11::object PythonClass::call(const char* method, Args&&... args) {
    try {
        return instance_->attr(method)(std::forward<Args>(args)...);
    } catch (const pybind11::error_already_set& e) {
        fail(method, e);
    }
}

}  // namespace pylabhub::python_plugin
