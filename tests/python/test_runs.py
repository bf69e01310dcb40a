"""Producer.write_many and Consumer.read_many: many slots handed over in runs."""
import mmap
import re
import textwrap
import time

import numpy as np
import pytest

import pylabhub
from conftest import attach_code, python_child

DT = np.dtype([("seq", "u8"), ("value", "f4", (2,))], align=True)


def records(first, count):
    out = np.zeros(count, dtype=DT)
    out["seq"] = np.arange(first, first + count)
    out["value"][:, 0] = out["seq"] * 0.5
    out["value"][:, 1] = -1.0
    return out


def test_write_many_to_read_many_across_processes_every_slot_in_order(broker, channel_name, processes):
    """A ring of 32 slots, 20,000 records in writes of 1,000: the writer waits
    for the reader run after run; every slot arrives once, in order, whole."""
    name = channel_name()
    total = 20_000
    reader_code = "import numpy as np, pylabhub, time\n" + attach_code(name, broker) + textwrap.dedent(f"""
        expected, runs, longest = 0, 0, 0
        for run in c.runs(max_slots=500):
            n = len(run)
            assert run.array.shape == (n,) and run.array.dtype == c.dtype, (run.array.shape, run.array.dtype)
            assert (run.sequences == np.arange(expected, expected + n)).all(), (run.sequences[:3], expected)
            assert (run.array["seq"] == run.sequences).all()
            assert (run.array["value"][:, 0] == run.sequences * 0.5).all() and (run.array["value"][:, 1] == -1).all()
            assert (run.nbytes == c.dtype.itemsize).all() and (run.commit_ns > 0).all()
            expected += n
            runs += 1
            longest = max(longest, n)
        print("read", expected, "runs", runs, "longest", longest)
    """)
    with pylabhub.Producer.create(name, dtype=DT, slots=32, sync="single_reader", checksum="xxh3", broker=broker) as producer:
        reader = processes(python_child(reader_code))
        deadline = time.monotonic() + 20
        while not pylabhub.channels(broker)[0]["consumers"]:
            assert time.monotonic() < deadline and reader.proc.poll() is None, reader.wait(1) or reader.output
            time.sleep(0.02)
        for first in range(0, total, 1000):
            assert producer.write_many(records(first, 1000), timeout=30) == first
        assert producer.next_sequence == total
    assert reader.wait(60) == 0, reader.output
    found = re.search(r"read (\d+) runs (\d+) longest (\d+)", reader.output)
    assert found, reader.output
    read, runs, longest = (int(x) for x in found.groups())
    assert read == total
    # A read takes run after run while the writer refills the ring, so it
    # may hold more than the ring's 32, never more than it asked for.
    assert longest <= 500 and runs < total, "slots were not taken in runs"


