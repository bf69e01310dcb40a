// The one CPython interpreter of a host process, started on first use and
// never finalized (numpy cannot be loaded twice in one process). Between
// calls no thread holds the GIL: each call into Python takes it
// (pybind11::gil_scoped_acquire) and gives it back.
#pragma once

#include <string>

#include <pybind11/pybind11.h>

namespace pylabhub::python_plugin {

/// Starts the interpreter when it is not running yet. Throws PluginError
/// (with what to install) when it cannot.
void ensure_interpreter();

/// The exception being handled as people need it: type, message and the
/// Python traceback, one string.
std::string describe(const pybind11::error_already_set& error);

}  // namespace pylabhub::python_plugin
