"""dtype <-> BLDS: every BLDS type, arrays and nested offsets, hashes equal to C++'s."""
import numpy as np
import pytest

import pylabhub
from pylabhub import _pylabhub as core

SCALARS = {"i8": "i1", "i16": "<i2", "i32": "<i4", "i64": "<i8", "u8": "u1", "u16": "<u2", "u32": "<u4", "u64": "<u8",
           "f32": "<f4", "f64": "<f8", "bool": "?", "char": "S1"}


@pytest.mark.parametrize("blds_type,numpy_type", SCALARS.items())
def test_every_scalar_round_trips(blds_type, numpy_type):
    size = np.dtype(numpy_type).itemsize
    blds = f"{{pad@0:u8;x@{size}:{blds_type}}}#{2 * size}"
    dt = pylabhub.blds_to_dtype(blds)
    assert dt["x"] == np.dtype(numpy_type)
    assert dt.fields["x"][1] == size
    assert pylabhub.dtype_to_blds(dt) == blds
    assert pylabhub.schema_hash(dt) == core.schema_hash(blds)


@pytest.mark.parametrize("blds", [
    "{v@0:f32[8]}#32",
    "{m@0:f64[2][3]}#48",
    "{name@0:char[16];n@16:u32}#20",
    "{names@0:char[3][5];x@15:u8}#16",
    "{seq@0:u64;pos@8:{x@0:f64;y@8:f64}#16;ok@24:bool}#32",
    "{pts@0:{x@0:f32;y@4:f32}#8[4];n@32:u16}#36",
    "{a@0:u8;deep@8:{inner@0:{v@0:i64[2]}#16;flag@16:bool}#24}#32",
])
def test_arrays_and_nested_structs_round_trip(blds):
    dt = pylabhub.blds_to_dtype(blds)
    assert dt.itemsize == int(blds.rsplit("#", 1)[1])
    assert pylabhub.dtype_to_blds(dt) == blds
    assert pylabhub.schema_hash(blds) == core.schema_hash(blds)


def test_aligned_dtype_gives_the_c_layout():
    dt = np.dtype([("seq", "u8"), ("flag", "?"), ("v", "f4", (3,)), ("pos", np.dtype([("x", "f8"), ("y", "f8")])), ("tag", "S3")],
                  align=True)
    assert pylabhub.dtype_to_blds(dt) == "{seq@0:u64;flag@8:bool;v@12:f32[3];pos@24:{x@0:f64;y@8:f64}#16;tag@40:char[3]}#48"


def test_hash_equals_what_cpp_computes_for_a_cpp_producer(processes, broker, channel_name, tmp_path):
    """The sine plugin declares its layout in C++; the broker holds the C++ hash."""
    from conftest import PYLABHUB
    name = channel_name("sine")
    yaml = tmp_path / "sine.yaml"
    yaml.write_text(f"pipeline: s\nbroker: {broker}\nchannels:\n  {name}: {{slots: 8, slot_bytes: 64}}\n"
                    f"producers:\n  sine: {{plugin: sine, channel: {name}, config: {{channels: 5, rate_hz: 100}}}}\n")
    host = processes([PYLABHUB, "run", yaml, "--duration", "20"])
    record = wait_for_channel(broker, name, host)
    dt = pylabhub.blds_to_dtype(record["schema"]["blds"])
    assert dt.names == ("seq", "t_ns", "value") and dt["value"].shape == (5,)
    assert pylabhub.schema_hash(dt) == record["schema"]["hash"]
    assert record["dtype"] == dt


def wait_for_channel(broker, name, host, timeout=15):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for c in pylabhub.channels(broker):
            if c["channel"] == name:
                return c
        assert host.proc.poll() is None, f"host exited: {host.wait()} {host.output}"
        time.sleep(0.05)
    raise AssertionError(f"channel {name} never registered")


@pytest.mark.parametrize("dtype,words", [
    (np.dtype([("a", "u1"), ("b", "f8")]), ["offset 1", "align=True"]),
    (np.dtype([("o", "O")]), ["'o'", "Python objects"]),
    (np.dtype([("u", "U4")]), ["'u'", "bytes field"]),
    (np.dtype([("c", "c16")]), ["'c'", "float"]),
    (np.dtype([("b", ">f8")]), ["big-endian"]),
    (np.dtype([("h", "f2")]), ["'h'", "32- and 64-bit"]),
    (np.dtype("f8"), ["not structured"]),
    (np.dtype({"names": ["a", "b"], "formats": ["u1", "u1"], "offsets": [0, 4], "itemsize": 5}), ["more than padding"]),
    (np.dtype({"names": ["a"], "formats": ["f8"], "offsets": [0], "itemsize": 24}), ["itemsize 24"]),
    (np.dtype([("two words", "u1")]), ["'two words'", "BLDS name"]),
])
def test_a_dtype_the_blds_cannot_express_is_refused_clearly(dtype, words):
    with pytest.raises(pylabhub.SchemaError) as raised:
        pylabhub.dtype_to_blds(dtype)
    for word in words:
        assert word in str(raised.value)


def test_a_malformed_blds_names_the_position():
    with pytest.raises(pylabhub.SchemaError, match="position"):
        pylabhub.blds_to_dtype("{a@0:u8;b@0:zz}#2")
