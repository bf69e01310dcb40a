"""Slot layouts as numpy dtypes: a structured dtype <-> BLDS text and hash.

BLDS (docs/schema.md) is the C++ side's canonical layout text, e.g.
``{seq@0:u64;t@8:f64;v@16:f32[8]}#48``; its BLAKE2b-256 hash is what a
producer and a consumer compare before they share slots. A dtype converts
when it is what a C struct could be: fixed-width numbers, bool, bytes
(``S<n>`` is ``char[n]``), fixed-size sub-arrays and nested structs, every
field at an offset its alignment allows (``np.dtype(..., align=True)`` gives
exactly that).
"""
from __future__ import annotations

import hashlib
import re
import sys

import numpy as np

if "_pylabhub_embedded" in sys.builtin_module_names:
    # Inside a pylabhub host (the python plugin): the host's own parser.
    from _pylabhub_embedded import parse_blds as _parse_blds
else:
    from ._pylabhub import parse_blds as _parse_blds

__all__ = ["dtype_to_blds", "blds_to_dtype", "schema_hash", "SchemaError"]


class SchemaError(ValueError):
    """A dtype the BLDS cannot express, or a BLDS text that does not parse."""


_SCALAR_IDS = {
    ("i", 1): "i8", ("i", 2): "i16", ("i", 4): "i32", ("i", 8): "i64",
    ("u", 1): "u8", ("u", 2): "u16", ("u", 4): "u32", ("u", 8): "u64",
    ("f", 4): "f32", ("f", 8): "f64", ("b", 1): "bool",
}
_SCALAR_DTYPES = {text: np.dtype(f"{kind if kind != 'b' else '?'}{size if kind != 'b' else ''}")
                  for (kind, size), text in _SCALAR_IDS.items()}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ADVICE = {
    "O": "Python objects cannot live in shared memory; use fixed-size fields",
    "U": "use a bytes field ('S<n>', char[n]) and encode the text",
    "c": "use two float fields (re, im) or an ('f8', (2,)) sub-array",
    "M": "use an int64 field of nanoseconds",
    "m": "use an int64 field of nanoseconds",
    "V": "raw void fields have no meaning to readers; use 'u1' sub-arrays",
    "f": "BLDS has 32- and 64-bit floats only",
}


def _unsupported(dt: np.dtype, where: str) -> SchemaError:
    why = _ADVICE.get(dt.kind, "BLDS has fixed-width integers, f32, f64, bool, char, arrays and structs")
    return SchemaError(f"field {where!r}: dtype {dt.str!r} has no BLDS form ({why})")


def _type_of(dt: np.dtype, where: str) -> tuple[str, int]:
    """BLDS type text and alignment of one field's dtype."""
    dims = ""
    if dt.subdtype is not None:
        base, shape = dt.subdtype
        dims = "".join(f"[{n}]" for n in shape)
        if any(n == 0 for n in shape):
            raise SchemaError(f"{where}: a sub-array of shape {shape} holds nothing")
        dt = base
    if dt.names is not None:
        text, align = _struct_of(dt, where)
        return text + dims, align
    if dt.byteorder == ">" or (dt.byteorder == "=" and sys.byteorder != "little"):
        raise SchemaError(f"{where}: dtype {dt.str!r} is big-endian; slots are little-endian (use '<' or '=')")
    if dt.kind == "S":
        return "char" + dims + (f"[{dt.itemsize}]" if dt.itemsize > 1 else ""), 1
    scalar = _SCALAR_IDS.get((dt.kind, dt.itemsize))
    if scalar is None:
        raise _unsupported(dt, where)
    return scalar + dims, dt.alignment


def _struct_of(dt: np.dtype, where: str) -> tuple[str, int]:
    fields = sorted(((info[1], name, info[0]) for name, info in dt.fields.items() if len(info) < 3 or info[2] == name),
                    key=lambda f: f[0])
    if not fields:
        raise SchemaError(f"{where}: a struct needs at least one field")
    parts, end, struct_align = [], 0, 1
    for offset, name, field_dt in fields:
        at = f"{where}.{name}" if where else name
        if not _NAME.match(name):
            raise SchemaError(f"field {at!r}: a BLDS name is letters, digits and '_', not starting with a digit")
        text, align = _type_of(field_dt, at)
        if offset % align:
            raise SchemaError(f"field {at!r} at offset {offset} is not aligned to {align} bytes: "
                              "a C struct cannot have it (build the dtype with align=True)")
        if offset < end:
            raise SchemaError(f"field {at!r} at offset {offset} overlaps the field before it")
        if offset - end >= align:
            raise SchemaError(f"{offset - end} bytes before field {at!r} are more than padding: "
                              "describe every byte with a field (or build the dtype with align=True)")
        parts.append(f"{name}@{offset}:{text}")
        end = offset + field_dt.itemsize
        struct_align = max(struct_align, align)
    size = dt.itemsize
    if size % struct_align or size - end >= struct_align:
        raise SchemaError(f"{where or 'the dtype'}: itemsize {size} does not fit its fields as a C struct would "
                          f"(alignment {struct_align}, fields end at {end}); build the dtype with align=True")
    return "{" + ";".join(parts) + "}#" + str(size), struct_align


def dtype_to_blds(dtype) -> str:
    """The BLDS text of a structured dtype (SchemaError if it has none)."""
    dt = np.dtype(dtype)
    if dt.names is None:
        raise SchemaError(f"dtype {dt.str!r} is not structured: a slot layout names its fields, "
                          "e.g. np.dtype([('value', 'f8')])")
    return _struct_of(dt, "")[0]


def _field_dtype(field: dict) -> np.dtype:
    dims = list(field["dims"])
    if field["members"]:
        base = _struct_dtype(field["members"], field["element_size"])
    elif field["scalar"] == "char":
        base = np.dtype(f"S{dims.pop() if dims else 1}")
    else:
        base = _SCALAR_DTYPES[field["scalar"]]
    return np.dtype((base, tuple(dims))) if dims else base


def _struct_dtype(fields: list, size: int) -> np.dtype:
    return np.dtype({"names": [f["name"] for f in fields], "formats": [_field_dtype(f) for f in fields],
                     "offsets": [f["offset"] for f in fields], "itemsize": size})


def blds_to_dtype(blds: str) -> np.dtype:
    """The structured dtype a BLDS text describes (SchemaError if it does not parse)."""
    try:
        size, fields = _parse_blds(blds)
    except ValueError as e:
        raise SchemaError(str(e)) from None
    return _struct_dtype(fields, size)


def schema_hash(layout) -> str:
    """BLAKE2b-256 (hex) of a BLDS text or of a dtype's BLDS: what the hub compares."""
    blds = layout if isinstance(layout, str) else dtype_to_blds(layout)
    return hashlib.blake2b(blds.encode(), digest_size=32).hexdigest()
