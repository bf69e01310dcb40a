// Views of slots that end with their slot. A numpy array cannot be told
// that its memory went away, so when a slot is released the array handed
// out for it is emptied in place: its length becomes 0 and its data
// pointer points at nothing of the ring, so using it later raises
// IndexError (or yields empty results) instead of reading a slot the
// writer has already reused.
#include <pybind11/numpy.h>

#include "bindings.hpp"

namespace pylabhub::python {

namespace py = pybind11;

void bind_slot_view(py::module_& module) {
    module.def(
        "_empty_view",
        [](const py::array& view) {
            auto* fields = py::detail::array_proxy(view.ptr());
            if (fields->nd < 1) return;
            static char nothing[64] = {};
            fields->dimensions[0] = 0;
            fields->data = nothing;
        },
        py::arg("view"), "Empties a slot's array in place when its slot is released.");
}

}  // namespace pylabhub::python
