"""Recordings as numpy arrays: clean, torn tail, corrupt record; HDF5 and CSV export."""
import csv
import subprocess
import textwrap
import warnings

import numpy as np
import pytest

import pylabhub
from conftest import PYLABHUB, PYTHON, child_env

COUNT = 400


def record_counter(tmp_path, processes, broker, name, clock_interval="1ms"):
    rec = tmp_path / "counter.plhrec"
    yaml = tmp_path / "rec.yaml"
    yaml.write_text(textwrap.dedent(f"""
        pipeline: rec
        broker: {broker}
        channels:
          {name}: {{slots: 16, slot_bytes: 64, sync: sync_reader, checksum: xxh3}}
        producers:
          counter: {{plugin: counter, channel: {name}, config: {{rate_hz: 0, count: {COUNT}, payload_bytes: 64}}}}
        consumers:
          rec: {{plugin: recorder, inputs: [{name}], config: {{path: {rec}, clock_interval: {clock_interval}}}}}
    """))
    host = processes([PYLABHUB, "run", yaml])
    assert host.wait(60) == 0, host.output
    return rec


@pytest.fixture
def recording(tmp_path, processes, broker, channel_name):
    """A recording of the counter plugin: seq i, counter 3i+1, a byte pattern."""
    return record_counter(tmp_path, processes, broker, channel_name("rec"))


def check_counter(data, seqs):
    assert (data["seq"] == seqs).all()
    assert (data["counter"] == seqs * 3 + 1).all()
    expected = (seqs[:, None] + np.arange(48) * 7) % 256
    assert (data["pattern"] == expected).all()


def test_a_clean_recording_reads_whole(recording):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = pylabhub.read_recording(recording)
    assert len(r) == COUNT and r.torn is None and r.problems == []
    assert r.dtype.names == ("seq", "counter", "pattern")
    check_counter(r.data, np.arange(COUNT, dtype=np.uint64))
    assert (r.sequences == np.arange(COUNT)).all()
    assert (np.diff(r.commit_ns.astype(np.int64)) >= 0).all()
    assert r.times is not None and r.times.dtype == np.dtype("datetime64[ns]")
    assert r.channel.startswith("test.rec.") and r.description["sync"] == "sync_reader"


def test_a_recording_of_regular_records_is_memory_mapped(tmp_path, processes, broker, channel_name):
    # One clock record at the start only: the data records lie at one stride.
    r = pylabhub.read_recording(record_counter(tmp_path, processes, broker, channel_name("rec"), clock_interval="1h"))
    assert r.memory_mapped
    base = r.data
    while not isinstance(base, np.memmap):
        base = base.base
        assert base is not None, "the data is not a view of the mapped file"
    check_counter(r.data, np.arange(COUNT, dtype=np.uint64))


def test_records_at_irregular_offsets_are_gathered():
    from pylabhub._recording import _payloads
    dt = np.dtype([("a", "<u4")])
    raw = np.zeros(100, dtype=np.uint8)
    offsets = np.array([0, 8, 16, 40, 48, 80], dtype=np.uint64)  # strides 8, 8, 24, 8, 32
    for i, off in enumerate(offsets.tolist()):
        raw[off:off + 4] = np.frombuffer(np.uint32(i + 1).tobytes(), dtype=np.uint8)
    data, mapped = _payloads(raw, offsets, 4, dt)
    assert not mapped and list(data["a"]) == [1, 2, 3, 4, 5, 6]


def test_a_torn_tail_is_reported_not_fatal(recording):
    size = recording.stat().st_size
    with open(recording, "r+b") as f:
        f.truncate(size - 20)  # cut into the last record
    with pytest.warns(pylabhub.RecordingWarning, match="cut off"):
        r = pylabhub.read_recording(recording)
    assert r.torn and "cut off" in r.torn
    assert len(r) == COUNT - 1
    check_counter(r.data, np.arange(COUNT - 1, dtype=np.uint64))


def test_a_corrupt_record_raises_or_is_skipped(recording):
    r = pylabhub.read_recording(recording)
    victim = 123
    # Flip a byte of record 123's pattern in the file.
    offset = int(pylabhub._pylabhub.scan_recording(str(recording))["offsets"][victim]) + 20
    with open(recording, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(pylabhub.CorruptData, match="sequence 123"):
        pylabhub.read_recording(recording)
    with pytest.warns(pylabhub.RecordingWarning, match="skipped"):
        r = pylabhub.read_recording(recording, on_corrupt="skip")
    assert len(r) == COUNT - 1 and victim not in r.sequences
    assert any("sequence 123" in p for p in r.problems)
    seqs = np.delete(np.arange(COUNT, dtype=np.uint64), victim)
    check_counter(r.data, seqs)


def test_hdf5_export_reads_back_with_h5py(recording, tmp_path):
    h5py = pytest.importorskip("h5py")
    out = tmp_path / "out.h5"
    done = subprocess.run([PYTHON, "-m", "pylabhub", "export", str(recording), str(out)], env=child_env(), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"{COUNT} records" in done.stdout
    r = pylabhub.read_recording(recording)
    with h5py.File(out, "r") as f:
        data = f["data"][:]
        assert data.dtype.names == r.dtype.names
        check_counter(data, np.arange(COUNT, dtype=np.uint64))
        assert (f["sequence"][:] == r.sequences).all() and (f["commit_ns"][:] == r.commit_ns).all()
        assert (f["time_unix_ns"][:] == r.times.astype(np.int64)).all()
        assert f.attrs["schema_blds"] == r.schema["blds"] and f.attrs["schema_hash"] == r.schema["hash"]
        assert f["data"].attrs["schema_name"] == "pylabhub.counter"
        assert f.attrs["sync"] == "sync_reader" and f.attrs["slot_bytes"] == 64 and f.attrs["channel"] == r.channel


def test_csv_export_flattens_fields(recording, tmp_path):
    out = tmp_path / "out.csv"
    done = subprocess.run([PYTHON, "-m", "pylabhub", "export", str(recording), str(out), "--csv"], env=child_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(open(out)))
    assert rows[0][:6] == ["sequence", "commit_ns", "time", "seq", "counter", "pattern[0]"] and rows[0][-1] == "pattern[47]"
    assert len(rows) == COUNT + 1
    assert rows[11][3] == "10" and rows[11][4] == "31" and rows[11][6] == str((10 + 7) % 256)
    assert rows[11][2].endswith("Z")


def test_export_of_a_file_that_is_not_a_recording_fails_clearly(tmp_path):
    bogus = tmp_path / "x.plhrec"
    bogus.write_bytes(b"hello")
    done = subprocess.run([PYTHON, "-m", "pylabhub", "export", str(bogus), str(tmp_path / "x.h5")], env=child_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "not a pyLabHub recording" in done.stderr
