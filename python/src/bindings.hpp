// The parts of the extension module `pylabhub._pylabhub`, one per file; the
// Python package (python/pylabhub) builds the user-facing API on them.
#pragma once

#include <pybind11/pybind11.h>

namespace pylabhub::python {

void bind_schema(pybind11::module_& module);     ///< BLDS parsing and hashing
void bind_producer(pybind11::module_& module);   ///< _Producer, _WriteSlot
void bind_consumer(pybind11::module_& module);   ///< _Consumer, _ReadSlot
void bind_observer(pybind11::module_& module);   ///< _Observer
void bind_broker(pybind11::module_& module);     ///< channels(), default_broker()
void bind_recording(pybind11::module_& module);  ///< scan_recording()

}  // namespace pylabhub::python
