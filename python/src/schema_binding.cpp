#include <pybind11/stl.h>

#include "bindings.hpp"
#include "errors.hpp"
#include "pylabhub/schema/blds_parser.hpp"
#include "pylabhub/schema/schema_info.hpp"

namespace pylabhub::python {
namespace {

namespace py = pybind11;

py::list fields_of(const std::vector<schema::BldsField>& fields) {
    py::list out;
    for (const auto& f : fields) {
        py::dict d;
        d["name"] = f.name;
        d["offset"] = f.offset;
        d["scalar"] = f.scalar;
        d["element_size"] = f.element_size;
        d["dims"] = f.dims;
        d["members"] = fields_of(f.members);
        out.append(d);
    }
    return out;
}

}  // namespace

void bind_schema(py::module_& module) {
    module.def(
        "parse_blds",
        [](const std::string& blds) {
            auto parsed = value_or_raise(schema::parse_blds(blds), "BLDS '" + blds + "'");
            return py::make_tuple(parsed.struct_size, fields_of(parsed.fields));
        },
        py::arg("blds"), "(struct_size, fields) of a BLDS layout; ValueError with the position when it does not parse.");
    module.def(
        "schema_hash",
        [](const std::string& blds) {
            auto info = value_or_raise(schema::SchemaInfo::from_blds("python", blds, "1.0.0"), "BLDS '" + blds + "'");
            return info.hash_hex();
        },
        py::arg("blds"), "BLAKE2b-256 of a BLDS layout, 64 hex digits: what the C++ side compares.");
}

}  // namespace pylabhub::python
