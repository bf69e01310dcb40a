// Errors from the hub as Python exceptions: one class per thing a caller
// can handle (a timeout, a closed channel, a schema mismatch, corrupt data),
// every one a pylabhub.Error so `except pylabhub.Error` catches them all.
#pragma once

#include <string>

#include <pybind11/pybind11.h>

#include "pylabhub/core/result.hpp"

namespace pylabhub::python {

/// Defines pylabhub.Error and its subclasses on the module.
void bind_errors(pybind11::module_& module);

/// Raises the exception that fits `error.code`, its message prefixed by `context`.
[[noreturn]] void raise(const Error& error, const std::string& context = "");

/// Raises pylabhub.SlotReleasedError: a slot used after its `with` block.
[[noreturn]] void raise_released(const std::string& what);

/// The value, or the fitting exception.
template <typename T>
T value_or_raise(Result<T>&& result, const std::string& context = "") {
    if (!result) raise(result.error(), context);
    if constexpr (!std::is_void_v<T>) return std::move(result).value();
}

}  // namespace pylabhub::python