def test_read_many_shapes_follow_the_channel(broker, channel_name):
    name = channel_name()
    # One record a slot: (n,) of the dtype.
    with pylabhub.Producer.create(name, dtype=DT, slots=16, broker=broker) as producer, \
            pylabhub.Consumer.attach(name, broker=broker) as consumer:
        producer.write_many(records(0, 5))
        run = consumer.read_many(100, timeout=1)  # takes what is there, without waiting for 100
        assert len(run) == 5 and run.array.shape == (5,) and list(run.array["seq"]) == [0, 1, 2, 3, 4]
        assert run.array.flags.owndata or run.array.base is not None  # a copy, not the segment
        producer.write_array(records(5, 1))
        assert list(consumer.read_many(timeout=1).sequences) == [5]
        with pytest.raises(pylabhub.TimeoutError):
            consumer.read_many(timeout=0.05)
    # Three records a slot: (n, 3); a slot committed with fewer has zeros after them.
    name = channel_name()
    with pylabhub.Producer.create(name, dtype=DT, slots=16, slot_bytes=3 * DT.itemsize, broker=broker) as producer, \
            pylabhub.Consumer.attach(name, broker=broker) as consumer:
        producer.write_many(np.stack([records(0, 3), records(3, 3)]))
        producer.write_array(records(6, 1))
        run = consumer.read_many(timeout=1)
        assert run.array.shape == (3, 3)
        assert list(run.nbytes) == [3 * DT.itemsize, 3 * DT.itemsize, DT.itemsize]
        assert list(run.array["seq"][1]) == [3, 4, 5] and list(run.array["seq"][2]) == [6, 0, 0]
    # No dtype: raw rows of slot_bytes.
    name = channel_name()
    with pylabhub.Producer.create(name, slots=8, slot_bytes=16, broker=broker) as producer, \
            pylabhub.Consumer.attach(name, broker=broker) as consumer:
        producer.write_many(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint8))
        run = consumer.read_many(timeout=1)
        assert run.array.shape == (2, 16) and run.array.dtype == np.uint8
        assert list(run.array[1][:4]) == [4, 5, 6, 0] and list(run.nbytes) == [3, 3]
        with pytest.raises(ValueError, match="2-D"):
            producer.write_many(b"abc")
        with pytest.raises(ValueError, match="do not fit"):
            producer.write_many(np.zeros((2, 17), dtype=np.uint8))


def test_read_many_needs_a_lossless_channel(broker, channel_name):
    name = channel_name()
    with pylabhub.Producer.create(name, dtype=DT, sync="latest_only", broker=broker), \
            pylabhub.Consumer.attach(name, broker=broker) as consumer:
        with pytest.raises(ValueError, match="latest_only.*read\\(\\)"):
            consumer.read_many()


def test_a_timed_out_write_many_says_how_much_was_written(broker, channel_name):
    """The reader does not read: write_many fills the ring and times out; what
    it says was written is exactly what the reader then finds."""
    name = channel_name()
    with pylabhub.Producer.create(name, dtype=DT, slots=8, sync="single_reader", broker=broker) as producer, \
            pylabhub.Consumer.attach(name, broker=broker) as consumer:
        with pytest.raises(pylabhub.TimeoutError) as failed:
            producer.write_many(records(0, 20), timeout=0.3)
        found = re.search(r"(\d+) of 20 slots were written \(sequences 0\.\.(\d+)\)", str(failed.value))
        assert found, str(failed.value)
        written = int(found.group(1))
        assert 0 < written < 20 and int(found.group(2)) == written - 1
        assert producer.next_sequence == written
        run = consumer.read_many(100, timeout=1)
        assert list(run.array["seq"]) == list(range(written))


def test_a_corrupt_slot_mid_run_is_reported_by_the_next_read_and_nothing_is_lost(broker, channel_name):
    """A slot whose payload changed after its commit (enforced xxh3): the slots
    before it come back, the next read raises CorruptData, the ones after it
    follow; only the corrupt slot is missing."""
    name = channel_name()
    with pylabhub.Producer.create(name, dtype=DT, slots=16, sync="single_reader", checksum="xxh3", broker=broker) as producer, \
            pylabhub.Consumer.attach(name, broker=broker) as consumer:
        batch = records(0, 8)
        marker = 0x5EC7_0000_0000_0003
        batch["seq"][3] = marker
        producer.write_many(batch)
        with open("/dev/shm/" + producer.segment.lstrip("/"), "r+b") as f, mmap.mmap(f.fileno(), 0) as segment:
            at = segment.find(np.uint64(marker).tobytes())
            assert at >= 0
            segment[at + 8] ^= 0xFF  # the first byte after seq: the record's value, covered by the digest
        first = consumer.read_many(100, timeout=1)
        assert list(first.sequences) == [0, 1, 2]
        with pytest.raises(pylabhub.CorruptData):
            consumer.read_many(100, timeout=1)
        rest = consumer.read_many(100, timeout=1)
        assert list(rest.sequences) == [4, 5, 6, 7]
