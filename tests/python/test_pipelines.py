"""Python and the C++ host together: Python producer -> C++ recorder,
C++ producer -> Python consumer, and the python plugin in pipelines."""
import textwrap
import time

import numpy as np
import pytest

import pylabhub
from conftest import PYLABHUB, SOURCE, python_child

DT = np.dtype([("seq", "u8"), ("value", "f8", (3,))], align=True)


def write_yaml(tmp_path, text, name="pipeline.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_python_producer_to_cpp_recorder_verifies(broker, channel_name, processes, tmp_path):
    name = channel_name()
    rec = tmp_path / "py.plhrec"
    yaml = write_yaml(tmp_path, f"""
        pipeline: from-python
        broker: {broker}
        channels:
          {name}: {{external: true}}
        consumers:
          rec: {{plugin: recorder, inputs: [{name}], config: {{path: {rec}}}}}
    """)
    count = 2000
    with pylabhub.Producer.create(name, dtype=DT, slots=32, sync="sync_reader", checksum="blake2b", broker=broker) as producer:
        host = processes([PYLABHUB, "run", yaml])
        deadline = time.monotonic() + 20
        while not [c for c in pylabhub.channels(broker) if c["channel"] == name and c["consumers"]]:
            assert time.monotonic() < deadline and host.proc.poll() is None, host.wait(1) or host.output
            time.sleep(0.05)
        for i in range(count):
            with producer.write(timeout=10) as slot:
                slot.array["seq"] = i
                slot.array["value"] = [i, -i, i * 0.25]
    # The producer closed: the host drains the channel and stops.
    assert host.wait(30) == 0, host.output
    verify = processes([PYLABHUB, "verify", rec])
    assert verify.wait(30) == 0, verify.output
    recording = pylabhub.read_recording(rec)
    assert len(recording) == count and recording.dtype == DT
    assert (recording.data["seq"] == np.arange(count)).all()
    assert (recording.data["value"][:, 2] == np.arange(count) * 0.25).all()
    assert recording.schema["hash"] == pylabhub.schema_hash(DT)


def test_cpp_sine_producer_to_python_consumer(broker, channel_name, processes, tmp_path):
    name = channel_name()
    yaml = write_yaml(tmp_path, f"""
        pipeline: sine
        broker: {broker}
        channels:
          {name}: {{slots: 64, slot_bytes: 64, sync: sync_reader}}
        producers:
          sine: {{plugin: sine, channel: {name}, config: {{channels: 3, rate_hz: 2000, frequency_hz: 5, amplitude: 2}}}}
    """)
    host = processes([PYLABHUB, "run", yaml, "--duration", "30"])
    consumer = None
    deadline = time.monotonic() + 20
    while consumer is None:
        try:
            consumer = pylabhub.Consumer.attach(name, broker=broker)
        except pylabhub.NotFound:
            assert time.monotonic() < deadline and host.proc.poll() is None, host.wait(1) or host.output
            time.sleep(0.05)
    with consumer:
        assert consumer.dtype.names == ("seq", "t_ns", "value")
        previous = None
        for _ in range(500):
            with consumer.read(timeout=5) as slot:
                record = slot.array[0]
                t = record["t_ns"] * 1e-9
                expected = 2 * np.sin(2 * np.pi * 5 * np.arange(1, 4) * t)
                assert np.allclose(record["value"], expected, atol=1e-5)
                if previous is not None:
                    assert record["seq"] == previous + 1  # lossless: none skipped
                previous = int(record["seq"])
    host.signal(2)
    assert host.wait(30) == 0, host.output


INSTRUMENTS = SOURCE / "examples" / "python" / "instruments"


def test_python_plugin_producer_and_consumer_in_a_pipeline(tmp_path, processes, broker, channel_name):
    checker = tmp_path / "checker.py"
    temps = channel_name("temps")
    checker.write_text(textwrap.dedent("""
        import json
        class Checker:
            def __init__(self, settings):
                self.out = settings["out"]; self.nested = settings["nested"]; self.n = 0; self.ok = True
            def consume(self, array, info):
                assert not array.flags.writeable
                self.ok &= bool(info.sequence == self.n and array["kelvin"].shape == (1, 4) and info.channel == CHANNEL)
                self.n += 1
            def flush(self):
                json.dump({"n": self.n, "ok": self.ok, "nested": self.nested}, open(self.out, "w"))
    """).replace("CHANNEL", repr(temps)))
    out = tmp_path / "checked.json"
    rec = tmp_path / "thermo.plhrec"
    yaml = write_yaml(tmp_path, f"""
        pipeline: py-plugins
        broker: {broker}
        channels:
          {temps}: {{slots: 32, slot_bytes: 64, sync: sync_reader}}
        producers:
          thermo: {{plugin: python, channel: {temps}, config: {{module: thermocouple, class: Thermocouple, path: {INSTRUMENTS},
                   count: 1500, settings: {{port: /dev/null, base_kelvin: 10.0}}}}}}
        consumers:
          check: {{plugin: python, inputs: [{temps}], config: {{module: checker, class: Checker, path: {tmp_path},
                  settings: {{out: {out}, nested: {{gains: [1, 2.5], on: true}}}}}}}}
          again: {{plugin: python, inputs: [{temps}], config: {{module: checker, class: Checker, path: {tmp_path},
                  settings: {{out: {out}.2, nested: []}}}}}}
          rec: {{plugin: recorder, inputs: [{temps}], config: {{path: {rec}}}}}
    """)
    host = processes([PYLABHUB, "run", yaml])
    assert host.wait(60) == 0, host.output
    import json
    checked = json.loads(out.read_text())
    assert checked == {"n": 1500, "ok": True, "nested": {"gains": [1, 2.5], "on": True}}
    # Two instances of one class share the interpreter and the module directory.
    assert json.loads((tmp_path / "checked.json.2").read_text()) == {"n": 1500, "ok": True, "nested": []}
    recording = pylabhub.read_recording(rec)
    assert len(recording) == 1500 and recording.schema["name"] == "lab.Thermocouple"
    assert np.allclose(recording.data["kelvin"], 10.0, atol=0.51)


def test_a_python_plugin_that_raises_is_reported_and_the_rest_runs(tmp_path, processes, broker, channel_name):
    ch = channel_name()
    (tmp_path / "fragile.py").write_text(textwrap.dedent("""
        class Fragile:
            def __init__(self, settings):
                self.n = 0
            def consume(self, array, info):
                self.n += 1
                if self.n == 10:
                    return self.divide(1, 0)
            def divide(self, a, b):
                return a / b
    """))
    rec = tmp_path / "r.plhrec"
    yaml = write_yaml(tmp_path, f"""
        pipeline: fragile
        broker: {broker}
        channels:
          {ch}: {{slots: 16, slot_bytes: 64, sync: sync_reader}}
        producers:
          counter: {{plugin: counter, channel: {ch}, config: {{rate_hz: 0, count: 3000}}}}
        consumers:
          fragile: {{plugin: python, inputs: [{ch}], config: {{module: fragile, class: Fragile, path: {tmp_path}}}}}
          rec: {{plugin: recorder, inputs: [{ch}], config: {{path: {rec}}}}}
    """)
    host = processes([PYLABHUB, "run", yaml])
    code = host.wait(60)
    out = host.output
    assert "fragile" in out and "ZeroDivisionError" in out and "Traceback" in out and "in divide" in out, out
    verify = processes([PYLABHUB, "verify", rec])
    assert verify.wait(30) == 0, verify.output
    assert len(pylabhub.read_recording(rec)) == 3000
    assert code != 0  # a component failed: the run says so


@pytest.mark.parametrize("config,words", [
    ("{module: no_such_module, class: X}", ["module 'no_such_module' not found"]),
    ("{module: thermocouple, class: Nope, path: %s}" % INSTRUMENTS, ["has no class 'Nope'", "Thermocouple"]),
    ("{module: sizes, class: TooBig, path: %(tmp)s}", ["TooBig.fill returned 4096 bytes; the slot holds 64"]),
    ("{module: sizes, class: NotAnInt, path: %(tmp)s}", ["NotAnInt.fill returned 'x'"]),
    ("{module: sizes, class: BadDtype, path: %(tmp)s}", ["BadDtype.dtype", "Python objects"]),
    ("{module: sizes, class: NoFill, path: %(tmp)s}", ["NoFill has no fill(slot) method"]),
    ("{module: sizes, class: FailsInInit, path: %(tmp)s}", ["FailsInInit.__init__ raised", "KeyError", "'port'"]),
])
def test_bad_python_plugins_give_clear_errors(tmp_path, processes, broker, channel_name, config, words):
    ch = channel_name()
    (tmp_path / "sizes.py").write_text(textwrap.dedent("""
        import numpy as np
        class TooBig:
            def __init__(self, s): pass
            def fill(self, slot): return 4096
        class NotAnInt:
            def __init__(self, s): pass
            def fill(self, slot): return "x"
        class BadDtype:
            dtype = np.dtype([("o", "O")])
            def __init__(self, s): pass
            def fill(self, slot): return None
        class NoFill:
            def __init__(self, s): pass
        class FailsInInit:
            def __init__(self, s): self.port = s["port"]
            def fill(self, slot): return None
    """))
    yaml = write_yaml(tmp_path, f"""
        pipeline: bad
        broker: {broker}
        channels:
          {ch}: {{slots: 4, slot_bytes: 64}}
        producers:
          p: {{plugin: python, channel: {ch}, config: {config % {"tmp": tmp_path}}}}
        consumers:
          n: {{plugin: "null", inputs: [{ch}]}}
    """)
    host = processes([PYLABHUB, "run", yaml, "--duration", "5"])
    assert host.wait(30) != 0, host.output
    for word in words:
        assert word in host.output, host.output
    assert "Segmentation" not in host.output


def test_a_python_consumer_whose_dtype_differs_is_refused_naming_both(tmp_path, processes, broker, channel_name):
    ch = channel_name()
    (tmp_path / "wrong.py").write_text(textwrap.dedent("""
        import numpy as np
        class Wrong:
            dtype = np.dtype([("x", "f4")])
            def __init__(self, s): pass
            def consume(self, a, i): pass
    """))
    yaml = write_yaml(tmp_path, f"""
        pipeline: mismatch
        broker: {broker}
        channels:
          {ch}: {{slots: 4, slot_bytes: 64}}
        producers:
          sine: {{plugin: sine, channel: {ch}, config: {{channels: 2}}}}
        consumers:
          w: {{plugin: python, inputs: [{ch}], config: {{module: wrong, class: Wrong, path: {tmp_path}}}}}
    """)
    host = processes([PYLABHUB, "run", yaml, "--duration", "5"])
    assert host.wait(30) != 0
    assert pylabhub.schema_hash(np.dtype([("x", "f4")])) in host.output and "pylabhub.sine" in host.output, host.output


def test_inspect_python_describes_both_kinds(processes):
    p = processes([PYLABHUB, "inspect", "python"])
    assert p.wait(30) == 0
    assert "python (producer)" in p.output and "python (consumer)" in p.output and "settings" in p.output
