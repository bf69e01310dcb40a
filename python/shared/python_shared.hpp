// What the pylabhub extension module and the python plugin's embedded module
// both offer Python, header-only so that the plugin (which links neither the
// framework nor the module) shares it: the BLDS parser's result as dicts,
// and the emptying of a released slot's view.
#pragma once

#include <string>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "pylabhub/schema/blds_parser.hpp"

namespace pylabhub::python_shared {

/// The fields of a parsed BLDS, as the Python side builds dtypes from them.
inline pybind11::list fields_of(const std::vector<schema::BldsField>& fields) {
    pybind11::list out;
    for (const auto& f : fields) {
        pybind11::dict d;
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

/// parse_blds(text) -> (struct_size, fields); ValueError naming the position.
inline pybind11::tuple parse_blds(const std::string& blds) {
    auto parsed = schema::parse_blds(blds);
    if (!parsed) throw pybind11::value_error("BLDS '" + blds + "': " + parsed.error().message);
    return pybind11::make_tuple(parsed->struct_size, fields_of(parsed->fields));
}

/// A numpy array cannot be told that its memory went away, so when a slot
/// is released the array handed out for it is emptied in place: length 0,
/// its data pointer off the ring. Using it later raises IndexError (or
/// yields empty results) instead of reading a slot the writer reuses.
inline void empty_view(const pybind11::array& view) {
    auto* fields = pybind11::detail::array_proxy(view.ptr());
    if (fields->nd < 1) return;
    static char nothing[64] = {};
    fields->dimensions[0] = 0;
    fields->data = nothing;
}

/// Defines parse_blds and _empty_view on `module`.
inline void bind_shared(pybind11::module_& module) {
    module.def("parse_blds", &parse_blds, pybind11::arg("blds"),
               "(struct_size, fields) of a BLDS layout; ValueError with the position when it does not parse.");
    module.def("_empty_view", &empty_view, pybind11::arg("view"), "Empties a slot's array in place when its slot is released.");
}

}  // namespace pylabhub::python_shared
