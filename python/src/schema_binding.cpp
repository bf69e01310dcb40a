#include <pybind11/stl.h>

#include "bindings.hpp"
#include "errors.hpp"
#include "python_shared.hpp"
#include "pylabhub/schema/schema_info.hpp"

namespace pylabhub::python {
namespace py = pybind11;

void bind_schema(py::module_& module) {
    python_shared::bind_shared(module);
    module.def(
        "schema_hash",
        [](const std::string& blds) {
            auto info = value_or_raise(schema::SchemaInfo::from_blds("python", blds, "1.0.0"), "BLDS '" + blds + "'");
            return info.hash_hex();
        },
        py::arg("blds"), "BLAKE2b-256 of a BLDS layout, 64 hex digits: what the C++ side compares.");
}

}  // namespace pylabhub::python
